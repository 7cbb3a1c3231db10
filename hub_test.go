package signalr

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signalr-go/signalr/protocol"
)

type point struct {
	X    int    `json:"x" msgpack:"x"`
	Name string `json:"name" msgpack:"name"`
}

type testHub struct {
	connected    atomic.Int32
	disconnected chan error
	release      chan struct{}
	active       atomic.Int32
	maxActive    atomic.Int32
	order        chan int
}

func newTestHub() *testHub {
	return &testHub{disconnected: make(chan error, 100), release: make(chan struct{}), order: make(chan int, 2000)}
}

func (h *testHub) OnConnected(c *Context) error {
	h.connected.Add(1)
	if c.Request().URL.Query().Get("fail") != "" {
		return errors.New("refused")
	}
	return nil
}

func (h *testHub) OnDisconnected(c *Context, err error) { h.disconnected <- err }

func (h *testHub) Echo(s string) string  { return s }
func (h *testHub) Add(a, b int) int      { return a + b }
func (h *testHub) Void()                 {}
func (h *testHub) Fail() error           { return errors.New("secret detail") }
func (h *testHub) FailHub() (int, error) { return 0, NewHubError("visible %d", 42) }
func (h *testHub) FailWrapped() error    { return fmt.Errorf("saving: %w", &quotaError{}) }

// quotaError is a hub's own error type, found behind fmt's wrapper.
type quotaError struct{}

func (*quotaError) Error() string              { return "quota exceeded" }
func (h *testHub) Panic() string               { panic("boom") }
func (h *testHub) Point(p point) point         { p.X++; return p }
func (h *testHub) PointPtr(p *point) *point    { return p }
func (h *testHub) Ints(s []int) int            { return len(s) }
func (h *testHub) Map(m map[string]int) int    { return m["a"] }
func (h *testHub) Bytes(b []byte) []byte       { return b }
func (h *testHub) Time(t time.Time) string     { return t.UTC().Format(time.RFC3339) }
func (h *testHub) Raw(r protocol.Raw) int      { return len(r) }
func (h *testHub) Any(v any) string            { return fmt.Sprintf("%T", v) }
func (h *testHub) Float(f float64, b bool) any { return []any{f, b} }
func (h *testHub) ConnID(c *Context) string    { return c.ConnectionID() }
func (h *testHub) User(c context.Context) string {
	return contextFrom(c).UserID()
}

func (h *testHub) Ordered(n int) {
	h.order <- n
}

func (h *testHub) Block(c *Context) int {
	n := h.active.Add(1)
	for {
		m := h.maxActive.Load()
		if n <= m || h.maxActive.CompareAndSwap(m, n) {
			break
		}
	}
	defer h.active.Add(-1)
	select {
	case <-h.release:
	case <-c.Done():
	}
	return int(n)
}

func (h *testHub) SendCaller(c *Context, s string) (string, error) {
	for i := range 3 {
		if err := c.Clients.Caller().Send(c, "Msg", s, i); err != nil {
			return "", err
		}
	}
	return "done", nil
}

func (h *testHub) Join(c *Context, g string) error { return c.Groups.Add(c, c.ConnectionID(), g) }
func (h *testHub) Leave(c *Context, g string) error {
	return c.Groups.Remove(c, c.ConnectionID(), g)
}

func (h *testHub) Count(c *Context, n int) <-chan int {
	ch := make(chan int)
	go func() {
		defer close(ch)
		for i := range n {
			select {
			case ch <- i:
			case <-c.Done():
				return
			}
		}
	}()
	return ch
}

func (h *testHub) Seq(n int) iter.Seq[string] {
	return func(yield func(string) bool) {
		for i := range n {
			if !yield(fmt.Sprint("item", i)) {
				return
			}
		}
	}
}

func (h *testHub) SeqErr(n int) iter.Seq2[int, error] {
	return func(yield func(int, error) bool) {
		for i := range n {
			if !yield(i, nil) {
				return
			}
		}
		yield(0, errors.New("stream broke"))
	}
}

func (h *testHub) StreamFails() (<-chan int, error) { return nil, NewHubError("no stream") }

