package protocol_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/signalr-go/signalr/protocol"
)

// jsonDecodeOne frames and decodes one message written without its record
// separator.
func jsonDecodeOne(t *testing.T, text string) (protocol.Message, error) {
	t.Helper()
	hp := protocol.NewJSON()
	body, n, err := hp.NextFrame([]byte(text+"\x1e"), protocol.DefaultMaxMessageSize)
	if err != nil || n != len(text)+1 {
		t.Fatalf("NextFrame(%q) = %d, %v", text, n, err)
	}
	return hp.Decode(body)
}

func TestJSONDecodeClientMessages(t *testing.T) {
	raw := func(s string) protocol.Raw { return protocol.Raw(s) }
	tests := []struct {
		in   string
		want protocol.Message
	}{
		{`{"type":6}`, &protocol.Ping{}},
		{`{"target":"Add","arguments":[1,2],"invocationId":"0","type":1}`,
			&protocol.Invocation{InvocationID: "0", Target: "Add", Arguments: []any{raw("1"), raw("2")}}},
		{`{"target":"Fire","arguments":["a"],"type":1}`,
			&protocol.Invocation{Target: "Fire", Arguments: []any{raw(`"a"`)}}},
		{`{"target":"Upload","arguments":[5],"invocationId":"2","streamIds":["1"],"type":1}`,
			&protocol.Invocation{InvocationID: "2", Target: "Upload", Arguments: []any{raw("5")}, StreamIDs: []string{"1"}}},
		{`{"target":"Counter","arguments":[3],"invocationId":"3","type":4}`,
			&protocol.StreamInvocation{InvocationID: "3", Target: "Counter", Arguments: []any{raw("3")}}},
		{`{"invocationId":"1","item":1,"type":2}`, &protocol.StreamItem{InvocationID: "1", Item: raw("1")}},
		{`{"invocationId":"1","type":3}`, &protocol.Completion{InvocationID: "1"}},
		{`{"error":"boom","invocationId":"1","type":3}`, &protocol.Completion{InvocationID: "1", Error: "boom"}},
		{`{"invocationId":"3","type":5}`, &protocol.CancelInvocation{InvocationID: "3"}},
		{`{"invocationId":"srv1","result":41,"type":3}`,
			&protocol.Completion{InvocationID: "srv1", Result: raw("41"), HasResult: true}},
		{`{"error":"Client didn't provide a result.","invocationId":"srv2","type":3}`,
			&protocol.Completion{InvocationID: "srv2", Error: "Client didn't provide a result."}},
		{`{"type":7}`, &protocol.Close{}},
		{`{"type":8,"sequenceId":3}`, &protocol.Ack{SequenceID: 3}},
		{`{"type":9,"sequenceId":1}`, &protocol.Sequence{SequenceID: 1}},
		// Beyond the captures: server shapes, headers, nulls, white space,
		// unknown properties, escapes.
		{`{"type":1,"invocationId":"7","target":"ReceiveMessage","arguments":["a",1]}`,
			&protocol.Invocation{InvocationID: "7", Target: "ReceiveMessage", Arguments: []any{raw(`"a"`), raw("1")}}},
		{`{"type":3,"invocationId":"3","result":null}`,
			&protocol.Completion{InvocationID: "3", Result: raw("null"), HasResult: true}},
		{`{"type":2,"invocationId":"3","item":null}`, &protocol.StreamItem{InvocationID: "3", Item: raw("null")}},
		{`{"type":7,"error":"Connection closed with an error.","allowReconnect":true}`,
			&protocol.Close{Error: "Connection closed with an error.", AllowReconnect: true}},
		{`{"type":1,"headers":{"traceparent":"00-ab","x":"y"},"target":"M","arguments":[]}`,
			&protocol.Invocation{Headers: map[string]string{"traceparent": "00-ab", "x": "y"}, Target: "M", Arguments: []any{}}},
		{`{"type":1,"headers":{},"target":"M","arguments":[],"streamIds":[]}`,
			&protocol.Invocation{Target: "M", Arguments: []any{}}},
		{`{"type":1,"invocationId":null,"target":"M","arguments":[]}`, &protocol.Invocation{Target: "M", Arguments: []any{}}},
		{` { "arguments" : [ {"a" : [1, 2.5e-3, true, false, null]} , "x\u00e9" ] , "target":"M" , "type" : 1 } `,
			&protocol.Invocation{Target: "M", Arguments: []any{raw(`{"a" : [1, 2.5e-3, true, false, null]}`), raw(`"x\u00e9"`)}}},
		{`{"type":1,"target":"Se\u006ed \ud83d\ude00\n","arguments":[],"unknown":{"deep":[[{}]]},"x":null}`,
			&protocol.Invocation{Target: "Send 😀\n", Arguments: []any{}}},
		{`{"\u0074ype":6}`, &protocol.Ping{}},
		{`{"type":6,"type":9,"sequenceId":-5}`, &protocol.Sequence{SequenceID: -5}},
		{`{"type":8,"sequenceId":9223372036854775807}`, &protocol.Ack{SequenceID: math.MaxInt64}},
		{`{"type":8,"sequenceId":-9223372036854775808}`, &protocol.Ack{SequenceID: math.MinInt64}},
		{`{"type":3,"invocationId":"1","error":null,"result":"x"}`,
			&protocol.Completion{InvocationID: "1", Result: raw(`"x"`), HasResult: true}},
		{`{"type":2,"invocationId":"é","item":"日本"}`, &protocol.StreamItem{InvocationID: "é", Item: raw(`"日本"`)}},
		// Unknown types are ignored, as the spec asks.
		{`{"type":10,"whatever":[1]}`, nil},
		{`{"type":0}`, nil},
		{`{"type":-1}`, nil},
	}
	for _, tt := range tests {
		got, err := jsonDecodeOne(t, tt.in)
		if err != nil {
			t.Errorf("Decode(%s): %v", tt.in, err)
			continue
		}
		if tt.want == nil {
			if got != nil {
				t.Errorf("Decode(%s) = %#v, want nil", tt.in, got)
			}
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Decode(%s)\n got  %#v\n want %#v", tt.in, got, tt.want)
		}
	}
}

