package redis

import (
	"bytes"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The vectors of ASP.NET Core's RedisProtocolTests (protocols p1 and p2
// each serializing to the byte 0x2A).
func TestInvocationVectors(t *testing.T) {
	encs := []encoding{{"p1", []byte{0x2a}}, {"p2", []byte{0x2a}}}
	const m = "82 A2 7031 C4 01 2A A2 7032 C4 01 2A"
	for _, tc := range []struct {
		name     string
		excluded []string
		want     string
	}{
		{"none", nil, "92 90 " + m},
		{"one", []string{"a"}, "92 91 A1 61 " + m},
		{"six", []string{"a", "b", "c", "d", "e", "f"}, "92 96 A1 61 A1 62 A1 63 A1 64 A1 65 A1 66 " + m},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := unhex(t, tc.want)
			got := appendInvocation(nil, &invocation{excluded: tc.excluded, encodings: encs})
			if !bytes.Equal(got, want) {
				t.Fatalf("encoded % x\nwant    % x", got, want)
			}
			inv, err := parseInvocation(want)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(inv.excluded, tc.excluded) || len(inv.encodings) != 2 || inv.encodings[1].name != "p2" || !bytes.Equal(inv.encodings[1].bytes, []byte{0x2a}) {
				t.Fatalf("decoded %+v", inv)
			}
		})
	}
}

func TestInvocationClientResultAndNames(t *testing.T) {
	in := &invocation{encodings: []encoding{{"json", []byte("{}\x1e")}}, invocationID: "abc", returnChannel: "H:internal:return:S"}
	b := appendInvocation(nil, in)
	if b[0] != 0x94 {
		t.Fatalf("client-result invocation starts % x, want 94", b[:1])
	}
	out, err := parseInvocation(b)
	if err != nil || out.invocationID != "abc" || out.returnChannel != "H:internal:return:S" {
		t.Fatalf("got %+v, %v", out, err)
	}
	multi := appendInvocation(nil, &invocation{encodings: in.encodings, names: []string{"g1", "g2"}})
	if multi[0] != 0x95 || !bytes.Contains(multi, []byte{0xc0, 0xc0, 0x92, 0xa2, 'g', '1'}) {
		t.Fatalf("multi-group invocation % x", multi)
	}
	out, err = parseInvocation(multi)
	if err != nil || out.invocationID != "" || !slices.Equal(out.names, []string{"g1", "g2"}) {
		t.Fatalf("got %+v, %v", out, err)
	}
	// Extra items, as a newer peer may add, are skipped.
	extra := append([]byte{0x96}, multi[1:]...)
	extra = append(extra, 0x81, 0xa1, 'k', 0xcb, 0, 0, 0, 0, 0, 0, 0, 0)
	if _, err := parseInvocation(extra); err != nil {
		t.Fatalf("extra item: %v", err)
	}
}

func TestGroupCommandVectors(t *testing.T) {
	for _, tc := range []struct {
		action byte
		want   string
	}{{groupAdd, "95 2A A1 53 01 A1 47 A1 43"}, {groupRemove, "95 2A A1 53 02 A1 47 A1 43"}} {
		want := unhex(t, tc.want)
		cmd := &groupCommand{id: 42, server: "S", action: tc.action, group: "G", connID: "C"}
		if got := appendGroupCommand(nil, cmd); !bytes.Equal(got, want) {
			t.Fatalf("encoded % x, want % x", got, want)
		}
		got, err := parseGroupCommand(want)
		if err != nil || *got != *cmd {
			t.Fatalf("decoded %+v, %v", got, err)
		}
	}
}

func TestAckVectors(t *testing.T) {
	for id, want := range map[int32]string{0: "91 00", 42: "91 2A", 180: "91 CC B4", 384: "91 CD 01 80", 70000: "91 CE 00 01 11 70"} {
		w := unhex(t, want)
		if got := appendAck(nil, id); !bytes.Equal(got, w) {
			t.Fatalf("ack %d: % x, want % x", id, got, w)
		}
		if got, err := parseAck(w); err != nil || got != id {
			t.Fatalf("parse ack %d: %d, %v", id, got, err)
		}
	}
}

func TestCompletionAndDisconnectRoundTrip(t *testing.T) {
	c := &completion{protocol: "json", bytes: []byte(`{"type":3,"invocationId":"x","result":1}` + "\x1e")}
	b := appendCompletion(nil, c)
	if want := append([]byte{0x92, 0xa4, 'j', 's', 'o', 'n', 0xc4, byte(len(c.bytes))}, c.bytes...); !bytes.Equal(b, want) {
		t.Fatalf("completion % x", b)
	}
	got, err := parseCompletion(b)
	if err != nil || got.protocol != "json" || !bytes.Equal(got.bytes, c.bytes) {
		t.Fatalf("decoded %+v, %v", got, err)
	}
	d := &disconnect{kind: disconnectUser, name: "u", message: "bye"}
	gd, err := parseDisconnect(appendDisconnect(nil, d))
	if err != nil || *gd != *d {
		t.Fatalf("disconnect %+v, %v", gd, err)
	}
}

func TestLongForms(t *testing.T) {
	long := strings.Repeat("x", 70000)
	ids := make([]string, 20)
	for i := range ids {
		ids[i] = long[:i+30]
	}
	in := &invocation{excluded: ids, encodings: []encoding{{long[:300], []byte(long)}}}
	out, err := parseInvocation(appendInvocation(nil, in))
	if err != nil || !slices.Equal(out.excluded, ids) || out.encodings[0].name != long[:300] || len(out.encodings[0].bytes) != 70000 {
		t.Fatalf("long forms: %v", err)
	}
	for _, v := range []int64{-1, -33, -200, -40000, -3000000000, 1 << 40} {
		r := reader{b: appendInt(nil, v)}
		if got := r.int(); got != v || r.end() != nil {
			t.Fatalf("int %d read back as %d (%v)", v, got, r.err)
		}
	}
}

func TestInvalidPayloads(t *testing.T) {
	for name, p := range map[string]string{
		"empty":          "",
		"not array":      "a1 61",
		"short":          "91 90",
		"huge array":     "dd ff ff ff ff",
		"huge string":    "92 91 db ff ff ff ff",
		"truncated bin":  "92 90 81 a1 61 c4 05 01",
		"trailing":       "92 90 80 00",
		"group short":    "94 01 a1 53 01 a1 47",
		"ack not int":    "91 a1 61",
		"deep":           "93 90 80 " + strings.Repeat("91 ", 40) + "00",
		"bad action":     "95 01 a1 53 cd 01 00 a1 47 a1 43",
		"disconnect bad": "93 07 a1 61 a0",
	} {
		b := unhex(t, p)
		errs := []error{}
		_, e1 := parseInvocation(b)
		_, e2 := parseGroupCommand(b)
		_, e3 := parseAck(b)
		_, e4 := parseCompletion(b)
		_, e5 := parseDisconnect(b)
		errs = append(errs, e1, e2, e3, e4, e5)
		for _, err := range errs {
			if err != nil && !errors.Is(err, errPayload) {
				t.Errorf("%s: error %v does not wrap errPayload", name, err)
			}
		}
		if name != "short" && e1 == nil && e2 == nil && e3 == nil && e4 == nil && e5 == nil {
			t.Errorf("%s: every decoder accepted % x", name, b)
		}
	}
}
