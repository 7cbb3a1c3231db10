package redis

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/internal/redistest"
	"github.com/signalr-go/signalr/protocol"
)

// countConn counts deliveries and signals when want is reached.
type countConn struct {
	id   string
	n    *atomic.Int64
	want int64
	done chan struct{}
}

func (c *countConn) ID() string     { return c.id }
func (c *countConn) UserID() string { return "" }
func (c *countConn) Abort(error)    {}
func (c *countConn) Send(m *protocol.Prepared) error {
	if _, err := m.Bytes(protocol.JSON{}); err != nil {
		return err
	}
	if c.n.Add(1) == c.want {
		close(c.done)
	}
	return nil
}

const benchConns = 10

// benchSend sends b.N broadcasts through send and waits until the
// receiving connections (registered with add) got them all; it reports
// deliveries per second.
func benchSend(b *testing.B, add func(signalr.Conn), send signalr.LifetimeManager) {
	var n atomic.Int64
	done := make(chan struct{})
	for i := range benchConns {
		add(&countConn{id: "c" + strconv.Itoa(i), n: &n, want: int64(b.N * benchConns), done: done})
	}
	ctx := context.Background()
	args := []any{"user", "a chat message of some length, as chats have"}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		m := protocol.Prepare(&protocol.Invocation{Target: "ReceiveMessage", Arguments: args})
		for send.Send(ctx, signalr.Target{Kind: signalr.ToAll}, m) != nil {
			time.Sleep(time.Millisecond) // the queue is full: let Redis catch up
		}
	}
	select {
	case <-done:
	case <-time.After(time.Minute):
		b.Fatalf("delivered %d of %d", n.Load(), b.N*benchConns)
	}
	b.ReportMetric(float64(b.N*benchConns)/time.Since(start).Seconds(), "deliveries/s")
}

// Broadcast to ten connections: in memory on one server, against from
// one server to ten connections on another through Redis.
func BenchmarkBroadcast(b *testing.B) {
	b.Run("memory", func(b *testing.B) {
		lm := signalr.NewMemoryLifetimeManager()
		benchSend(b, func(c signalr.Conn) { _ = lm.Add(context.Background(), c) }, lm)
	})
	b.Run("redis", func(b *testing.B) {
		srv := redistest.Start(b)
		sender, receiver := newNode(b, []string{srv.Addr}), newNode(b, []string{srv.Addr})
		benchSend(b, func(c signalr.Conn) { _ = receiver.h.Add(context.Background(), c) }, sender.h)
	})
}