func (h *testHub) Infinite(c *Context) <-chan int {
	ch := make(chan int)
	go func() {
		<-c.Done()
		_ = c.Server().Clients().Client(c.ConnectionID()).Send(context.Background(), "StreamCanceled")
		close(ch)
	}()
	return ch
}

func (h *testHub) Concat(parts <-chan string) string {
	var b strings.Builder
	for p := range parts {
		b.WriteString(p)
	}
	return b.String()
}

func (h *testHub) Sum2(c *Context, a <-chan int, b <-chan int) int {
	s := 0
	for v := range a {
		s += v
	}
	for v := range b {
		s += v
	}
	return s
}

func (h *testHub) AskCaller(c *Context, method string) (int, error) {
	return Invoke[int](c, c.Clients.Caller(), method)
}

func TestBindingAndResults(t *testing.T) {
	bothProtocols(t, func(t *testing.T, proto string) {
		srv := newTestServer(t, newTestHub(), Options{})
		c := connect(t, srv, proto)
		when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
		tests := []struct {
			target string
			args   []any
			want   any
		}{
			{"Echo", []any{"héllo"}, "héllo"},
			{"echo", []any{"case"}, "case"}, // case-insensitive
			{"ADD", []any{2, 40}, 42},
			{"Point", []any{point{X: 1, Name: "p"}}, point{X: 2, Name: "p"}},
			{"PointPtr", []any{nil}, (*point)(nil)},
			{"PointPtr", []any{point{X: 5}}, &point{X: 5}},
			{"Ints", []any{[]int{1, 2, 3}}, 3},
			{"Map", []any{map[string]any{"a": 7}}, 7},
			{"Time", []any{when}, "2024-05-06T07:08:09Z"},
			{"Float", []any{1.5, true}, []any{1.5, true}},
			{"Raw", []any{"xy"}, map[string]int{"json": 4, "messagepack": 3}[proto]},
			{"Void", nil, nil},
		}
		for i, tt := range tests {
			comp, _ := c.invoke(fmt.Sprint(i), tt.target, tt.args...)
			if comp.Error != "" || !comp.HasResult {
				t.Fatalf("%s: completion %+v", tt.target, comp)
			}
			got := reflect.New(reflect.TypeOf(&tt.want).Elem())
			if tt.want != nil {
				got = reflect.New(reflect.TypeOf(tt.want))
			}
			c.value(comp.Result, got.Interface())
			if !reflect.DeepEqual(got.Elem().Interface(), tt.want) {
				t.Errorf("%s%v = %#v, want %#v", tt.target, tt.args, got.Elem().Interface(), tt.want)
			}
		}
		if proto == "messagepack" {
			comp, _ := c.invoke("b", "Bytes", []byte{1, 2, 255})
			var b []byte
			c.value(comp.Result, &b)
			if !reflect.DeepEqual(b, []byte{1, 2, 255}) {
				t.Errorf("Bytes = %v", b)
			}
		}
	})
}

func TestErrors(t *testing.T) {
	for _, detailed := range []bool{false, true} {
		t.Run(fmt.Sprint("detailed=", detailed), func(t *testing.T) {
			srv := newTestServer(t, newTestHub(), Options{EnableDetailedErrors: detailed})
			c := connect(t, srv, "json")
			tests := []struct {
				target string
				args   []any
				want   string
				detail string
			}{
				{"Nope", nil, "Failed to invoke 'Nope' due to an error on the server. HubException: Method does not exist.", ""},
				{"Fail", nil, "An unexpected error occurred invoking 'Fail' on the server.", " Exception: secret detail"},
				{"FailWrapped", nil, "An unexpected error occurred invoking 'FailWrapped' on the server.", " signalr.quotaError: saving: quota exceeded"},
				{"FailHub", nil, "An unexpected error occurred invoking 'FailHub' on the server. HubException: visible 42", ""},
				{"Panic", nil, "An unexpected error occurred invoking 'Panic' on the server.", " panic: boom"},
				{"Add", []any{1}, "Failed to invoke 'Add' due to an error on the server.", " InvalidDataException: Invocation provides 1 argument(s) but target expects 2."},
				{"Count", []any{1}, "The client attempted to invoke the streaming 'Count' method with a non-streaming invocation.", ""},
			}
			for i, tt := range tests {
				comp, _ := c.invoke(fmt.Sprint(i), tt.target, tt.args...)
				want := tt.want
				if detailed {
					want += tt.detail
				}
				if comp.Error != want {
					t.Errorf("%s: error %q, want %q", tt.target, comp.Error, want)
				}
			}
			// A wrong argument type fails the call, not the connection.
			comp, _ := c.invoke("t", "Add", "x", 1)
			if !strings.HasPrefix(comp.Error, "Failed to invoke 'Add' due to an error on the server.") {
				t.Errorf("wrong type: %q", comp.Error)
			}
			c.send(&protocol.StreamInvocation{InvocationID: "s", Target: "Echo", Arguments: []any{"x"}})
			comp, _ = c.completion("s")
			if comp.Error != "The client attempted to invoke the non-streaming 'Echo' method with a streaming invocation." {
				t.Errorf("stream of non-stream: %q", comp.Error)
			}
			comp, _ = c.invoke("ok", "Echo", "still here")
			var s string
			c.value(comp.Result, &s)
			if s != "still here" {
				t.Errorf("connection did not survive: %+v", comp)
			}
		})
	}
}

