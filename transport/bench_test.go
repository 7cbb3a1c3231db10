package transport

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// BenchmarkWebSocketEcho measures messages through one connection, both
// ways: the client pipelines 64-byte messages and the echo receiver writes
// each one back.
func BenchmarkWebSocketEcho(b *testing.B) {
	f := newFixture(b, Options{})
	ws := f.mustDial("id=" + f.token())
	<-f.rec.opened
	msg := bytes.Repeat([]byte("x"), 63)
	msg = append(msg, 0x1e)
	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	go func() {
		for range b.N {
			ws.WriteMessage(websocket.TextMessage, msg)
		}
	}()
	if err := discardN(ws, b.N*len(msg)); err != nil {
		b.Fatal(err)
	}
}

// discardN reads and drops WebSocket messages until n bytes arrived. Each
// read has its own deadline: a large b.N takes longer than readN allows.
func discardN(ws *websocket.Conn, n int) error {
	for got := 0; got < n; {
		ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, r, err := ws.NextReader()
		if err != nil {
			return fmt.Errorf("read after %d bytes: %w", got, err)
		}
		m, err := io.Copy(io.Discard, r)
		if err != nil {
			return fmt.Errorf("read after %d bytes: %w", got, err)
		}
		got += int(m)
	}
	return nil
}

// BenchmarkBroadcast measures one message queued on 1000 connections and
// delivered to all of them; ns/op is per connection.
func BenchmarkBroadcast(b *testing.B) {
	const conns = 1000
	f := newFixture(b, Options{})
	sockets := make([]*websocket.Conn, conns)
	servers := make([]*Conn, conns)
	for i := range sockets {
		sockets[i] = f.mustDial("id=" + f.token())
		servers[i] = <-f.rec.opened
	}
	msg := []byte(`{"type":1,"target":"send","arguments":["hello world"]}` + "\x1e")
	rounds := max(b.N/conns, 1)
	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	done := make(chan struct{})
	for _, ws := range sockets {
		go func() {
			defer func() { done <- struct{}{} }()
			if err := discardN(ws, rounds*len(msg)); err != nil {
				b.Error(err) // not Fatal: off the benchmark's goroutine it would hang the wait below
			}
		}()
	}
	for range rounds {
		for _, c := range servers {
			c.Write(msg)
		}
	}
	for range sockets {
		<-done
	}
}
