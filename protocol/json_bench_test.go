package protocol_test

import (
	"testing"

	"github.com/signalr-go/signalr/protocol"
)

const jsonBenchInvocation = `{"type":1,"invocationId":"42","target":"SendMessage","arguments":["alice","hello world",17]}`

func BenchmarkJSONDecodeInvocation(b *testing.B) {
	hp := protocol.NewJSON()
	body := []byte(jsonBenchInvocation)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := hp.Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONEncodeInvocation(b *testing.B) {
	hp := protocol.NewJSON()
	m := &protocol.Invocation{InvocationID: "42", Target: "SendMessage", Arguments: []any{"alice", "hello world", 17}}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = hp.Append(buf[:0], m); err != nil {
			b.Fatal(err)
		}
	}
	if string(buf) != jsonBenchInvocation+"\x1e" {
		b.Fatalf("encoded %q", buf)
	}
}

func BenchmarkJSONNextFrame(b *testing.B) {
	hp := protocol.NewJSON()
	buf := []byte(jsonBenchInvocation + "\x1e")
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, n, err := hp.NextFrame(buf, protocol.DefaultMaxMessageSize); n == 0 || err != nil {
			b.Fatal(n, err)
		}
	}
}

func BenchmarkParseHandshakeRequest(b *testing.B) {
	buf := []byte("{\"protocol\":\"json\",\"version\":1}\x1e")
	b.ReportAllocs()
	for b.Loop() {
		if _, n, err := protocol.ParseHandshakeRequest(buf, 1024); n == 0 || err != nil {
			b.Fatal(n, err)
		}
	}
}
