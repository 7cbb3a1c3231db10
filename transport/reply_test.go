package transport

import (
	"bytes"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"
)

// TestReplyServedAheadOfFanout queues ten 60 KiB messages on each of 100
// WebSockets, as a fan-out does, and then a reply on the last one: the
// writers serve that socket ahead of the others, so its client has all of
// it, reply included, before nearly all others have theirs (first, in
// practice). Served in turn, it came 29th to 93rd.
func TestReplyServedAheadOfFanout(t *testing.T) {
	const conns, msgs = 100, 10
	rec := newRecorder()
	f := newFixtureWith(t, rec, Options{MaxQueueBytes: 4 << 20, MaxTotalQueueBytes: -1})
	clients := make([]*websocket.Conn, conns)
	servers := make([]*Conn, conns)
	for i := range conns {
		clients[i] = f.mustDial("")
		servers[i] = <-rec.opened
	}
	bulk := bytes.Repeat([]byte("x"), 60<<10)
	reply := []byte("the reply")
	var done atomic.Int64
	order := make([]int64, conns)
	var wg sync.WaitGroup
	for i, ws := range clients {
		want := msgs * len(bulk)
		if i == conns-1 {
			want += len(reply)
		}
		wg.Go(func() {
			got := 0
			for got < want {
				_, p, err := ws.ReadMessage()
				if err != nil {
					t.Errorf("client %d: %v after %d of %d bytes", i, err, got, want)
					return
				}
				got += len(p)
			}
			order[i] = done.Add(1)
		})
	}
	// The same order as a broadcast: message by message, connection by
	// connection.
	for range msgs {
		for _, c := range servers {
			if err := c.Write(bulk); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := servers[conns-1].WriteReply(reply); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if pos := order[conns-1]; pos > conns/10 {
		t.Errorf("the socket with a reply was served %d of %d; want among the first tenth", pos, conns)
	}
}
