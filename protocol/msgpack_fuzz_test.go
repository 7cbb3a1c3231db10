package protocol

import (
	"fmt"
	"reflect"
	"testing"
	"unicode/utf8"
)

// FuzzMessagePackDecode feeds arbitrary bytes to NextFrame and Decode.
// Whatever decodes must hold only valid UTF-8 (text.go's rule), survive
// Append and decode to the same message, and every Raw value must
// unmarshal into any, with valid strings, and round-trip.
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
		// Text that is not UTF-8, repaired rather than refused.
		"14 96 01 81 a1 ff a2 76 c0 a2 30 ff a2 4d ed 91 a3 ed a0 80 90",
		"12 94 02 80 a1 31 82 a2 6b ff 91 a2 e2 82 a1 62 c4 01 ff",
		"0a 95 03 80 a2 31 f0 01 a2 65 c0",
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
	if err := invalidText(mp, m); err != nil {
		t.Fatalf("Decode(% x): %v", body, err)
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
	if !validStrings(x) {
		t.Fatalf("Unmarshal(% x) into any gave a string that is not UTF-8: %#v", raw, x)
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

// validStrings reports whether every string in v, a value unmarshalled
// into any, is valid UTF-8.
func validStrings(v any) bool {
	switch v := v.(type) {
	case string:
		return utf8.ValidString(v)
	case []any:
		for _, e := range v {
			if !validStrings(e) {
				return false
			}
		}
	case map[string]any:
		for k, e := range v {
			if !utf8.ValidString(k) || !validStrings(e) {
				return false
			}
		}
	}
	return true
}
