package transport

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// statefulFixture negotiates a stateful-reconnect connection over a
// WebSocket and returns the token, the socket and the server's Conn.
func statefulFixture(t *testing.T) (*fixture, string, *websocket.Conn, *Conn) {
	rec := newRecorder()
	rec.resumeMsg = []byte("resumed\x1e")
	f := newFixtureWith(t, rec, Options{AllowStatefulReconnect: true, DisconnectTimeout: 300 * time.Millisecond})
	r := f.negotiate("negotiateVersion=1&useStatefulReconnect=true")
	if !r.UseStatefulReconnect {
		t.Fatal("stateful reconnect not granted")
	}
	ws := f.mustDial("id=" + r.ConnectionToken)
	c := <-rec.opened
	if !c.StatefulReconnect() {
		t.Fatal("StatefulReconnect() = false")
	}
	return f, r.ConnectionToken, ws, c
}

// waitState waits until c is in state st.
func waitState(t *testing.T, c *Conn, st state) {
	t.Helper()
	for range 500 {
		c.mu.Lock()
		got := c.state
		c.mu.Unlock()
		if got == st {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("connection never reached state %d", st)
}

func TestStatefulReconnect(t *testing.T) {
	f, token, ws, c := statefulFixture(t)
	ws.WriteMessage(websocket.TextMessage, []byte("a\x1e"))
	readN(t, ws, 2, websocket.TextMessage)

	// Drop without a close frame: the connection waits for its client.
	ws.UnderlyingConn().Close()
	waitState(t, c, stInactive)
	if err := c.Write([]byte("lost\x1e")); err != nil {
		t.Fatalf("Write while waiting: %v", err)
	}
	ws2 := f.mustDial("id=" + token)
	select {
	case got := <-f.rec.resumed:
		if got != c {
			t.Fatal("Resume on the wrong connection")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Resume not called")
	}
	// Resume's own write comes first; nothing queued for the old socket.
	if got := readN(t, ws2, 8, websocket.TextMessage); string(got) != "resumed\x1e" {
		t.Fatalf("first bytes on the new socket: %q", got)
	}
	ws2.WriteMessage(websocket.TextMessage, []byte("b\x1e"))
	if got := readN(t, ws2, 2, websocket.TextMessage); string(got) != "b\x1e" {
		t.Fatalf("echo after resume: %q", got)
	}
	select {
	case ev := <-f.rec.closed:
		t.Fatalf("Closed(%v) during a resumable drop", ev.err)
	default:
	}

	// Dropped again, and nobody comes back in time.
	ws2.UnderlyingConn().Close()
	if ev := f.rec.waitClosed(t); !errors.Is(ev.err, ErrReconnectTimeout) {
		t.Fatalf("Closed(%v)", ev.err)
	}
	if _, resp, err := f.dial("id=" + token); err == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("reconnect after the window: %v", err)
	}
}

func TestStatefulReconnectReplacesHalfOpenSocket(t *testing.T) {
	f, token, ws, c := statefulFixture(t)
	// The client saw the drop, the server did not: the new socket wins.
	ws2 := f.mustDial("id=" + token)
	<-f.rec.resumed
	readN(t, ws2, 8, websocket.TextMessage)
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := ws.ReadMessage(); err == nil {
		t.Fatal("old socket still open")
	}
	c.Write([]byte("x\x1e"))
	if got := readN(t, ws2, 2, websocket.TextMessage); string(got) != "x\x1e" {
		t.Fatalf("got %q", got)
	}
}

func TestStatefulReconnectEnds(t *testing.T) {
	t.Run("graceful close", func(t *testing.T) {
		f, token, ws, _ := statefulFixture(t)
		ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
		if ev := f.rec.waitClosed(t); ev.err != nil {
			t.Fatalf("Closed(%v)", ev.err)
		}
		if _, resp, err := f.dial("id=" + token); err == nil || resp.StatusCode != http.StatusNotFound {
			t.Fatalf("reconnect after close: %v", err)
		}
	})
	t.Run("disabled", func(t *testing.T) {
		f, token, ws, c := statefulFixture(t)
		c.DisableReconnect()
		if c.StatefulReconnect() {
			t.Fatal("still stateful")
		}
		if _, resp, err := f.dial("id=" + token); err == nil || resp.StatusCode != http.StatusConflict {
			t.Fatalf("second socket while disabled: %v", err)
		}
		ws.UnderlyingConn().Close()
		if ev := f.rec.waitClosed(t); !errors.Is(ev.err, ErrConnectionLost) {
			t.Fatalf("Closed(%v)", ev.err)
		}
		if _, resp, err := f.dial("id=" + token); err == nil || resp.StatusCode != http.StatusNotFound {
			t.Fatalf("stray reconnect: %v", err)
		}
	})
	t.Run("disabled while waiting", func(t *testing.T) {
		f, _, ws, c := statefulFixture(t)
		ws.UnderlyingConn().Close()
		waitState(t, c, stInactive)
		c.DisableReconnect()
		if ev := f.rec.waitClosed(t); !errors.Is(ev.err, ErrConnectionLost) {
			t.Fatalf("Closed(%v)", ev.err)
		}
	})
	t.Run("not stateful", func(t *testing.T) {
		f := newFixture(t, Options{AllowStatefulReconnect: true})
		token := f.token() // negotiated without useStatefulReconnect
		ws := f.mustDial("id=" + token)
		c := <-f.rec.opened
		if c.StatefulReconnect() {
			t.Fatal("stateful without asking")
		}
		ws.UnderlyingConn().Close()
		if ev := f.rec.waitClosed(t); !errors.Is(ev.err, ErrConnectionLost) {
			t.Fatalf("Closed(%v)", ev.err)
		}
	})
}

// A write that gets in between the reconnect and Resume (a hub session
// has it in its replay) must not reach the client before Resume's bytes.
func TestStatefulResumeWritesFirst(t *testing.T) {
	rec := newRecorder()
	rec.onResume = func(c *Conn, write func([]byte) error) {
		c.Write([]byte("early\x1e"))
		write([]byte("resumed\x1e"))
		c.Write([]byte("after\x1e"))
	}
	f := newFixtureWith(t, rec, Options{AllowStatefulReconnect: true, DisconnectTimeout: time.Minute})
	r := f.negotiate("negotiateVersion=1&useStatefulReconnect=true")
	ws := f.mustDial("id=" + r.ConnectionToken)
	c := <-rec.opened
	ws.UnderlyingConn().Close()
	waitState(t, c, stInactive)
	ws2 := f.mustDial("id=" + r.ConnectionToken)
	<-rec.resumed
	want := "resumed\x1eafter\x1e"
	if got := readN(t, ws2, len(want), websocket.TextMessage); string(got) != want {
		t.Fatalf("first bytes on the new socket: %q", got)
	}
}

// Bytes that the reader of a replaced socket still had are not delivered
// after Resume, amid the client's replay: the client replays them too.
func TestStatefulReconnectDropsReadsOfReplacedSocket(t *testing.T) {
	f, token, _, c := statefulFixture(t)
	c.mu.Lock()
	old := c.ws
	c.mu.Unlock()
	ws2 := f.mustDial("id=" + token)
	<-f.rec.resumed
	readN(t, ws2, 8, websocket.TextMessage)
	c.deliver([]byte("late\x1e"), old) // as the old reader would
	ws2.WriteMessage(websocket.TextMessage, []byte("b\x1e"))
	if got := readN(t, ws2, 2, websocket.TextMessage); string(got) != "b\x1e" {
		t.Fatalf("echo after resume: %q", got)
	}
}
