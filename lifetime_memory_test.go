package signalr

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signalr-go/signalr/protocol"
)

// countingConn is a Conn that counts what is sent to it.
type countingConn struct {
	id   string
	sent atomic.Int64
}

func (c *countingConn) ID() string                    { return c.id }
func (c *countingConn) UserID() string                { return "" }
func (c *countingConn) Send(*protocol.Prepared) error { c.sent.Add(1); return nil }
func (c *countingConn) Abort(error)                   {}

// TestMemorySendWaitsForFanout checks that sends beyond one per processor
// wait their turn, that a wait ends with its context, and that a free
// slot is used even by a send whose context has ended.
func TestMemorySendWaitsForFanout(t *testing.T) {
	m := NewMemoryLifetimeManager()
	c := &countingConn{id: "a"}
	if err := m.Add(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	msg := protocol.Prepare(&protocol.Invocation{Target: "UserConnected", Arguments: []any{"x"}})
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Send(ended, Target{Kind: ToAll}, msg); err != nil || c.sent.Load() != 1 {
		t.Fatalf("send with a free slot and an ended context: %v, %d delivered", err, c.sent.Load())
	}
	for range cap(m.fanout) {
		m.fanout <- struct{}{}
	}
	ctx, stop := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer stop()
	if err := m.Send(ctx, Target{Kind: ToAll}, msg); !errors.Is(err, context.DeadlineExceeded) || c.sent.Load() != 1 {
		t.Fatalf("send while every slot is busy: %v, %d delivered; want a deadline error and no delivery", err, c.sent.Load())
	}
	done := make(chan error, 1)
	go func() { done <- m.Send(context.Background(), Target{Kind: ToAll}, msg) }()
	select {
	case err := <-done:
		t.Fatalf("send returned (%v) while every slot was busy", err)
	case <-time.After(20 * time.Millisecond):
	}
	<-m.fanout
	if err := <-done; err != nil || c.sent.Load() != 2 {
		t.Fatalf("send after a slot freed: %v, %d delivered", err, c.sent.Load())
	}
}