func TestJSONDecodeRejects(t *testing.T) {
	tests := []struct {
		in, why string
	}{
		{``, "empty"},
		{`   `, "blank"},
		{`[]`, "not an object"},
		{`"x"`, "not an object"},
		{`{`, "unterminated"},
		{`{"type":6`, "unterminated"},
		{`{"type":6,}`, "trailing comma"},
		{`{"type":6}{}`, "trailing data"},
		{`{"type":6} x`, "trailing garbage"},
		{`{"type":6}}`, "extra brace"},
		{`{type:6}`, "unquoted name"},
		{`{"type" 6}`, "missing colon"},
		{`{"type":6 "x":1}`, "missing comma"},
		{`{}`, "missing type"},
		{`{"target":"M","arguments":[]}`, "missing type"},
		{`{"type":null}`, "null type"},
		{`{"type":"1"}`, "string type"},
		{`{"type":1.0}`, "fractional type"},
		{`{"type":1e0}`, "exponent type"},
		{`{"type":01}`, "leading zero"},
		{`{"type":4294967297}`, "type beyond int32"},
		{`{"type":true}`, "bool type"},
		{`{"type":1,"arguments":[]}`, "invocation without target"},
		{`{"type":1,"target":"","arguments":[]}`, "invocation with empty target"},
		{`{"type":1,"target":null,"arguments":[]}`, "invocation with null target"},
		{`{"type":1,"target":"M"}`, "invocation without arguments"},
		{`{"type":1,"target":"M","arguments":null}`, "null arguments"},
		{`{"type":1,"target":"M","arguments":{}}`, "object arguments"},
		{`{"type":1,"target":"M","arguments":[1,]}`, "trailing comma in arguments"},
		{`{"type":1,"target":"M","arguments":[1 2]}`, "missing comma in arguments"},
		{`{"type":1,"target":5,"arguments":[]}`, "number target"},
		{`{"type":1,"target":"M","arguments":[],"invocationId":1}`, "number id"},
		{`{"type":1,"target":"M","arguments":[],"streamIds":null}`, "null stream ids"},
		{`{"type":1,"target":"M","arguments":[],"streamIds":[1]}`, "number stream id"},
		{`{"type":4,"target":"M","arguments":[]}`, "stream invocation without id"},
		{`{"type":4,"target":"M","arguments":[],"invocationId":""}`, "stream invocation with empty id"},
		{`{"type":4,"invocationId":"1","arguments":[]}`, "stream invocation without target"},
		{`{"type":4,"invocationId":"1","target":"M"}`, "stream invocation without arguments"},
		{`{"type":2,"item":1}`, "stream item without id"},
		{`{"type":2,"invocationId":null,"item":1}`, "stream item with null id"},
		{`{"type":2,"invocationId":"1"}`, "stream item without item"},
		{`{"type":3}`, "completion without id"},
		{`{"type":3,"invocationId":"1","error":"e","result":1}`, "error and result"},
		{`{"type":3,"invocationId":"1","result":null,"error":""}`, "empty error and result"},
		{`{"type":3,"invocationId":"1","error":5}`, "number error"},
		{`{"type":5}`, "cancel without id"},
		{`{"type":8}`, "ack without sequence id"},
		{`{"type":9,"sequenceId":"1"}`, "string sequence id"},
		{`{"type":9,"sequenceId":1.5}`, "fractional sequence id"},
		{`{"type":9,"sequenceId":9223372036854775808}`, "sequence id beyond int64"},
		{`{"type":7,"allowReconnect":"true"}`, "string allowReconnect"},
		{`{"type":7,"allowReconnect":null}`, "null allowReconnect"},
		{`{"type":1,"target":"M","arguments":[],"headers":{"a":1}}`, "number header"},
		{`{"type":1,"target":"M","arguments":[],"headers":{"a":null}}`, "null header"},
		{`{"type":1,"target":"M","arguments":[],"headers":null}`, "null headers"},
		{`{"type":1,"target":"M","arguments":[],"headers":[]}`, "array headers"},
		{`{"type":6,"arguments":5}`, "bad known property on another type"},
		{"{\"type\":6,\"x\":\"a\tb\"}", "raw control character"},
		{`{"type":6,"x":"\x"}`, "bad escape"},
		{`{"type":6,"x":"\u12g4"}`, "bad unicode escape"},
		{`{"type":6,"x":"\u12"}`, "short unicode escape"},
		{`{"type":6,"x":tru}`, "bad literal"},
		{`{"type":6,"x":nul}`, "bad literal"},
		{`{"type":6,"x":truex}`, "literal with suffix"},
		{`{"type":6,"x":-}`, "bad number"},
		{`{"type":6,"x":1.}`, "bad fraction"},
		{`{"type":6,"x":1e}`, "bad exponent"},
		{`{"type":6,"x":.5}`, "no integer part"},
		{`{"type":6,"x":+1}`, "plus sign"},
		{`{"type":6,"x":NaN}`, "NaN"},
		{`{"type":6,"x":'a'}`, "single quotes"},
		{`{"type":6,"x":[}`, "unbalanced"},
		{`{"type":6,"x":{"a"}}`, "member without value"},
		{`{"type":6,"x":{1:2}}`, "number key"},
		{"{\"type\":6}\x00", "NUL after the object"},
		{`{"type":6}/**/`, "comment"},
	}
	for _, tt := range tests {
		m, err := protocol.NewJSON().Decode([]byte(tt.in))
		if !errors.Is(err, protocol.ErrInvalidMessage) {
			t.Errorf("%s: Decode(%q) = %#v, %v; want ErrInvalidMessage", tt.why, tt.in, m, err)
		}
	}
}

