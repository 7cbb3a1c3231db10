package client_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/client"
	"github.com/signalr-go/signalr/protocol"
)

// This file and the other *_server_test.go files test the client against
// the real server of this module (package signalr) over loopback HTTP.

// safety bounds every wait of these tests so that a bug fails a test
// instead of hanging it; no test asserts on how long anything takes.
const safety = 20 * time.Second

// point is a typed argument and result.
type point struct {
	X, Y int
	Tag  string
}

// serverHub is the hub these tests call. One value serves one test.
type serverHub struct {
	canceled chan string // the argument of each Ticks stream that saw its cancellation
	received chan string // Record's arguments
}

func newServerHub() *serverHub {
	return &serverHub{canceled: make(chan string, 8), received: make(chan string, 1024)}
}

func (*serverHub) Echo(s string) string { return s }

func (*serverHub) Add(a, b int) int { return a + b }

func (*serverHub) Mirror(p point) point { return point{X: p.Y, Y: p.X, Tag: strings.ToUpper(p.Tag)} }

func (*serverHub) Fail() error { return signalr.NewHubError("boom") }

func (*serverHub) Nothing() {}

// Notify calls the caller's Note handler before completing.
func (*serverHub) Notify(c *signalr.Context, text string) error {
	return c.Clients.Caller().Send(c, "Note", text)
}

// Record keeps what clients send fire-and-forget.
func (h *serverHub) Record(s string) { h.received <- s }

// Count streams 0..n-1 and completes.
func (*serverHub) Count(n int) <-chan int {
	ch := make(chan int)
	go func() {
		defer close(ch)
		for i := range n {
			ch <- i
		}
	}()
	return ch
}

// Broken fails instead of starting its stream.
func (*serverHub) Broken(c *signalr.Context) (<-chan int, error) {
	return nil, signalr.NewHubError("no stream today")
}

// Ticks streams until the client cancels, and reports that it saw the
// cancellation.
func (h *serverHub) Ticks(c *signalr.Context, name string) <-chan int {
	ch := make(chan int)
	go func() {
		defer close(ch)
		for i := 0; ; i++ {
			select {
			case ch <- i:
			case <-c.Done():
				h.canceled <- name
				return
			}
		}
	}()
	return ch
}

// Sum reads a client-to-server stream.
func (*serverHub) Sum(items <-chan int) int {
	total := 0
	for v := range items {
		total += v
	}
	return total
}

// Concat reads two client-to-server streams among ordinary arguments.
func (*serverHub) Concat(prefix string, a <-chan string, b <-chan string) string {
	var sb strings.Builder
	sb.WriteString(prefix)
	for s := range a {
		sb.WriteString(s)
	}
	for s := range b {
		sb.WriteString(s)
	}
	return sb.String()
}

// AskDouble asks the caller for a client result.
func (*serverHub) AskDouble(c *signalr.Context, x int) (int, error) {
	return signalr.Invoke[int](c, c.Clients.Caller(), "Double", x)
}

// SumAndAsk asks the caller for a client result while the caller's
// upload stream is open, so that the result's invocation id and the
// stream id live side by side on the connection.
func (h *serverHub) SumAndAsk(c *signalr.Context, items <-chan int) (int, error) {
	r, err := signalr.Invoke[int](c, c.Clients.Caller(), "Double", 21)
	if err != nil {
		return 0, err
	}
	total := r
	for v := range items {
		total += v
	}
	return total, nil
}

// WhoAmI returns the caller's user id.
func (*serverHub) WhoAmI(c *signalr.Context) string { return c.UserID() }

// startHub serves hub on a loopback httptest server and returns the hub
// server and its URL; both are closed when the test ends.
func startHub(t *testing.T, hub any, opts signalr.Options) (*signalr.Server, string) {
	t.Helper()
	srv, ts := newHubServer(t, hub, opts)
	ts.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), safety)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		ts.Close()
	})
	return srv, ts.URL + "/hub"
}

