package client

import (
	"context"
	"strings"
	"testing"

	"github.com/signalr-go/signalr/protocol"
)

// TestDirectHandlers checks that the shapes called without reflection
// bind and report errors as the reflective path does.
func TestDirectHandlers(t *testing.T) {
	p := protocol.NewJSON()
	var got []any
	cases := []struct {
		fn   any
		args []any
		want []any
	}{
		{func() { got = append(got, "called") }, nil, []any{"called"}},
		{func(s string) { got = append(got, s) }, []any{"é"}, []any{"é"}},
		{func(a, b string) { got = append(got, a, b) }, []any{"a", "b"}, []any{"a", "b"}},
		{func(n int) { got = append(got, n) }, []any{-3}, []any{-3}},
		{func(n int64) { got = append(got, n) }, []any{int64(1) << 40}, []any{int64(1) << 40}},
		{func(f float64) { got = append(got, f) }, []any{2.5}, []any{2.5}},
		{func(b bool) { got = append(got, b) }, []any{true}, []any{true}},
		{func(v any) { got = append(got, v) }, []any{"x"}, []any{"x"}},
	}
	for _, tc := range cases {
		h, err := newHandler(tc.fn)
		if err != nil || h.direct == nil {
			t.Fatalf("%T: %v, direct %v", tc.fn, err, h.direct != nil)
		}
		raws := make([]any, len(tc.args))
		for i, a := range tc.args {
			raws[i] = raw(t, p, a)
		}
		got = nil
		if _, _, err := h.call(context.Background(), p, raws); err != nil {
			t.Fatalf("%T: %v", tc.fn, err)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%T: got %v, want %v", tc.fn, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%T: got %v, want %v", tc.fn, got, tc.want)
			}
		}
	}

	h, _ := newHandler(func(n int) { panic("boom") })
	if _, _, err := h.call(context.Background(), p, []any{raw(t, p, 1)}); err == nil || !strings.Contains(err.Error(), "handler panicked: boom") {
		t.Errorf("panic: err = %v", err)
	}
	if _, _, err := h.call(context.Background(), p, []any{raw(t, p, "not a number")}); err == nil || !strings.Contains(err.Error(), "binding argument 0") {
		t.Errorf("bad argument: err = %v", err)
	}
	if _, _, err := h.call(context.Background(), p, []any{1}); err == nil || !strings.Contains(err.Error(), "not a raw value") {
		t.Errorf("non-raw argument: err = %v", err)
	}
	if _, _, err := h.call(context.Background(), p, nil); err == nil || !strings.Contains(err.Error(), "expects 1 argument") {
		t.Errorf("argument count: err = %v", err)
	}
}
