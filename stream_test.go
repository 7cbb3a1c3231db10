package signalr

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/signalr-go/signalr/client"
	"github.com/signalr-go/signalr/protocol"
)

// leakHub's methods block reading client streams, as a hub method that
// consumes an upload does, so that a stream nobody ends shows as a
// goroutine that never returns.
type leakHub struct {
	started chan string // each method's name, once it runs
}

func newLeakHub() *leakHub { return &leakHub{started: make(chan string, 1024)} }

// Drain reads its client stream to the end.
func (h *leakHub) Drain(in <-chan int) int {
	h.started <- "Drain"
	n := 0
	for range in {
		n++
	}
	return n
}

// Relay forwards its client stream from a goroutine of its own, which
// stops once the stream ends or the call is done.
func (h *leakHub) Relay(c *Context, in <-chan int) <-chan int {
	h.started <- "Relay"
	out := make(chan int)
	go func() {
		defer close(out)
		for v := range in {
			select {
			case out <- v:
			case <-c.Done():
			}
		}
	}()
	return out
}

// Collect yields its client stream's items, blocked in the stream between
// them: only the stream ending lets it see a cancellation.
func (h *leakHub) Collect(in <-chan int) iter.Seq[int] {
	return func(yield func(int) bool) {
		h.started <- "Collect"
		for v := range in {
			if !yield(v) {
				return
			}
		}
	}
}

// Forever streams until the client cancels or the connection ends.
func (h *leakHub) Forever() iter.Seq[int] {
	return func(yield func(int) bool) {
		h.started <- "Forever"
		for i := 0; yield(i); i++ {
		}
	}
}

// Hold never reads its client stream, so that the read loop waits for
// buffer room, until the connection ends.
func (h *leakHub) Hold(c *Context, in <-chan int) {
	h.started <- "Hold"
	<-c.Done()
}

func (h *leakHub) Echo(s string) string { return s }

// waitStarted waits for n method starts.
func (h *leakHub) waitStarted(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-h.started:
		case <-time.After(waitTimeout):
			t.Fatalf("hub methods did not start")
		}
	}
}

// verifyNoHubGoroutines checks, with the server still running, that
// every goroutine started since ignore has ended, once the loopback HTTP
// connections left idle are closed. The server's own background
// goroutines, which its first connection starts and Shutdown ends (as
// TestMain checks), are not the connections'.
func verifyNoHubGoroutines(t *testing.T, ignore goleak.Option, hc ...*http.Client) {
	t.Helper()
	http.DefaultClient.CloseIdleConnections()
	for _, c := range hc {
		c.CloseIdleConnections()
	}
	goleak.VerifyNone(t, ignore,
		goleak.IgnoreTopFunction("github.com/signalr-go/signalr.(*Server).runTicker"),
		goleak.IgnoreTopFunction("github.com/signalr-go/signalr/transport.(*Server).scan"),
		goleak.IgnoreTopFunction("github.com/signalr-go/signalr/transport.(*Server).runWriter"))
}

