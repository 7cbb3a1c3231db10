package signalr

import (
	"runtime"
	"testing"
	"time"

	"github.com/signalr-go/signalr/protocol"
	"go.uber.org/goleak"
)

// TestCallerResultsBounded: a client that never answers the calls of its
// own hub methods could start any number of them, each a goroutine waiting
// for ever, since a call waiting for its caller gives its invocation slot
// back; at most MaximumParallelInvocationsPerClient wait, and the next
// Invoke fails at once.
func TestCallerResultsBounded(t *testing.T) {
	_, base := startE2E(t, newTestHub(), Options{MaximumParallelInvocationsPerClient: 2})
	ignore := goleak.IgnoreCurrent()
	before := runtime.NumGoroutine()
	c := dialHub(t, base, protocol.NewJSON(), nil)
	const calls = 200
	for i := range calls {
		c.send(&protocol.Invocation{InvocationID: itoa(i), Target: "AskCaller", Arguments: []any{"Result"}})
	}
	asked, failed, first := 0, 0, ""
	for asked+failed < calls {
		switch m := c.next().(type) {
		case *protocol.Invocation:
			if asked == 0 {
				first = m.InvocationID
			}
			asked++
		case *protocol.Completion:
			if m.Error == "" {
				t.Fatalf("a call answered without its result: %+v", m)
			}
			failed++
		}
	}
	if asked != 2 {
		t.Errorf("%d calls wait for their caller's result, want 2", asked)
	}
	if n := runtime.NumGoroutine() - before; n > 20 {
		t.Errorf("%d more goroutines with %d calls waiting for results", n, asked)
	}
	// The waiting ones still get their answers, and free their places.
	c.send(&protocol.Completion{InvocationID: first, Result: 1, HasResult: true})
	deadline := time.Now().Add(waitTimeout)
	for {
		c.send(&protocol.Invocation{InvocationID: "again", Target: "AskCaller", Arguments: []any{"Result"}})
		if _, ok := c.next().(*protocol.Invocation); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("an answered call did not free its place")
		}
	}
	_ = c.ws.UnderlyingConn().Close()
	verifyNoHubGoroutines(t, ignore)
}