func TestJSONDecodeMutuallyExclusiveText(t *testing.T) {
	_, err := protocol.NewJSON().Decode([]byte(`{"type":3,"invocationId":"1","error":"e","result":1}`))
	if err == nil || !strings.Contains(err.Error(), "The 'error' and 'result' properties are mutually exclusive.") {
		t.Fatalf("err = %v", err)
	}
}

func TestJSONDecodeDepth(t *testing.T) {
	hp := protocol.NewJSON()
	nest := func(prefix string, n int, open, closing string) []byte {
		return []byte(prefix + strings.Repeat(open, n) + strings.Repeat(closing, n) + "]}")
	}
	// The message object, the arguments array and the argument's own
	// containers count toward MaxDepth.
	ok := nest(`{"type":1,"target":"M","arguments":[`, protocol.MaxDepth-2, "[", "]")
	if _, err := hp.Decode(ok); err != nil {
		t.Fatalf("nesting to MaxDepth: %v", err)
	}
	for _, bomb := range [][]byte{
		nest(`{"type":1,"target":"M","arguments":[`, protocol.MaxDepth-1, "[", "]"),
		nest(`{"type":1,"target":"M","arguments":[`, 100000, "[", "]"),
		[]byte(`{"type":6,"x":` + strings.Repeat(`{"a":`, 100000)),
		[]byte(`{"type":1,"target":"M","arguments":` + strings.Repeat("[", 100000)),
	} {
		if _, err := hp.Decode(bomb); !errors.Is(err, protocol.ErrInvalidMessage) || !strings.Contains(err.Error(), "nesting") {
			t.Errorf("Decode(%.40s...) = %v; want a nesting error", bomb, err)
		}
	}
}

