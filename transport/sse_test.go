package transport

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/signalr-go/signalr/protocol"
)

func TestSSEEvent(t *testing.T) {
	tests := []struct {
		batch []string
		want  string
	}{
		{[]string{"a\x1e"}, "data: a\x1e\r\n\r\n"},
		{[]string{"a\x1e", "b\x1e"}, "data: a\x1eb\x1e\r\n\r\n"},
		{[]string{"l1\nl2\r\nl3"}, "data: l1\r\ndata: l2\r\ndata: l3\r\n\r\n"},
		{[]string{"x\n"}, "data: x\r\ndata: \r\n\r\n"},
	}
	for _, tt := range tests {
		var batch [][]byte
		for _, m := range tt.batch {
			batch = append(batch, []byte(m))
		}
		if got := string(sseEvent(batch)); got != tt.want {
			t.Errorf("sseEvent(%q) = %q, want %q", tt.batch, got, tt.want)
		}
	}
}

func TestSSEEchoInOrder(t *testing.T) {
	f := newFixture(t, Options{})
	token := f.token()
	s := f.openSSE(token)
	if s.resp.StatusCode != http.StatusOK || s.resp.Header.Get("Content-Type") != "text/event-stream" ||
		s.resp.Header.Get("Cache-Control") != "no-cache,no-store" {
		t.Fatalf("status %d headers %v", s.resp.StatusCode, s.resp.Header)
	}
	s.waitFor(t, ":\r\n")
	c := <-f.rec.opened
	if c.SupportsFormat(protocol.BinaryFormat) || !c.SupportsFormat(protocol.TextFormat) {
		t.Fatal("SSE must support text only")
	}
	var want strings.Builder
	for i := range 1000 {
		msg := fmt.Sprintf("m%04d\x1e", i)
		want.WriteString(msg)
		if status, body, _ := f.do(http.MethodPost, "/hub?id="+token, msg, nil); status != http.StatusOK {
			t.Fatalf("POST %d: %d %q", i, status, body)
		}
	}
	got := s.waitFor(t, "m0999\x1e")
	// Strip the framing: the payloads, concatenated, are the messages in order.
	var payload strings.Builder
	for _, ev := range strings.Split(strings.TrimPrefix(got, ":\r\n"), "\r\n\r\n") {
		payload.WriteString(strings.TrimPrefix(ev, "data: "))
	}
	if payload.String() != want.String() {
		t.Fatalf("out of order: %q", payload.String())
	}
	// A second stream on the same id is refused; closing the stream ends
	// the connection gracefully.
	if status, _, _ := f.do(http.MethodGet, "/hub?id="+token, "", http.Header{"Accept": {"text/event-stream"}}); status != http.StatusConflict {
		t.Fatalf("second SSE: %d", status)
	}
	s.resp.Body.Close()
	if ev := f.rec.waitClosed(t); ev.err != nil {
		t.Fatalf("Closed(%v)", ev.err)
	}
}
