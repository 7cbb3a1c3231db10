package transport

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestServerTimeoutsSpareStreams: an http.Server with short ReadTimeout
// and WriteTimeout (as programs set against slow clients) does not cut a
// WebSocket, an SSE stream or a long poll that outlive them.
func TestServerTimeoutsSpareStreams(t *testing.T) {
	const timeout = 200 * time.Millisecond
	f := newFixtureHTTP(t, newRecorder(), Options{PollTimeout: 5 * time.Second}, func(s *http.Server) {
		s.ReadTimeout, s.WriteTimeout = timeout, timeout
	})
	late := func(c *Conn, msg string) {
		time.Sleep(3 * timeout)
		if err := c.Write([]byte(msg)); err != nil {
			t.Errorf("Write after the timeouts: %v", err)
		}
	}

	t.Run("websocket", func(t *testing.T) {
		ws := f.mustDial("id=" + f.token())
		c := <-f.rec.opened
		late(c, "ws\x1e")
		if got := readN(t, ws, 3, websocket.TextMessage); string(got) != "ws\x1e" {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("sse", func(t *testing.T) {
		token := f.token()
		s := f.openSSE(token)
		s.waitFor(t, ":\r\n")
		c := <-f.rec.opened
		late(c, "sse\x1e")
		s.waitFor(t, "data: sse\x1e")
	})
	t.Run("longpolling", func(t *testing.T) {
		token := f.token()
		if status, _, _ := f.do(http.MethodGet, "/hub?id="+token, "", nil); status != http.StatusOK {
			t.Fatalf("first poll: %d", status)
		}
		c := <-f.rec.opened
		go late(c, "lp\x1e")
		status, body, _ := f.do(http.MethodGet, "/hub?id="+token, "", nil)
		if status != http.StatusOK || !strings.Contains(body, "lp\x1e") {
			t.Fatalf("poll: %d %q", status, body)
		}
	})
	t.Run("longpolling timeout", func(t *testing.T) {
		f := newFixtureHTTP(t, newRecorder(), Options{PollTimeout: 3 * timeout}, func(s *http.Server) {
			s.ReadTimeout, s.WriteTimeout = timeout, timeout
		})
		token := f.token()
		f.do(http.MethodGet, "/hub?id="+token, "", nil)
		// Answered empty after PollTimeout, past the WriteTimeout.
		if status, body, _ := f.do(http.MethodGet, "/hub?id="+token, "", nil); status != http.StatusOK || body != "" {
			t.Fatalf("poll: %d %q", status, body)
		}
	})
}