// newHubServer returns an unstarted httptest server for hub at /hub.
func newHubServer(t *testing.T, hub any, opts signalr.Options) (*signalr.Server, *httptest.Server) {
	t.Helper()
	opts.Logger = slog.New(slog.DiscardHandler)
	opts.Transport.CloseTimeout = 200 * time.Millisecond
	srv, err := signalr.NewServer(hub, opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/hub", srv)
	mux.Handle("/hub/", srv)
	return srv, httptest.NewUnstartedServer(mux)
}

// startClient starts a client that is stopped when the test ends.
func startClient(t *testing.T, url string, opts ...client.Option) *client.Client {
	t.Helper()
	c := newClient(t, url, opts...)
	ctx, cancel := context.WithTimeout(t.Context(), safety)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return c
}

// newClient returns a client that is stopped when the test ends.
func newClient(t *testing.T, url string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), safety)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return c
}

// waitFor receives from ch within the safety bound.
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(safety):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// combos are the transport and protocol pairs the client supports
// (Server-Sent Events carry text only).
var combos = []struct {
	name string
	tt   client.TransportType
	hp   protocol.HubProtocol
}{
	{"WebSockets/json", client.WebSockets, protocol.NewJSON()},
	{"WebSockets/messagepack", client.WebSockets, protocol.NewMessagePack()},
	{"ServerSentEvents/json", client.ServerSentEvents, protocol.NewJSON()},
	{"LongPolling/json", client.LongPolling, protocol.NewJSON()},
	{"LongPolling/messagepack", client.LongPolling, protocol.NewMessagePack()},
}

// TestServerMatrix runs the hub features over every transport and
// protocol against the real server.
func TestServerMatrix(t *testing.T) {
	for _, combo := range combos {
		t.Run(combo.name, func(t *testing.T) {
			hub := newServerHub()
			_, url := startHub(t, hub, signalr.Options{})
			c := newClient(t, url, client.WithTransports(combo.tt), client.WithProtocol(combo.hp))
			notes := make(chan string, 16)
			c.On("Note", func(s string) { notes <- s })
			c.On("Double", func(x int) int { return 2 * x })
			ctx, cancel := context.WithTimeout(t.Context(), safety)
			defer cancel()
			if err := c.Start(ctx); err != nil {
				t.Fatalf("Start: %v", err)
			}
			if c.ConnectionID() == "" {
				t.Error("no connection id")
			}
			t.Run("Invoke", func(t *testing.T) { testInvoke(ctx, t, c) })
			t.Run("SendAndHandlers", func(t *testing.T) { testSend(ctx, t, c, hub, notes) })
			t.Run("Stream", func(t *testing.T) { testStream(ctx, t, c) })
			t.Run("StreamCancel", func(t *testing.T) { testStreamCancel(ctx, t, c, hub) })
			t.Run("Upload", func(t *testing.T) { testUpload(ctx, t, c) })
			t.Run("ClientResults", func(t *testing.T) { testClientResults(ctx, t, c) })
		})
	}
}

func testInvoke(ctx context.Context, t *testing.T, c *client.Client) {
	if got, err := client.Invoke[string](ctx, c, "Echo", "héllo ✓"); err != nil || got != "héllo ✓" {
		t.Errorf("Echo = %q, %v", got, err)
	}
	if got, err := client.Invoke[int](ctx, c, "add", 40, 2); err != nil || got != 42 {
		t.Errorf("add = %d, %v", got, err)
	}
	want := point{X: 2, Y: 1, Tag: "AB"}
	if got, err := client.Invoke[point](ctx, c, "Mirror", point{X: 1, Y: 2, Tag: "ab"}); err != nil || got != want {
		t.Errorf("Mirror = %+v, %v", got, err)
	}
	if _, err := client.Invoke[any](ctx, c, "Nothing"); err != nil {
		t.Errorf("Nothing: %v", err)
	}
	var he *client.HubError
	if _, err := client.Invoke[any](ctx, c, "Fail"); !errors.As(err, &he) || !strings.Contains(he.Message, "boom") {
		t.Errorf("Fail: %v", err)
	}
	if _, err := client.Invoke[any](ctx, c, "NoSuchMethod"); !errors.As(err, &he) || !strings.Contains(he.Message, "NoSuchMethod") {
		t.Errorf("NoSuchMethod: %v", err)
	}
	// A result that does not decode into T is an error, not a zero value.
	if _, err := client.Invoke[int](ctx, c, "Echo", "not a number"); err == nil {
		t.Error("Echo into int: no error")
	}
}

func testSend(ctx context.Context, t *testing.T, c *client.Client, hub *serverHub, notes <-chan string) {
	for i := range 3 {
		if err := c.Send(ctx, "Record", fmt.Sprint("r", i)); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	for i := range 3 {
		if got := waitFor(t, hub.received, "Record"); got != fmt.Sprint("r", i) {
			t.Errorf("Record #%d = %q", i, got)
		}
	}
	// The handler runs before the invocation that triggered it completes.
	if _, err := client.Invoke[any](ctx, c, "Notify", "ping"); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	// The Note arrived before the completion; its handler runs on the
	// client's callback goroutine, so wait for it.
	if got := waitFor(t, notes, "Note"); got != "ping" {
		t.Errorf("Note = %q", got)
	}
}

func testStream(ctx context.Context, t *testing.T, c *client.Client) {
	var got []int
	for v, err := range client.Stream[int](ctx, c, "Count", 5) {
		if err != nil {
			t.Fatalf("Count: %v", err)
		}
		got = append(got, v)
	}
	if fmt.Sprint(got) != "[0 1 2 3 4]" {
		t.Errorf("Count = %v", got)
	}
	var last error
	n := 0
	for _, err := range client.Stream[int](ctx, c, "Broken") {
		n++
		last = err
	}
	var he *client.HubError
	if n != 1 || !errors.As(last, &he) || !strings.Contains(he.Message, "no stream today") {
		t.Errorf("Broken: %d elements, last error %v", n, last)
	}
}

func testStreamCancel(ctx context.Context, t *testing.T, c *client.Client, hub *serverHub) {
	// Ending the iteration early cancels the stream on the server.
	n := 0
	for _, err := range client.Stream[int](ctx, c, "Ticks", "break") {
		if err != nil {
			t.Fatalf("Ticks: %v", err)
		}
		if n++; n == 3 {
			break
		}
	}
	if got := waitFor(t, hub.canceled, "the server to see the cancellation"); got != "break" {
		t.Errorf("canceled %q", got)
	}
	// So does the context ending.
	sctx, scancel := context.WithCancel(ctx)
	var last error
	n = 0
	for _, err := range client.Stream[int](sctx, c, "Ticks", "context") {
		if err != nil {
			last = err
			break
		}
		if n++; n == 3 {
			scancel()
		}
	}
	scancel()
	if !errors.Is(last, context.Canceled) {
		t.Errorf("after cancel: %v", last)
	}
	if got := waitFor(t, hub.canceled, "the server to see the cancellation"); got != "context" {
		t.Errorf("canceled %q", got)
	}
	// The connection is still fine.
	if got, err := client.Invoke[int](ctx, c, "Add", 1, 1); err != nil || got != 2 {
		t.Errorf("Add after cancel = %d, %v", got, err)
	}
}

func testUpload(ctx context.Context, t *testing.T, c *client.Client) {
	items := make(chan int)
	go func() {
		defer close(items)
		for i := 1; i <= 10; i++ {
			items <- i
		}
	}()
	if got, err := client.Invoke[int](ctx, c, "Sum", (<-chan int)(items)); err != nil || got != 55 {
		t.Errorf("Sum = %d, %v", got, err)
	}
	a, b := make(chan string, 2), make(chan string, 2)
	a <- "x"
	a <- "y"
	b <- "z"
	close(a)
	close(b)
	if got, err := client.Invoke[string](ctx, c, "Concat", ">", a, b); err != nil || got != ">xyz" {
		t.Errorf("Concat = %q, %v", got, err)
	}
}

func testClientResults(ctx context.Context, t *testing.T, c *client.Client) {
	if got, err := client.Invoke[int](ctx, c, "AskDouble", 4); err != nil || got != 8 {
		t.Errorf("AskDouble = %d, %v", got, err)
	}
	// The client's stream id ("0", "1", ...) and the server's client
	// result id ("s..." on this server) share the connection: each
	// Completion must reach its own call.
	items := make(chan int)
	go func() {
		defer close(items)
		for i := 1; i <= 3; i++ {
			items <- i
		}
	}()
	if got, err := client.Invoke[int](ctx, c, "SumAndAsk", (<-chan int)(items)); err != nil || got != 48 {
		t.Errorf("SumAndAsk = %d, %v", got, err)
	}
}
