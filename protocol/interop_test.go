package protocol_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/signalr-go/signalr/protocol"
)

// These tests cross-check this package against the official client's own
// JsonHubProtocol and MessagePackHubProtocol (npm, interop/). The vectors
// are made during the run by interop/protocol-vectors.cjs, never copied.

type vector struct {
	Name     string         `json:"name"`
	Protocol string         `json:"protocol"`
	Bytes    []byte         `json:"bytes"` // base64 in JSON
	Message  map[string]any `json:"message"`
}

func interopScript(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../interop")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@microsoft", "signalr-protocol-msgpack")); err != nil {
		t.Fatalf("the official client is not installed: run scripts/deps.sh (or make test) first: %v", err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node is needed for the interop tests: %v", err)
	}
	return filepath.Join(dir, "protocol-vectors.cjs")
}

func protocols() map[string]protocol.HubProtocol {
	return map[string]protocol.HubProtocol{
		"json":        protocol.NewJSON(),
		"messagepack": protocol.NewMessagePack(),
	}
}

// TestDecodeOfficialClientMessages decodes every message the official
// client's protocol classes write and compares it field by field.
func TestDecodeOfficialClientMessages(t *testing.T) {
	script := interopScript(t)
	out, err := exec.Command("node", script, "gen").Output()
	if err != nil {
		t.Fatalf("node %s gen: %v", script, err)
	}
	var vectors []vector
	if err := json.Unmarshal(out, &vectors); err != nil {
		t.Fatalf("vectors: %v", err)
	}
	if len(vectors) < 30 {
		t.Fatalf("only %d vectors generated", len(vectors))
	}
	protos := protocols()
	for _, v := range vectors {
		t.Run(v.Protocol+"/"+v.Name, func(t *testing.T) {
			hp := protos[v.Protocol]
			body, n, err := hp.NextFrame(v.Bytes, protocol.DefaultMaxMessageSize)
			if err != nil || n != len(v.Bytes) {
				t.Fatalf("NextFrame = %d, %v; want %d bytes", n, err, len(v.Bytes))
			}
			m, err := hp.Decode(body)
			if err != nil {
				t.Fatalf("Decode(%q): %v", body, err)
			}
			got := normalizeMessage(t, hp, m)
			want := normalize(v.Message)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decoded %q\n got  %#v\n want %#v", v.Bytes, got, want)
			}
		})
	}
}

type point struct {
	Name  string `json:"name"`
	Value int    `json:"value"`
}

// TestOfficialClientParsesGoMessages encodes messages in Go and has the
// official client's classes parse them.
func TestOfficialClientParsesGoMessages(t *testing.T) {
	script := interopScript(t)
	when := time.Date(2000, 1, 1, 12, 30, 15, 250_000_000, time.UTC)
	args := []any{"héllo \"世界\" \\ \n\u2028", 42, int64(-7), int64(1) << 50, 1.5, true, nil,
		[]any{1, "two"}, map[string]any{"k": "v"}, point{Name: "p", Value: 3}, []string{"a", "b"}}
	wantArgs := []any{"héllo \"世界\" \\ \n\u2028", 42, -7, math.Pow(2, 50), 1.5, true, nil,
		[]any{1, "two"}, map[string]any{"k": "v"}, map[string]any{"name": "p", "value": 3}, []any{"a", "b"}}
	type tc struct {
		name string
		msg  protocol.Message
		want map[string]any
	}
	cases := func(proto string) []tc {
		bin, date := any(base64.StdEncoding.EncodeToString([]byte{0, 1, 254, 255})), any("2000-01-01T12:30:15.25Z")
		if proto == "messagepack" {
			bin = map[string]any{"$bin": "AAH+/w=="}
			date = map[string]any{"$date": "2000-01-01T12:30:15.250Z"}
		}
		return []tc{
			{"invocation", &protocol.Invocation{Target: "ReceiveMessage", Arguments: args},
				map[string]any{"type": 1, "target": "ReceiveMessage", "arguments": wantArgs}},
			{"invocation-id-headers", &protocol.Invocation{InvocationID: "s1", Target: "Result", Headers: map[string]string{"a": "b"},
				Arguments: []any{[]byte{0, 1, 254, 255}, when}},
				map[string]any{"type": 1, "invocationId": "s1", "target": "Result", "headers": map[string]any{"a": "b"}, "arguments": []any{bin, date}}},
			{"stream-item", &protocol.StreamItem{InvocationID: "3", Item: point{Name: "x"}},
				map[string]any{"type": 2, "invocationId": "3", "item": map[string]any{"name": "x", "value": 0}}},
			{"stream-item-nil", &protocol.StreamItem{InvocationID: "3"},
				map[string]any{"type": 2, "invocationId": "3", "item": nil}},
			{"completion-result", &protocol.Completion{InvocationID: "1", Result: "done", HasResult: true},
				map[string]any{"type": 3, "invocationId": "1", "result": "done", "hasResult": true}},
			{"completion-void", &protocol.Completion{InvocationID: "1", HasResult: true},
				map[string]any{"type": 3, "invocationId": "1", "result": nil, "hasResult": true}},
			{"completion-stream-end", &protocol.Completion{InvocationID: "2"},
				map[string]any{"type": 3, "invocationId": "2", "hasResult": false}},
			{"completion-error", &protocol.Completion{InvocationID: "1", Error: "An unexpected error occurred invoking 'X' on the server."},
				map[string]any{"type": 3, "invocationId": "1", "error": "An unexpected error occurred invoking 'X' on the server.", "hasResult": false}},
			{"ping", &protocol.Ping{}, map[string]any{"type": 6}},
			{"close", &protocol.Close{}, map[string]any{"type": 7}},
			{"close-error", &protocol.Close{Error: "Connection closed with an error.", AllowReconnect: true},
				map[string]any{"type": 7, "error": "Connection closed with an error.", "allowReconnect": true}},
			{"ack", &protocol.Ack{SequenceID: 1 << 40}, map[string]any{"type": 8, "sequenceId": math.Pow(2, 40)}},
			{"sequence", &protocol.Sequence{SequenceID: 9}, map[string]any{"type": 9, "sequenceId": 9}},
		}
	}
	var vectors []vector
	for name, hp := range protocols() {
		for _, c := range cases(name) {
			b, err := hp.Append(nil, c.msg)
			if err != nil {
				t.Fatalf("%s/%s: Append: %v", name, c.name, err)
			}
			vectors = append(vectors, vector{Name: c.name, Protocol: name, Bytes: b, Message: c.want})
		}
	}
	file := filepath.Join(t.TempDir(), "go-vectors.json")
	data, err := json.Marshal(vectors)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", script, "check", file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var report struct {
		Checked  int               `json:"checked"`
		Failures []json.RawMessage `json:"failures"`
	}
	if jerr := json.Unmarshal(out, &report); jerr != nil {
		t.Fatalf("node check: %v (%v) stdout %q stderr %q", err, jerr, out, stderr.String())
	}
	for _, f := range report.Failures {
		t.Errorf("official client disagrees: %s", f)
	}
	if report.Checked != len(vectors) || err != nil && len(report.Failures) == 0 {
		t.Fatalf("node checked %d of %d vectors: %v", report.Checked, len(vectors), err)
	}
}

