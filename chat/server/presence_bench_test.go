package server

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// BenchmarkPresenceArrivals measures what presence costs on the wire:
// people come online one after the other in one room (sign in, connect,
// join), every one of them reading everything the server sends, and the
// benchmark counts the bytes the server wrote to all of them until it
// falls silent (WebSocket bytes, as the clients read them; sign-in and
// negotiate responses are left out). Each arrival is answered with the room's full member list
// (JoinRoom's result); what the others are told is what presence costs.
//
//	go test -run '^$' -bench PresenceArrivals -benchtime 1x ./chat/server
func BenchmarkPresenceArrivals(b *testing.B) {
	for _, n := range []int{100, 600} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for range b.N {
				sent, msgs := presenceArrivals(b, n)
				b.ReportMetric(float64(sent), "bytes-sent")
				b.ReportMetric(float64(msgs), "frames")
			}
		})
	}
}

func presenceArrivals(tb testing.TB, n int) (sent, nframes int64) {
	cfg := Config{DataDir: tb.TempDir(), LibDir: tb.TempDir(), Logger: discard()}
	app, err := New(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(app)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		app.Shutdown(ctx)
		ts.Close()
	}()
	// Bytes are counted where the clients read them: wrapping the
	// server's connections would take its writes off their fast path.
	var received atomic.Int64
	dialer := &websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{c, &received}, nil
	}}
	bn := &bench{t: tb, app: app, url: ts.URL, dialer: dialer}
	var frames atomic.Int64
	for i := range n {
		lr := bn.login(fmt.Sprintf("person%d", i), "")
		c, _ := bn.dial("/hubs/chat", lr.Token)
		c.must(nil, "JoinRoom", 1)
		go drain(c.ws, &frames)
	}
	// Wait until the server has sent everything presence queued.
	for last := int64(-1); ; time.Sleep(300 * time.Millisecond) {
		now := received.Load()
		if now == last {
			return now, frames.Load()
		}
		last = now
	}
}

// drain reads and discards everything a connection receives, counting
// frames, and pings the server so that a long run is not timed out.
func drain(ws *websocket.Conn, frames *atomic.Int64) {
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if ws.WriteMessage(websocket.TextMessage, []byte("{\"type\":6}\x1e")) != nil {
					return
				}
			}
		}
	}()
	for {
		ws.SetReadDeadline(time.Time{})
		if _, _, err := ws.NextReader(); err != nil {
			return
		}
		frames.Add(1)
	}
}

// countingConn counts the bytes read from a connection.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}