// TestUploadStreamsEndWithConnection: hub methods reading client streams
// return once their connection ends, however it ends (the Go client's
// Stop, a socket dropped without a close frame), for a plain invocation, a
// channel stream and an iterator stream.
func TestUploadStreamsEndWithConnection(t *testing.T) {
	hub := newLeakHub()
	_, base := startE2E(t, hub, Options{})
	ignore := goleak.IgnoreCurrent()
	hc := &http.Client{Transport: &http.Transport{}}
	ctx := context.Background()

	// The official protocol through the Go client, stopped gracefully.
	const clients = 3
	for range clients {
		c, err := client.New(base, client.WithHTTPClient(hc), client.WithTransports(client.WebSockets), client.WithLogger(discardLogger()))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		for range 4 {
			if err := c.Send(ctx, "Drain", make(chan int)); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		for _, m := range []string{"Relay", "Collect"} {
			wg.Go(func() {
				for range client.Stream[int](ctx, c, m, make(chan int)) {
				}
			})
		}
		hub.waitStarted(t, 6)
		if err := c.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
	}

	// Raw sockets dropped without a close frame, mid-stream.
	for _, hp := range []protocol.HubProtocol{protocol.NewJSON(), protocol.NewMessagePack()} {
		ws := dialHub(t, base, hp, nil)
		ws.send(&protocol.Invocation{InvocationID: "1", Target: "Drain", Arguments: []any{}, StreamIDs: []string{"a"}},
			&protocol.StreamItem{InvocationID: "a", Item: 1},
			&protocol.StreamInvocation{InvocationID: "2", Target: "Relay", Arguments: []any{}, StreamIDs: []string{"b"}},
			&protocol.StreamInvocation{InvocationID: "3", Target: "Collect", Arguments: []any{}, StreamIDs: []string{"c"}},
			&protocol.StreamItem{InvocationID: "c", Item: 1},
			&protocol.StreamInvocation{InvocationID: "4", Target: "Forever", Arguments: []any{}})
		hub.waitStarted(t, 4)
		// The read loop ends up waiting for Hold's full buffer.
		msgs := []protocol.Message{&protocol.Invocation{InvocationID: "5", Target: "Hold", Arguments: []any{}, StreamIDs: []string{"d"}}}
		for i := range 2 * defaultStreamBufferCapacity {
			msgs = append(msgs, &protocol.StreamItem{InvocationID: "d", Item: i})
		}
		ws.send(msgs...)
		hub.waitStarted(t, 1)
		_ = ws.ws.UnderlyingConn().Close()
	}
	verifyNoHubGoroutines(t, ignore, hc)
}

// TestBlockedReadLoopEndsWithDroppedSocket: a client fills the buffer of
// a stream its method does not read, so reading its socket waits, and then
// drops the socket without a close frame. Nothing reads the socket to see
// it gone; the failed keep-alive ping ends the connection instead, and
// with it every goroutine it started.
func TestBlockedReadLoopEndsWithDroppedSocket(t *testing.T) {
	hub := newLeakHub()
	_, base := startE2E(t, hub, Options{KeepAliveInterval: 50 * time.Millisecond, StreamBufferCapacity: 2})
	ignore := goleak.IgnoreCurrent()
	ws := dialHub(t, base, protocol.NewMessagePack(), nil)
	msgs := []protocol.Message{&protocol.Invocation{InvocationID: "1", Target: "Hold", Arguments: []any{}, StreamIDs: []string{"a"}}}
	for i := range 10 {
		msgs = append(msgs, &protocol.StreamItem{InvocationID: "a", Item: i})
	}
	ws.send(msgs...)
	hub.waitStarted(t, 1)
	_ = ws.ws.UnderlyingConn().Close()
	verifyNoHubGoroutines(t, ignore)
}

// TestUploadStreamsEndWithCancel: cancelling a stream whose method is
// blocked reading a client stream ends the client stream, so the method
// returns and the client gets its Completion.
func TestUploadStreamsEndWithCancel(t *testing.T) {
	hub := newLeakHub()
	_, base := startE2E(t, hub, Options{})
	ignore := goleak.IgnoreCurrent()
	c := dialHub(t, base, protocol.NewJSON(), nil)
	for _, m := range []string{"Collect", "Relay"} {
		c.send(&protocol.StreamInvocation{InvocationID: m, Target: m, Arguments: []any{}, StreamIDs: []string{m + "-in"}},
			&protocol.StreamItem{InvocationID: m + "-in", Item: 7})
		if it, ok := c.next().(*protocol.StreamItem); !ok || it.InvocationID != m {
			t.Fatalf("%s: first message %+v", m, it)
		}
		c.send(&protocol.CancelInvocation{InvocationID: m})
		if comp, _ := c.completion(m); comp.Error != "" {
			t.Errorf("%s: cancelled stream ended with %q", m, comp.Error)
		}
		// The client stream ended with the call: its items are dropped and
		// its id is free again.
		c.send(&protocol.StreamItem{InvocationID: m + "-in", Item: 8})
		c.send(&protocol.Invocation{InvocationID: m + "2", Target: "Drain", Arguments: []any{}, StreamIDs: []string{m + "-in"}},
			&protocol.StreamItem{InvocationID: m + "-in", Item: 9}, &protocol.Completion{InvocationID: m + "-in"})
		comp, _ := c.completion(m + "2")
		var n int
		c.value(comp.Result, &n)
		if n != 1 {
			t.Errorf("%s: the reused stream id got %d items, want 1 (%+v)", m, n, comp)
		}
	}
	hub.waitStarted(t, 4)
	_ = c.ws.Close()
	verifyNoHubGoroutines(t, ignore)
}

// TestUploadStreamIDsAreUnique: a stream id already in use, by an earlier
// call or twice in one call, fails the invocation without starting it and
// without disturbing the stream that holds the id.
func TestUploadStreamIDsAreUnique(t *testing.T) {
	for _, hp := range []protocol.HubProtocol{protocol.NewJSON(), protocol.NewMessagePack()} {
		t.Run(hp.Name(), func(t *testing.T) {
			hub := newLeakHub()
			_, base := startE2E(t, hub, Options{})
			ignore := goleak.IgnoreCurrent()
			c := dialHub(t, base, hp, nil)
			c.send(&protocol.Invocation{InvocationID: "1", Target: "Drain", Arguments: []any{}, StreamIDs: []string{"s"}},
				&protocol.Invocation{InvocationID: "2", Target: "Drain", Arguments: []any{}, StreamIDs: []string{"s"}},
				&protocol.StreamInvocation{InvocationID: "3", Target: "Relay", Arguments: []any{}, StreamIDs: []string{"s"}})
			for _, id := range []string{"2", "3"} {
				if comp, _ := c.completion(id); comp.Error != "Stream ID 's' is already in use." {
					t.Errorf("invocation %s reusing a stream id: %+v", id, comp)
				}
			}
			c.send(&protocol.StreamItem{InvocationID: "s", Item: 1}, &protocol.StreamItem{InvocationID: "s", Item: 2},
				&protocol.Completion{InvocationID: "s"})
			comp, _ := c.completion("1")
			var n int
			c.value(comp.Result, &n)
			if n != 2 {
				t.Errorf("the stream holding the id got %d items, want 2 (%+v)", n, comp)
			}
			c.send(&protocol.StreamInvocation{InvocationID: "4", Target: "Relay", Arguments: []any{}, StreamIDs: []string{"t"}},
				&protocol.Invocation{InvocationID: "5", Target: "Drain", Arguments: []any{}, StreamIDs: []string{"t"}})
			if comp, _ := c.completion("5"); comp.Error != "Stream ID 't' is already in use." {
				t.Errorf("reusing a stream's stream id: %+v", comp)
			}
			hub.waitStarted(t, 2)
			_ = c.ws.UnderlyingConn().Close()
			verifyNoHubGoroutines(t, ignore)
		})
	}
}

// sum2Hub takes two client streams in one call.
type sum2Hub struct{ leakHub }

func (h *sum2Hub) Pair(a, b <-chan int) int {
	n := 0
	for range a {
		n++
	}
	for range b {
		n++
	}
	return n
}

func TestUploadStreamIDsUniqueInOneCall(t *testing.T) {
	_, base := startE2E(t, &sum2Hub{*newLeakHub()}, Options{})
	c := dialHub(t, base, protocol.NewJSON(), nil)
	c.send(&protocol.Invocation{InvocationID: "1", Target: "Pair", Arguments: []any{}, StreamIDs: []string{"x", "x"}})
	if comp, _ := c.completion("1"); comp.Error != "Stream ID 'x' is already in use." {
		t.Errorf("one id twice in a call: %+v", comp)
	}
	// Nothing of the refused call was kept: the id is free.
	c.send(&protocol.Invocation{InvocationID: "2", Target: "Pair", Arguments: []any{}, StreamIDs: []string{"x", "y"}},
		&protocol.Completion{InvocationID: "x"}, &protocol.Completion{InvocationID: "y"})
	if comp, _ := c.completion("2"); comp.Error != "" {
		t.Errorf("after the refusal: %+v", comp)
	}
}

// TestStreamsPerClientLimit: a connection can have at most
// MaximumStreamsPerClient streams open, counting both directions; a call
// past it fails and starts nothing, and an ended stream frees its place.
func TestStreamsPerClientLimit(t *testing.T) {
	hub := newLeakHub()
	_, base := startE2E(t, hub, Options{MaximumStreamsPerClient: 3})
	ignore := goleak.IgnoreCurrent()
	c := dialHub(t, base, protocol.NewJSON(), nil)
	const full = "Failed to invoke '%s': the connection already has the most open streams Options.MaximumStreamsPerClient allows (3)."
	c.send(&protocol.Invocation{InvocationID: "1", Target: "Drain", Arguments: []any{}, StreamIDs: []string{"a"}},
		&protocol.StreamInvocation{InvocationID: "2", Target: "Relay", Arguments: []any{}, StreamIDs: []string{"b"}}, // two streams
		&protocol.Invocation{InvocationID: "3", Target: "Drain", Arguments: []any{}, StreamIDs: []string{"c"}},
		&protocol.StreamInvocation{InvocationID: "4", Target: "Relay", Arguments: []any{}, StreamIDs: []string{"d"}})
	for _, id := range []string{"3", "4"} {
		comp, _ := c.completion(id)
		want := fmt.Sprintf(full, map[string]string{"3": "Drain", "4": "Relay"}[id])
		if comp.Error != want {
			t.Errorf("invocation %s past the limit: %q, want %q", id, comp.Error, want)
		}
	}
	hub.waitStarted(t, 2)
	// Plain invocations are not streams.
	c.send(&protocol.Invocation{InvocationID: "5", Target: "Echo", Arguments: []any{"x"}})
	if comp, _ := c.completion("5"); comp.Error != "" {
		t.Errorf("a plain invocation at the stream limit: %+v", comp)
	}
	// Ending the first call frees one place.
	c.send(&protocol.Completion{InvocationID: "a"})
	c.completion("1")
	c.send(&protocol.Invocation{InvocationID: "6", Target: "Drain", Arguments: []any{}, StreamIDs: []string{"e"}},
		&protocol.StreamItem{InvocationID: "e", Item: 1}, &protocol.Completion{InvocationID: "e"})
	comp, _ := c.completion("6")
	var n int
	c.value(comp.Result, &n)
	if comp.Error != "" || n != 1 {
		t.Errorf("after a stream ended: %+v", comp)
	}
	hub.waitStarted(t, 1)
	_ = c.ws.UnderlyingConn().Close()
	verifyNoHubGoroutines(t, ignore)
}

// TestUploadStreamMemory measures what dropped connections with open
// client streams leave behind: goroutines and heap in use before they
// connect, while they stream, and after they are dropped, in two rounds
// (what the first round leaves and the second does not add is the high
// water mark of the server's tables, not a leak). It opens many sockets,
// so it runs only with SIGNALR_MEASURE=<connections>, e.g.
//
//	SIGNALR_MEASURE=1000 go test -run UploadStreamMemory -v .
func TestUploadStreamMemory(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SIGNALR_MEASURE"))
	if n <= 0 {
		t.Skip("set SIGNALR_MEASURE=<connections> to measure")
	}
	const perConn = 8
	hub := newLeakHub()
	hub.started = make(chan string, n*perConn)
	_, base := startE2E(t, hub, Options{})
	hp := protocol.NewJSON()
	before, gBefore := heapInUse(), runtime.NumGoroutine()
	for round := 1; round <= 2; round++ {
		conns := make([]*websocket.Conn, n)
		for i := range conns {
			// Not dialHub, whose cleanup would keep every socket alive.
			c := dialHubOnly(t, base, hp, nil)
			var msgs []protocol.Message
			for j := range perConn {
				id := strconv.Itoa(j)
				msgs = append(msgs, &protocol.Invocation{InvocationID: id, Target: "Drain", Arguments: []any{}, StreamIDs: []string{"s" + id}},
					&protocol.StreamItem{InvocationID: "s" + id, Item: j})
			}
			c.send(msgs...)
			conns[i] = c.ws
		}
		hub.waitStarted(t, n*perConn)
		open, gOpen := heapInUse(), runtime.NumGoroutine()
		for _, c := range conns {
			_ = c.UnderlyingConn().Close()
		}
		http.DefaultClient.CloseIdleConnections()
		time.Sleep(2 * time.Second)
		after, gAfter := heapInUse(), runtime.NumGoroutine()
		t.Logf("round %d, %d connections x %d client streams: goroutines %d before, %d open, %d after dropping; heap in use %.1f MB before, %.1f MB open, %.1f MB after",
			round, n, perConn, gBefore, gOpen, gAfter, mb(before), mb(open), mb(after))
		if gAfter > gBefore+10 {
			t.Fatalf("%d goroutines remain after dropping every connection (%d before)", gAfter, gBefore)
		}
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }
