package transport

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/signalr-go/signalr/protocol"
)

func TestWebSocketEcho(t *testing.T) {
	tests := []struct {
		name   string
		format protocol.TransferFormat
		typ    int
	}{
		{"text", protocol.TextFormat, websocket.TextMessage},
		{"binary", protocol.BinaryFormat, websocket.BinaryMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder()
			rec.onOpen = func(c *Conn) error { c.SetFormat(tt.format); return nil }
			f := newFixtureWith(t, rec, Options{})
			ws := f.mustDial("id=" + f.token())
			c := <-rec.opened
			if c.Transport() != WebSockets || !c.SupportsFormat(protocol.BinaryFormat) {
				t.Fatalf("transport %v", c.Transport())
			}
			ws.WriteMessage(websocket.TextMessage, []byte("hello\x1e"))
			if got := readN(t, ws, 6, tt.typ); string(got) != "hello\x1e" {
				t.Fatalf("got %q", got)
			}
			// A graceful close by the client ends the connection without error.
			ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
			if ev := rec.waitClosed(t); ev.err != nil {
				t.Fatalf("Closed(%v)", ev.err)
			}
		})
	}
}

func TestWebSocketOrder(t *testing.T) {
	f := newFixture(t, Options{})
	ws := f.mustDial("id=" + f.token())
	var want bytes.Buffer
	go func() {
		for i := range 1000 {
			ws.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, "m%04d\x1e", i))
		}
	}()
	for i := range 1000 {
		fmt.Fprintf(&want, "m%04d\x1e", i)
	}
	if got := readN(t, ws, want.Len(), websocket.TextMessage); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("out of order:\n%q", got)
	}
}

func TestWebSocketLargeMessage(t *testing.T) {
	f := newFixture(t, Options{})
	ws := f.mustDial("id=" + f.token())
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	go ws.WriteMessage(websocket.BinaryMessage, big)
	if got := readN(t, ws, len(big), websocket.TextMessage); !bytes.Equal(got, big) {
		t.Fatal("large message corrupted")
	}
}

func TestWebSocketSkipNegotiation(t *testing.T) {
	f := newFixture(t, Options{})
	ws := f.mustDial("")
	c := <-f.rec.opened
	if len(c.ID()) != 22 || c.StatefulReconnect() {
		t.Fatalf("id %q stateful %v", c.ID(), c.StatefulReconnect())
	}
	ws.WriteMessage(websocket.TextMessage, []byte("x"))
	readN(t, ws, 1, websocket.TextMessage)
}

func TestWebSocketServerClose(t *testing.T) {
	f := newFixture(t, Options{})
	ws := f.mustDial("id=" + f.token())
	c := <-f.rec.opened
	boom := errors.New("boom")
	c.Write([]byte("last\x1e"))
	c.Close(boom)
	if err := c.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after Close: %v", err)
	}
	if got := readN(t, ws, 5, websocket.TextMessage); string(got) != "last\x1e" {
		t.Fatalf("got %q", got)
	}
	_, _, err := ws.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Fatalf("want close 1000, got %v", err)
	}
	if ev := f.rec.waitClosed(t); !errors.Is(ev.err, boom) {
		t.Fatalf("Closed(%v)", ev.err)
	}
	if _, resp, err := f.dial("id=" + c.token); err == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("reconnect to closed connection: %v", err)
	}
}

func TestWebSocketOrigin(t *testing.T) {
	tests := []struct {
		name   string
		opts   Options
		origin string
		ok     bool
	}{
		{"no origin", Options{}, "", true},
		{"same origin", Options{}, "http://SAME", true},
		{"https origin on http", Options{}, "https://SAME", false},
		{"other port", Options{}, "http://127.0.0.1:1", false},
		{"origin with a path", Options{}, "http://SAME/x", false},
		{"foreign refused", Options{}, "http://evil.example", false},
		{"allowed", Options{AllowedOrigins: []string{"http://app.example"}}, "http://app.example", true},
		{"wildcard", Options{AllowedOrigins: []string{"*"}}, "http://any.example", true},
		{"check func", Options{CheckOrigin: func(*http.Request) bool { return false }}, "http://app.example", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.opts)
			h := http.Header{}
			if scheme, path, ok := strings.Cut(tt.origin, "SAME"); ok {
				h.Set("Origin", scheme+f.ts.Listener.Addr().String()+path)
			} else if tt.origin != "" {
				h.Set("Origin", tt.origin)
			}
			u := "ws" + f.ts.URL[len("http"):] + "/hub?id=" + f.token()
			ws, resp, err := websocket.DefaultDialer.Dial(u, h)
			if tt.ok != (err == nil) {
				t.Fatalf("dial: %v %v", err, resp)
			}
			if ws != nil {
				ws.Close()
			}
		})
	}
}

func TestWebSocketOpenRefused(t *testing.T) {
	rec := newRecorder()
	rec.onOpen = func(*Conn) error { return errors.New("no") }
	f := newFixtureWith(t, rec, Options{})
	ws := f.mustDial("id=" + f.token())
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseInternalServerErr) {
		t.Fatalf("want close 1011, got %v", err)
	}
	select {
	case ev := <-rec.closed:
		t.Fatalf("Closed(%v) after a refused Open", ev.err)
	case <-time.After(50 * time.Millisecond):
	}
}

// TestWebSocketPing: a ping from the client is answered with a pong that
// carries its data.
func TestWebSocketPing(t *testing.T) {
	f := newFixture(t, Options{})
	ws := f.mustDial("id=" + f.token())
	<-f.rec.opened
	pong := make(chan string, 1)
	ws.SetPongHandler(func(data string) error { pong <- data; return nil })
	if err := ws.WriteControl(websocket.PingMessage, []byte("are you there"), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	// Pongs are handled while reading: the echo of a message after the
	// ping comes after the pong.
	ws.WriteMessage(websocket.TextMessage, []byte("x\x1e"))
	readN(t, ws, 2, websocket.TextMessage)
	select {
	case got := <-pong:
		if got != "are you there" {
			t.Fatalf("pong %q", got)
		}
	default:
		t.Fatal("no pong before the echo")
	}
}
