package protocol

import (
	"fmt"
	"reflect"
	"testing"
)

// FuzzMessagePackDecode feeds arbitrary bytes to NextFrame and Decode.
// Whatever decodes must survive Append and decode to the same message,
// and every Raw value must unmarshal into any and round-trip.
func FuzzMessagePackDecode(f *testing.F) {
	// Framed messages: the JavaScript client's vectors and some edge cases.
	seeds := []string{
		"09 95 01 80 a1 30 a1 6d 91 2a",
		"08 95 01 80 c0 a1 6d 91 2a",
		"0b 96 01 80 a1 30 a1 6d 90 91 a1 31",
		"08 95 04 80 a1 33 a1 73 90",
		"06 94 02 80 a1 33 07",
		"06 94 03 80 a1 31 02",
		"07 95 03 80 a1 31 03 c0",
		"08 95 03 80 a1 31 01 a1 65",
		"05 93 05 80 a1 33",
		"02 91 06",
		"03 92 07 c0",
		"04 93 07 a0 c3",
		"03 92 08 05",
		"0b 92 09 cf 7f ff ff ff ff ff ff ff",
		"10 96 01 81 a1 61 a1 62 a2 73 31 a1 6d 90 91 a1 31",
		"1a 94 02 80 a1 31 86 a1 61 c4 01 09 a1 62 d6 ff 00 00 00 01 a1 63 cb 3f f8 00 00 00 00 00 00 01 ca 00",
		"05 dd ff ff ff ff",
		"ff ff ff ff 0f",
	}
	for _, s := range seeds {
		f.Add(unhex(f, s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var mp MessagePack
		if body, n, err := mp.NextFrame(data, DefaultMaxMessageSize); err == nil && n > 0 {
			checkMsgpackRoundTrip(t, body)
		}
		// The body alone too, so that the fuzzer need not find the prefix.
		checkMsgpackRoundTrip(t, data)
	})
}

func checkMsgpackRoundTrip(t *testing.T, body []byte) {
	var mp MessagePack
	m, err := mp.Decode(body)
	if err != nil || m == nil {
		return
	}
	frame, err := mp.Append(nil, m)
	if err != nil {
		t.Fatalf("Append(%#v): %v", m, err)
	}
	body2, n, err := mp.NextFrame(frame, 0)
	if err != nil || n != len(frame) {
		t.Fatalf("NextFrame of own frame % x: %d, %v", frame, n, err)
	}
	m2, err := mp.Decode(body2)
	if err != nil {
		t.Fatalf("Decode of own frame % x: %v", frame, err)
	}
	if !reflect.DeepEqual(m, m2) {
		t.Fatalf("round trip changed\n%#v\nto\n%#v", m, m2)
	}
	for _, raw := range msgpackRaws(m) {
		checkMsgpackValue(t, raw)
	}
}

// msgpackRaws lists the Raw values of m.
func msgpackRaws(m Message) []any {
	switch m := m.(type) {
	case *Invocation:
		return m.Arguments
	case *StreamInvocation:
		return m.Arguments
	case *StreamItem:
		return []any{m.Item}
	case *Completion:
		if m.HasResult {
			return []any{m.Result}
		}
	}
	return nil
}

// checkMsgpackValue unmarshals raw into any, encodes that again and checks
// that it reads back the same; decoding failures are fine (unsupported
// extension types, say), panics and drift are not.
func checkMsgpackValue(t *testing.T, v any) {
	var mp MessagePack
	raw := v.(Raw)
	var s struct {
		A int            `json:"a"`
		B string         `json:"b"`
		C []byte         `json:"c"`
		D map[string]any `json:"d"`
		E []float64      `json:"e"`
	}
	_ = mp.Unmarshal(raw, &s) // the reflection path must not panic either
	var x any
	if err := mp.Unmarshal(raw, &x); err != nil {
		return
	}
	b, err := appendMsgpackValue(nil, x, 0)
	if err != nil {
		t.Fatalf("re-encoding %#v: %v", x, err)
	}
	var y any
	if err := mp.Unmarshal(b, &y); err != nil {
		t.Fatalf("Unmarshal of re-encoded % x: %v", b, err)
	}
	// %#v prints maps sorted and NaNs alike, unlike DeepEqual.
	if sx, sy := fmt.Sprintf("%#v", x), fmt.Sprintf("%#v", y); sx != sy {
		t.Fatalf("value changed\n%s\nto\n%s", sx, sy)
	}
}