func TestFireAndForgetSendsNothing(t *testing.T) {
	srv := newTestServer(t, newTestHub(), Options{})
	c := connect(t, srv, "json")
	c.send(&protocol.Invocation{Target: "Nope", Arguments: []any{}}, &protocol.Invocation{Target: "Fail", Arguments: []any{}},
		&protocol.Invocation{Target: "Echo", Arguments: []any{"x"}})
	comp, before := c.invoke("1", "Echo", "y")
	if len(before) != 0 || comp.Error != "" {
		t.Fatalf("got %v before %+v", before, comp)
	}
}

func TestCallerMessagesBeforeCompletion(t *testing.T) {
	bothProtocols(t, func(t *testing.T, proto string) {
		srv := newTestServer(t, newTestHub(), Options{})
		c := connect(t, srv, proto)
		comp, before := c.invoke("1", "SendCaller", "hi")
		if len(before) != 3 {
			t.Fatalf("%d messages before the completion, want 3", len(before))
		}
		for i, m := range before {
			inv := m.(*protocol.Invocation)
			var n int
			c.value(inv.Arguments[1], &n)
			if inv.Target != "Msg" || n != i || inv.InvocationID != "" {
				t.Errorf("message %d: %+v", i, inv)
			}
		}
		var s string
		c.value(comp.Result, &s)
		if s != "done" {
			t.Errorf("result %q", s)
		}
	})
}

func TestOrderingOfManyInvocations(t *testing.T) {
	hub := newTestHub()
	srv := newTestServer(t, hub, Options{})
	c := connect(t, srv, "messagepack")
	var msgs []protocol.Message
	for i := range 1000 {
		msgs = append(msgs, &protocol.Invocation{Target: "Ordered", Arguments: []any{i}})
	}
	c.send(msgs...)
	c.invoke("end", "Void")
	for i := range 1000 {
		if got := <-hub.order; got != i {
			t.Fatalf("invocation %d ran as number %d", got, i)
		}
	}
}

func TestParallelInvocations(t *testing.T) {
	for _, limit := range []int{1, 3} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			hub := newTestHub()
			srv := newTestServer(t, hub, Options{MaximumParallelInvocationsPerClient: limit})
			c := connect(t, srv, "json")
			done := make(chan struct{})
			go func() {
				defer close(done)
				var msgs []protocol.Message
				for i := range 5 {
					msgs = append(msgs, &protocol.Invocation{InvocationID: fmt.Sprint(i), Target: "Block", Arguments: []any{}})
				}
				c.send(msgs...)
			}()
			deadline := time.Now().Add(waitTimeout)
			for hub.active.Load() < int32(limit) && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond)
			if got := hub.maxActive.Load(); got != int32(limit) {
				t.Errorf("%d calls ran at once, want %d", got, limit)
			}
			close(hub.release)
			<-done
			seen := map[string]bool{}
			for len(seen) < 5 {
				comp, ok := c.next().(*protocol.Completion)
				if !ok || comp.Error != "" {
					t.Fatalf("got %+v", comp)
				}
				seen[comp.InvocationID] = true
			}
		})
	}
}