func TestJSONNextFrame(t *testing.T) {
	hp := protocol.NewJSON()
	buf := []byte("{\"type\":6}\x1e{\"type\":7}\x1e{\"type\"")
	var got []string
	for {
		body, n, err := hp.NextFrame(buf, 100)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		got = append(got, string(body))
		buf = buf[n:]
	}
	if want := []string{`{"type":6}`, `{"type":7}`}; !reflect.DeepEqual(got, want) {
		t.Fatalf("frames %q, want %q", got, want)
	}
	if string(buf) != `{"type"` {
		t.Fatalf("left %q", buf)
	}

	// A body of exactly maxSize bytes fits; one more byte does not, and is
	// refused before any separator arrives.
	exact := append(bytes.Repeat([]byte{' '}, 10), 0x1e)
	if body, n, err := hp.NextFrame(exact, 10); err != nil || n != 11 || len(body) != 10 {
		t.Fatalf("exact fit: %d bytes, n %d, %v", len(body), n, err)
	}
	if _, n, err := hp.NextFrame(bytes.Repeat([]byte{' '}, 10), 10); err != nil || n != 0 {
		t.Fatalf("partial at the limit: n %d, %v", n, err)
	}
	over := append(bytes.Repeat([]byte{' '}, 11), 0x1e)
	if _, _, err := hp.NextFrame(over, 10); !errors.Is(err, protocol.ErrMessageTooLarge) {
		t.Fatalf("over the limit with separator: %v", err)
	}
	if _, _, err := hp.NextFrame(bytes.Repeat([]byte{'a'}, 11), 10); !errors.Is(err, protocol.ErrMessageTooLarge) {
		t.Fatalf("over the limit without separator: %v", err)
	}
	// No limit.
	big := append(bytes.Repeat([]byte{' '}, 1<<20), 0x1e)
	if _, n, err := hp.NextFrame(big, 0); err != nil || n != len(big) {
		t.Fatalf("unlimited: n %d, %v", n, err)
	}
	// An empty record is a frame that does not decode.
	body, n, err := hp.NextFrame([]byte{0x1e}, 10)
	if err != nil || n != 1 || len(body) != 0 {
		t.Fatalf("empty record: %q %d %v", body, n, err)
	}
	if _, err := hp.Decode(body); !errors.Is(err, protocol.ErrInvalidMessage) {
		t.Fatalf("empty body: %v", err)
	}
}

type jsonPoint struct {
	Name  string `json:"name"`
	Value int    `json:"value"`
}