// normalizeMessage turns a decoded message into the form the vectors use.
func normalizeMessage(t *testing.T, hp protocol.HubProtocol, m protocol.Message) map[string]any {
	t.Helper()
	out := map[string]any{"type": float64(m.Type())}
	val := func(v any) any {
		raw, ok := v.(protocol.Raw)
		if !ok {
			t.Fatalf("value %T is not Raw", v)
		}
		var x any
		if err := hp.Unmarshal(raw, &x); err != nil {
			t.Fatalf("Unmarshal(%q): %v", raw, err)
		}
		return normalize(x)
	}
	vals := func(vs []any) []any {
		r := make([]any, len(vs))
		for i, v := range vs {
			r[i] = val(v)
		}
		return r
	}
	common := func(headers map[string]string, id string) {
		if len(headers) > 0 {
			h := map[string]any{}
			for k, v := range headers {
				h[k] = v
			}
			out["headers"] = h
		}
		if id != "" {
			out["invocationId"] = id
		}
	}
	switch m := m.(type) {
	case *protocol.Invocation:
		common(m.Headers, m.InvocationID)
		out["target"], out["arguments"] = m.Target, vals(m.Arguments)
		if len(m.StreamIDs) > 0 {
			out["streamIds"] = normalize(m.StreamIDs)
		}
	case *protocol.StreamInvocation:
		common(m.Headers, m.InvocationID)
		out["target"], out["arguments"] = m.Target, vals(m.Arguments)
		if len(m.StreamIDs) > 0 {
			out["streamIds"] = normalize(m.StreamIDs)
		}
	case *protocol.StreamItem:
		common(m.Headers, m.InvocationID)
		out["item"] = val(m.Item)
	case *protocol.Completion:
		common(m.Headers, m.InvocationID)
		if m.Error != "" {
			out["error"] = m.Error
		}
		if m.HasResult {
			out["result"] = val(m.Result)
		}
		out["hasResult"] = m.HasResult
	case *protocol.CancelInvocation:
		common(m.Headers, m.InvocationID)
	case *protocol.Close:
		if m.Error != "" {
			out["error"] = m.Error
		}
		if m.AllowReconnect {
			out["allowReconnect"] = true
		}
	case *protocol.Ack:
		out["sequenceId"] = float64(m.SequenceID)
	case *protocol.Sequence:
		out["sequenceId"] = float64(m.SequenceID)
	case *protocol.Ping:
	default:
		t.Fatalf("unexpected message %T", m)
	}
	return out
}

// normalize maps decoded Go values onto JSON's value space: numbers as
// float64, binary as {"$bin": base64}, times as {"$date": ISO with ms}.
func normalize(v any) any {
	switch x := v.(type) {
	case nil, string, bool, float64:
		return x
	case []byte:
		return map[string]any{"$bin": base64.StdEncoding.EncodeToString(x)}
	case time.Time:
		return map[string]any{"$date": x.UTC().Format("2006-01-02T15:04:05.000Z")}
	case []any:
		r := make([]any, len(x))
		for i, e := range x {
			r[i] = normalize(e)
		}
		return r
	case []string:
		r := make([]any, len(x))
		for i, e := range x {
			r[i] = e
		}
		return r
	case map[string]any:
		r := make(map[string]any, len(x))
		for k, e := range x {
			r[k] = normalize(e)
		}
		return r
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(rv.Uint())
	case reflect.Float32:
		return rv.Float()
	case reflect.Map:
		r := map[string]any{}
		for _, k := range rv.MapKeys() {
			r[fmt.Sprint(k.Interface())] = normalize(rv.MapIndex(k).Interface())
		}
		return r
	}
	return v
}
