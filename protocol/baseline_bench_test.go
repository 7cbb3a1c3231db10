package protocol_test

import (
	"encoding/json"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// Baselines for the invocation benchmarks: the same three-argument
// invocation through general-purpose codecs (encoding/json with a struct,
// vmihailenco/msgpack with the same array layout), so that the hand-written
// codecs' figures can be quoted as ratios measured in the same run.

type baselineInvocation struct {
	Type         int    `json:"type"`
	InvocationID string `json:"invocationId"`
	Target       string `json:"target"`
	Arguments    []any  `json:"arguments"`
}

type baselineDecoded struct {
	Type         int               `json:"type"`
	InvocationID string            `json:"invocationId"`
	Target       string            `json:"target"`
	Arguments    []json.RawMessage `json:"arguments"`
}

func BenchmarkBaselineStdlibJSONEncodeInvocation(b *testing.B) {
	m := baselineInvocation{Type: 1, InvocationID: "42", Target: "SendMessage", Arguments: []any{"alice", "hello world", 17}}
	b.ReportAllocs()
	for b.Loop() {
		out, err := json.Marshal(&m)
		if err != nil || string(out) != jsonBenchInvocation {
			b.Fatalf("%s %v", out, err)
		}
	}
}

func BenchmarkBaselineStdlibJSONDecodeInvocation(b *testing.B) {
	body := []byte(jsonBenchInvocation)
	b.ReportAllocs()
	for b.Loop() {
		var m baselineDecoded
		if err := json.Unmarshal(body, &m); err != nil || len(m.Arguments) != 3 {
			b.Fatal(err)
		}
	}
}

func baselineMsgpackArray() []any {
	return []any{1, map[string]string{}, "42", "SendMessage", []any{"alice", "hello world", 17}, []string{}}
}

func BenchmarkBaselineLibraryMessagePackEncodeInvocation(b *testing.B) {
	m := baselineMsgpackArray()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := msgpack.Marshal(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBaselineLibraryMessagePackDecodeInvocation(b *testing.B) {
	body, err := msgpack.Marshal(baselineMsgpackArray())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var m []msgpack.RawMessage
		if err := msgpack.Unmarshal(body, &m); err != nil || len(m) != 6 {
			b.Fatal(err)
		}
	}
}