func TestJSONAppendServerMessages(t *testing.T) {
	tests := []struct {
		msg  protocol.Message
		want string
	}{
		{&protocol.Invocation{InvocationID: "7", Target: "ReceiveMessage", Arguments: []any{"a", 1}},
			`{"type":1,"invocationId":"7","target":"ReceiveMessage","arguments":["a",1]}`},
		{&protocol.Invocation{Target: "ReceiveMessage", Arguments: []any{"a", 1}},
			`{"type":1,"target":"ReceiveMessage","arguments":["a",1]}`},
		{&protocol.Invocation{Target: "M"}, `{"type":1,"target":"M","arguments":[]}`},
		{&protocol.Invocation{Target: "M", Headers: map[string]string{"b": "2", "a": "1"}, StreamIDs: []string{"1", "2"}},
			`{"type":1,"headers":{"a":"1","b":"2"},"target":"M","arguments":[],"streamIds":["1","2"]}`},
		{&protocol.StreamInvocation{InvocationID: "3", Target: "Counter", Arguments: []any{3}},
			`{"type":4,"invocationId":"3","target":"Counter","arguments":[3]}`},
		{&protocol.StreamItem{InvocationID: "3", Item: 42}, `{"type":2,"invocationId":"3","item":42}`},
		{&protocol.StreamItem{InvocationID: "3"}, `{"type":2,"invocationId":"3","item":null}`},
		{&protocol.Completion{InvocationID: "3", Result: 42, HasResult: true}, `{"type":3,"invocationId":"3","result":42}`},
		{&protocol.Completion{InvocationID: "3", HasResult: true}, `{"type":3,"invocationId":"3","result":null}`},
		{&protocol.Completion{InvocationID: "3"}, `{"type":3,"invocationId":"3"}`},
		{&protocol.Completion{InvocationID: "3", Error: "An unexpected error occurred invoking 'X' on the server.", Result: 1, HasResult: true},
			`{"type":3,"invocationId":"3","error":"An unexpected error occurred invoking 'X' on the server."}`},
		{&protocol.CancelInvocation{InvocationID: "3"}, `{"type":5,"invocationId":"3"}`},
		{&protocol.Ping{}, `{"type":6}`},
		{&protocol.Close{}, `{"type":7}`},
		{&protocol.Close{Error: "Connection closed with an error."}, `{"type":7,"error":"Connection closed with an error."}`},
		{&protocol.Close{Error: "e", AllowReconnect: true}, `{"type":7,"error":"e","allowReconnect":true}`},
		{&protocol.Close{AllowReconnect: true}, `{"type":7,"allowReconnect":true}`},
		{&protocol.Ack{SequenceID: 12}, `{"type":8,"sequenceId":12}`},
		{&protocol.Sequence{SequenceID: 5}, `{"type":9,"sequenceId":5}`},
		{&protocol.StreamItem{InvocationID: "1", Item: jsonPoint{Name: "<p>", Value: 3}},
			`{"type":2,"invocationId":"1","item":{"name":"<p>","value":3}}`},
		{&protocol.StreamItem{InvocationID: "1", Item: protocol.Raw(` {"a": [1]} `)},
			`{"type":2,"invocationId":"1","item": {"a": [1]} }`},
	}
	for _, tt := range tests {
		prefix := []byte("prefix")
		got, err := protocol.NewJSON().Append(prefix, tt.msg)
		if err != nil {
			t.Errorf("Append(%#v): %v", tt.msg, err)
			continue
		}
		if want := "prefix" + tt.want + "\x1e"; string(got) != want {
			t.Errorf("Append(%#v)\n got  %s\n want %s", tt.msg, got, want)
		}
	}
}

