package protocol

import (
	"fmt"
	"reflect"
	"testing"
	"unicode/utf8"
)

// textCases are strings that are not all UTF-8 and what the decoders make
// of them (see text.go).
var textCases = []struct{ in, want string }{
	{"plain ✓ 😀", "plain ✓ 😀"},
	{"a\xffb", "a\uFFFDb"},
	{"\xed\xa0\x80", "\uFFFD"},                       // an unpaired surrogate as JavaScript's MessagePack encoder writes it
	{"x\xed\xb0\x80y\xed\xa0\x80", "x\uFFFDy\uFFFD"}, // low, then high, each alone
	{"\xe2\x82", "\uFFFD"},                           // a truncated sequence is one
	{"\xe2\x82A", "\uFFFDA"},
	{"\xf0\x9f\x98", "\uFFFD"},
	{"\xc0\xaf", "\uFFFD\uFFFD"}, // overlong: no valid start at all
	{"\xed\xa0", "\uFFFD\uFFFD"},
	{"\xf4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"}, // beyond U+10FFFF
	{"\xef\xbf\xbd", "\uFFFD"},                       // U+FFFD itself is valid
}

func TestAppendValidUTF8(t *testing.T) {
	for _, tc := range textCases {
		if got := string(appendValidUTF8(nil, []byte(tc.in))); got != tc.want {
			t.Errorf("appendValidUTF8(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestInvalidTextRepaired: over both protocols, text that is not UTF-8 in
// every string of a message, and in its argument values, decodes as valid
// UTF-8 with U+FFFD in place of each invalid sequence, and the message is
// not refused.
func TestInvalidTextRepaired(t *testing.T) {
	for _, tc := range textCases {
		s := tc.in
		inv := &Invocation{
			InvocationID: "id" + s, Target: "T" + s, Headers: map[string]string{"k" + s: "v" + s},
			Arguments: []any{s, map[string]any{"m" + s: []any{s}}}, StreamIDs: []string{"s" + s},
		}
		// The MessagePack encoder writes strings as given, which makes the
		// frames a hostile client would send; the JSON one is written here.
		frame, err := MessagePack{}.Append(nil, inv)
		if err != nil {
			t.Fatal(err)
		}
		body, _, err := MessagePack{}.NextFrame(frame, 0)
		if err != nil {
			t.Fatal(err)
		}
		jsonBody := fmt.Sprintf(`{"type":1,"invocationId":"id%s","target":"T%s","headers":{"k%s":"v%s"},"arguments":["%s",{"m%s":["%s"]}],"streamIds":["s%s"]}`,
			s, s, s, s, s, s, s, s)
		for _, p := range []struct {
			hp   HubProtocol
			body []byte
		}{{MessagePack{}, body}, {NewJSON(), []byte(jsonBody)}} {
			m, err := p.hp.Decode(p.body)
			if err != nil {
				t.Errorf("%s: Decode of %q: %v", p.hp.Name(), s, err)
				continue
			}
			got := m.(*Invocation)
			w := tc.want
			if got.InvocationID != "id"+w || got.Target != "T"+w || got.Headers["k"+w] != "v"+w || !reflect.DeepEqual(got.StreamIDs, []string{"s" + w}) {
				t.Errorf("%s: %q decoded as %+v", p.hp.Name(), s, got)
			}
			var arg string
			var any1 any
			var nested map[string][]string
			if err := p.hp.Unmarshal(got.Arguments[0].(Raw), &arg); err != nil || arg != w {
				t.Errorf("%s: argument %q = %q, %v; want %q", p.hp.Name(), s, arg, err, w)
			}
			if err := p.hp.Unmarshal(got.Arguments[1].(Raw), &any1); err != nil || fmt.Sprint(any1) != fmt.Sprint(map[string]any{"m" + w: []any{w}}) {
				t.Errorf("%s: argument {m%q:[%q]} into any = %v, %v", p.hp.Name(), s, s, any1, err)
			}
			if err := p.hp.Unmarshal(got.Arguments[1].(Raw), &nested); err != nil || !reflect.DeepEqual(nested, map[string][]string{"m" + w: {w}}) {
				t.Errorf("%s: argument {m%q:[%q]} into a map = %v, %v", p.hp.Name(), s, s, nested, err)
			}
		}
	}
}

// TestJSONUnpairedSurrogateEscapes: a \u escape of an unpaired surrogate,
// which is how the JavaScript client's JSON.stringify writes one, becomes
// one U+FFFD, in message fields and in values alike.
func TestJSONUnpairedSurrogateEscapes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`\ud800`, "\uFFFD"},
		{`\udc00\ud800`, "\uFFFD\uFFFD"},
		{`\ud800A`, "\uFFFDA"},
		{`\ud800\u0041`, "\uFFFDA"},
		{`\ud83d\ude00`, "😀"},
	} {
		m, err := NewJSON().Decode([]byte(`{"type":1,"target":"` + tc.in + `","arguments":["` + tc.in + `"]}`))
		if err != nil {
			t.Errorf("Decode of %s: %v", tc.in, err)
			continue
		}
		inv := m.(*Invocation)
		var arg string
		if err := NewJSON().Unmarshal(inv.Arguments[0].(Raw), &arg); err != nil || inv.Target != tc.want || arg != tc.want {
			t.Errorf("%s: target %q, argument %q (%v); want %q", tc.in, inv.Target, arg, err, tc.want)
		}
	}
}

// TestMessagePackBinIntoString: a bin decoded into a string target holds
// anything; it is repaired like a str.
func TestMessagePackBinIntoString(t *testing.T) {
	var s string
	if err := (MessagePack{}).Unmarshal(Raw{mpBin8, 3, 'a', 0xff, 'b'}, &s); err != nil || s != "a\uFFFDb" {
		t.Errorf("bin into string = %q, %v", s, err)
	}
}

// invalidText reports a string of m, or a str in its values, that is not
// valid UTF-8: the rule FuzzJSONDecode and FuzzMessagePackDecode check for
// whatever decodes.
func invalidText(hp HubProtocol, m Message) error {
	var texts []string
	var raws []any
	switch m := m.(type) {
	case *Invocation:
		texts = append(append(texts, m.InvocationID, m.Target), m.StreamIDs...)
		for k, v := range m.Headers {
			texts = append(texts, k, v)
		}
		raws = m.Arguments
	case *StreamInvocation:
		texts = append(append(texts, m.InvocationID, m.Target), m.StreamIDs...)
		for k, v := range m.Headers {
			texts = append(texts, k, v)
		}
		raws = m.Arguments
	case *StreamItem:
		texts, raws = append(texts, m.InvocationID), []any{m.Item}
	case *Completion:
		texts = append(texts, m.InvocationID, m.Error)
		if m.HasResult {
			raws = []any{m.Result}
		}
	case *CancelInvocation:
		texts = append(texts, m.InvocationID)
	case *Close:
		texts = append(texts, m.Error)
	}
	for _, s := range texts {
		if !utf8.ValidString(s) {
			return fmt.Errorf("%s: decoded a string that is not UTF-8: %q in %#v", hp.Name(), s, m)
		}
	}
	for _, v := range raws {
		raw, ok := v.(Raw)
		if !ok {
			continue
		}
		if hp.Name() == "json" {
			if !utf8.Valid(raw) {
				return fmt.Errorf("json: a value that is not UTF-8: %q", raw)
			}
			continue
		}
		r := msgpackReader{buf: raw}
		if _, err := r.skip(0); err != nil || r.badText {
			return fmt.Errorf("messagepack: a value with a str that is not UTF-8 (%v): % x", err, raw)
		}
	}
	return nil
}

func TestInvalidTextCatches(t *testing.T) {
	// The fuzz targets' check must be able to fail: messages built by
	// hand, not by Decode, show what it reports.
	for _, c := range []struct {
		hp HubProtocol
		m  Message
	}{
		{MessagePack{}, &StreamItem{InvocationID: "1", Item: Raw{0xa1, 0xff}}},
		{MessagePack{}, &Invocation{Target: "\xed\xa0\x80"}},
		{NewJSON(), &Completion{InvocationID: "1", Result: Raw("\"\xff\""), HasResult: true}},
	} {
		if invalidText(c.hp, c.m) == nil {
			t.Errorf("%s: %#v passed", c.hp.Name(), c.m)
		}
	}
}