func TestPingsFlowWhileInvocationRuns(t *testing.T) {
	hub := newTestHub()
	srv := newTestServer(t, hub, Options{})
	c := connect(t, srv, "json")
	c.send(&protocol.Invocation{InvocationID: "1", Target: "Block", Arguments: []any{}})
	// A ping, a completion for nothing and a cancel are handled at once;
	// a stream invocation takes no slot.
	c.send(&protocol.Ping{}, &protocol.CancelInvocation{InvocationID: "x"})
	c.send(&protocol.StreamInvocation{InvocationID: "2", Target: "Seq", Arguments: []any{2}})
	comp, items := c.completion("2")
	if comp.Error != "" || len(items) != 2 {
		t.Fatalf("stream while blocked: %+v %v", comp, items)
	}
	close(hub.release)
	c.completion("1")
}

func TestHooks(t *testing.T) {
	hub := newTestHub()
	srv := newTestServer(t, hub, Options{})
	c := connect(t, srv, "json")
	if hub.connected.Load() != 1 {
		t.Errorf("OnConnected ran %d times", hub.connected.Load())
	}
	c.send(&protocol.Close{})
	if err := <-hub.disconnected; err != nil {
		t.Errorf("OnDisconnected(%v) after a client Close", err)
	}
	c2 := connect(t, srv, "json")
	c2.send(&protocol.Close{Error: "client broke"})
	var he *HubError
	if err := <-hub.disconnected; !errors.As(err, &he) || he.Message != "client broke" {
		t.Errorf("OnDisconnected(%v), want the client's error", err)
	}
}

func TestOnConnectedErrorCloses(t *testing.T) {
	hub := newTestHub()
	srv := newTestServer(t, hub, Options{})
	c := open(t, srv, "json", func(f *fakeConn) {
		f.req = f.req.Clone(context.Background())
		q := f.req.URL.Query()
		q.Set("fail", "1")
		f.req.URL.RawQuery = q.Encode()
	})
	c.handshake(1)
	m := c.next()
	cl, ok := m.(*protocol.Close)
	if !ok || cl.Error != "Connection closed with an error." || cl.AllowReconnect {
		t.Fatalf("got %+v, want Close without reconnect", m)
	}
	c.closed()
}

type panicHub struct{}

func (panicHub) OnConnected(*Context) error { panic("hook panic") }

func TestPanicInHookClosesOnlyThatConnection(t *testing.T) {
	srv := newTestServer(t, panicHub{}, Options{})
	c := open(t, srv, "json")
	c.handshake(1)
	if cl, ok := c.next().(*protocol.Close); !ok || cl.AllowReconnect {
		t.Fatalf("want Close, got %+v", cl)
	}
	c.closed()
}

func TestInvalidHubs(t *testing.T) {
	for name, hub := range map[string]any{
		"func param":    &struct{ badHub }{},
		"bad hook":      badHook{},
		"three results": threeResults{},
	} {
		if _, err := NewServer(hub, Options{}); !errors.Is(err, ErrInvalidHub) {
			t.Errorf("%s: NewServer error %v", name, err)
		}
	}
	srv := newTestServer(t, nil, Options{})
	if err := srv.Handle("x", 42); !errors.Is(err, ErrInvalidHub) {
		t.Errorf("Handle(non-func) = %v", err)
	}
	if err := srv.Handle("Dup", func() {}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Handle("dup", func() {}); !errors.Is(err, ErrInvalidHub) {
		t.Errorf("duplicate Handle = %v", err)
	}
}

type badHub struct{}

func (badHub) Take(func()) {}

type badHook struct{}

func (badHook) OnConnected() {}

type threeResults struct{}

func (threeResults) M() (int, int, error) { return 0, 0, nil }

func TestHandleFunction(t *testing.T) {
	srv := newTestServer(t, nil, Options{})
	if err := srv.Handle("Greet", func(c *Context, name string) string { return "hi " + name }); err != nil {
		t.Fatal(err)
	}
	c := connect(t, srv, "json")
	comp, _ := c.invoke("1", "greet", "bob")
	var s string
	c.value(comp.Result, &s)
	if s != "hi bob" {
		t.Errorf("got %q", s)
	}
}