func TestJSONAppendErrors(t *testing.T) {
	tests := []protocol.Message{
		nil,
		&protocol.Invocation{Target: "M", Arguments: []any{math.NaN()}},
		&protocol.Invocation{Target: "M", Arguments: []any{float32(math.Inf(1))}},
		&protocol.StreamItem{InvocationID: "1", Item: map[string]any{"x": math.Inf(-1)}},
		&protocol.Completion{InvocationID: "1", Result: make(chan int), HasResult: true},
		&protocol.Completion{InvocationID: "1", Result: protocol.Raw(`{"a":`), HasResult: true},
		&protocol.Completion{InvocationID: "1", Result: json.RawMessage("1\x1e"), HasResult: true},
		&protocol.Invocation{Target: "M", Arguments: []any{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		&protocol.Invocation{Target: "M", Arguments: []any{jsonDeep(protocol.MaxDepth)}},
	}
	for _, m := range tests {
		dst := []byte("keep")
		got, err := protocol.NewJSON().Append(dst, m)
		if !errors.Is(err, protocol.ErrUnsupportedValue) {
			t.Errorf("Append(%#v) error = %v; want ErrUnsupportedValue", m, err)
		}
		if string(got) != "keep" {
			t.Errorf("Append(%#v) changed dst to %q", m, got)
		}
	}
	// A cycle ends at the depth limit instead of overflowing the stack.
	cycle := []any{nil}
	cycle[0] = cycle
	if _, err := protocol.NewJSON().Append(nil, &protocol.StreamItem{InvocationID: "1", Item: cycle}); !errors.Is(err, protocol.ErrUnsupportedValue) {
		t.Errorf("cyclic value: %v", err)
	}
}

// jsonDeep returns n nested []any.
func jsonDeep(n int) any {
	var v any = "leaf"
	for range n {
		v = []any{v}
	}
	return v
}

type jsonMarshaler struct{}

func (jsonMarshaler) MarshalJSON() ([]byte, error) { return []byte(` { "m" : "<&>" } `), nil }

type jsonText string

// TestJSONValuesMatchEncodingJSON checks that every hand-written path
// writes what encoding/json writes (HTML escaping off).
func TestJSONValuesMatchEncodingJSON(t *testing.T) {
	s := "a\"b\\c/d\x00\x01\b\f\n\r\t\x1e\x1f\x7f <>& é 日本 \u2028\u2029 😀 \xff\xc3 \xed\xa0\x80 end"
	local := time.FixedZone("x", -(3*3600 + 30*60))
	values := []any{
		nil, true, false, "", s,
		0, -1, math.MaxInt64, math.MinInt64, int8(-128), int16(32767), int32(-5), int64(1 << 50),
		uint(7), uint8(255), uint16(65535), uint32(1 << 31), uint64(math.MaxUint64),
		0.0, math.Copysign(0, -1), 1.5, -2.25, 1e20, 1e21, 1e-6, 1e-7, 123456789.123, math.MaxFloat64,
		math.SmallestNonzeroFloat64, 5e-324, 0.1 + 0.2,
		float32(0.1), float32(1e21), float32(1e-7), float32(3.4028235e38), float32(-0.000001),
		[]byte{}, []byte{0, 1, 254, 255}, []byte("hello world"), []byte(nil),
		time.Date(2000, 1, 1, 12, 30, 15, 250_000_000, time.UTC), time.Date(1, 2, 3, 4, 5, 6, 7, local),
		time.Time{},
		[]string{}, []string{"a", s}, []string(nil),
		[]any{}, []any{1, "two", nil, []any{3.5, map[string]any{}}}, []any(nil),
		map[string]any{}, map[string]any{"b": 1, "a": []any{"x"}, s: s, "": nil}, map[string]any(nil),
		map[string]string{}, map[string]string{"z": "1", "y": s}, map[string]string(nil),
		jsonPoint{Name: s, Value: -3}, &jsonPoint{}, jsonMarshaler{}, jsonText("t<"), []int{1, 2},
		map[string]any{"inner": jsonPoint{Name: "p"}, "m": jsonMarshaler{}},
	}
	// Many keys: more than are sorted on the stack.
	many := map[string]any{}
	for i := range 40 {
		many[string(rune('A'+i))] = i
	}
	values = append(values, many)
	for _, v := range values {
		got, err := protocol.NewJSON().Append(nil, &protocol.StreamItem{InvocationID: "1", Item: v})
		if err != nil {
			t.Errorf("Append(%#v): %v", v, err)
			continue
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		wantMsg := `{"type":2,"invocationId":"1","item":` + strings.TrimSuffix(want.String(), "\n") + "}\x1e"
		if string(got) != wantMsg {
			t.Errorf("value %#v\n got  %s\n want %s", v, got, wantMsg)
		}
	}
}

func TestJSONStringsMatchEncodingJSON(t *testing.T) {
	// Every single byte and a sweep of runes around the special cases.
	var cases []string
	for c := range 256 {
		cases = append(cases, "x"+string([]byte{byte(c)})+"y")
	}
	for r := rune(0); r < 0x3000; r += 7 {
		cases = append(cases, string(r)+"\u2028"+string(r+1))
	}
	for _, s := range cases {
		got, err := protocol.NewJSON().Append(nil, &protocol.Ping{})
		if err != nil {
			t.Fatal(err)
		}
		got, err = protocol.NewJSON().Append(got[:0], &protocol.Invocation{Target: s, Arguments: []any{}})
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		wantMsg := `{"type":1,"target":` + strings.TrimSuffix(want.String(), "\n") + `,"arguments":[]}` + "\x1e"
		if string(got) != wantMsg {
			t.Errorf("string %q\n got  %s\n want %s", s, got, wantMsg)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	hp := protocol.NewJSON()
	msgs := []protocol.Message{
		&protocol.Invocation{InvocationID: "1", Target: "Send \"😀\"", Headers: map[string]string{"k\n": "v\u2028"},
			Arguments: []any{"alice", 17, 2.5, true, nil, []any{"x"}, map[string]any{"k": "v"}}, StreamIDs: []string{"4"}},
		&protocol.StreamInvocation{InvocationID: "2", Target: "Counter", Arguments: []any{}},
		&protocol.StreamItem{InvocationID: "3", Item: "item"},
		&protocol.Completion{InvocationID: "4", Result: []byte{1, 2}, HasResult: true},
		&protocol.Completion{InvocationID: "4", HasResult: true},
		&protocol.Completion{InvocationID: "5", Error: "boom"},
		&protocol.Completion{InvocationID: "6"},
		&protocol.CancelInvocation{InvocationID: "7"},
		&protocol.Ping{},
		&protocol.Close{Error: "bye", AllowReconnect: true},
		&protocol.Ack{SequenceID: math.MaxInt64},
		&protocol.Sequence{SequenceID: math.MinInt64},
	}
	var stream []byte
	for _, m := range msgs {
		var err error
		if stream, err = hp.Append(stream, m); err != nil {
			t.Fatal(err)
		}
	}
	// Decode the concatenation, then compare each value through
	// encoding/json to see past Raw.
	for i, want := range msgs {
		body, n, err := hp.NextFrame(stream, protocol.DefaultMaxMessageSize)
		if err != nil || n == 0 {
			t.Fatalf("message %d: NextFrame %d, %v", i, n, err)
		}
		stream = stream[n:]
		got, err := hp.Decode(body)
		if err != nil {
			t.Fatalf("message %d: Decode(%s): %v", i, body, err)
		}
		if g, w := jsonCanonical(t, hp, got), jsonCanonical(t, hp, want); g != w {
			t.Errorf("message %d:\n got  %s\n want %s", i, g, w)
		}
	}
	if len(stream) != 0 {
		t.Fatalf("%d bytes left", len(stream))
	}
}

// jsonCanonical re-encodes a message so that Raw and Go values compare.
func jsonCanonical(t *testing.T, hp protocol.HubProtocol, m protocol.Message) string {
	t.Helper()
	b, err := hp.Append(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(bytes.TrimSuffix(b, []byte{0x1e}), &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func TestJSONUnmarshalMatchesEncodingJSON(t *testing.T) {
	inputs := []string{
		`"plain"`, `"esc\"aped\n\u00e9\ud83d\ude00"`, `"\ud800"`, `"\udc00x"`, "\"\xff\"", `"x" `, ` "x"`, `"a"b`,
		`0`, `-0`, `17`, `-17`, `123456789012345`, `1234567890123456789`, `9223372036854775807`,
		`9223372036854775808`, `-9223372036854775809`, `1.5`, `-2.5e3`, `1e400`, `1E2`, `0.1`, `01`, `1.`, `-`,
		`true`, `false`, `null`, `nul`, `truex`, `[1,"a"]`, `{"a":1}`, ``, ` `, `"`, `[`, `{"name":"p","value":3}`,
	}
	targets := []func() any{
		func() any { return new(string) },
		func() any { return new(bool) },
		func() any { return new(int) },
		func() any { return new(int64) },
		func() any { return new(float64) },
		func() any { return new(any) },
		func() any { return new(json.RawMessage) },
		func() any { return new(jsonPoint) },
		func() any { p := "keep"; return &p },
		func() any { var p any = "keep"; return &p },
	}
	for _, in := range inputs {
		for _, target := range targets {
			got, want := target(), target()
			gotErr := protocol.NewJSON().Unmarshal(protocol.Raw(in), got)
			wantErr := json.Unmarshal([]byte(in), want)
			if (gotErr == nil) != (wantErr == nil) {
				t.Errorf("Unmarshal(%q, %T): err %v, encoding/json %v", in, got, gotErr, wantErr)
				continue
			}
			if gotErr != nil && !errors.Is(gotErr, protocol.ErrInvalidMessage) {
				t.Errorf("Unmarshal(%q, %T): %v does not wrap ErrInvalidMessage", in, got, gotErr)
			}
			g, w := reflect.ValueOf(got).Elem().Interface(), reflect.ValueOf(want).Elem().Interface()
			if !reflect.DeepEqual(g, w) {
				t.Errorf("Unmarshal(%q, %T) = %#v, encoding/json %#v", in, got, g, w)
			}
			if f, ok := g.(float64); ok && math.Signbit(f) != math.Signbit(w.(float64)) {
				t.Errorf("Unmarshal(%q, %T) = %v, sign differs from %v", in, got, g, w)
			}
		}
	}
}

func TestJSONUnmarshalRaw(t *testing.T) {
	hp := protocol.NewJSON()
	var r protocol.Raw
	if err := hp.Unmarshal(protocol.Raw(`{"a":[1]}`), &r); err != nil || string(r) != `{"a":[1]}` {
		t.Fatalf("*Raw: %q, %v", r, err)
	}
	if err := hp.Unmarshal(protocol.Raw(`{"a":`), &r); !errors.Is(err, protocol.ErrInvalidMessage) {
		t.Fatalf("*Raw of broken JSON: %v", err)
	}
	for _, v := range []any{nil, 5, new(chan int)} {
		if err := hp.Unmarshal(protocol.Raw(`1`), v); err == nil {
			t.Errorf("Unmarshal into %T succeeded", v)
		}
	}
	if err := hp.Unmarshal(nil, new(any)); err == nil {
		t.Error("Unmarshal of nil succeeded")
	}
}

func TestJSONEncodeAllocations(t *testing.T) {
	hp := protocol.NewJSON()
	when := time.Date(2000, 1, 1, 0, 0, 0, 5, time.UTC)
	m := &protocol.Invocation{InvocationID: "42", Target: "SendMessage", Headers: map[string]string{"a": "b"},
		Arguments: []any{"alice", "hello world", 17, 2.5, true, nil, protocol.Raw(`[1]`), json.RawMessage(`{}`),
			[]byte{1}, when, []string{"x"}, []any{1, "y"}, map[string]any{"k": 1, "j": "v"}, map[string]string{"k": "v"},
			int8(1), uint64(2), float32(1.5)}}
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		if buf, err = hp.Append(buf[:0], m); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Append allocates %v times per message", allocs)
	}
}

func TestJSONDecodeAllocations(t *testing.T) {
	hp := protocol.NewJSON()
	body := []byte(`{"type":1,"invocationId":"42","target":"SendMessage","arguments":["alice","hello world",17]}`)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := hp.Decode(body); err != nil {
			t.Fatal(err)
		}
	})
	// The message with its arguments slice, one string, three boxed Raws.
	if allocs > 5 {
		t.Fatalf("Decode allocates %v times per message", allocs)
	}
}
