package client

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signalr-go/signalr/protocol"
)

// events records lifecycle callbacks.
type events struct {
	reconnecting chan error
	reconnected  chan string
	closed       chan error
}

func watch(c *Client) *events {
	e := &events{reconnecting: make(chan error, 8), reconnected: make(chan string, 8), closed: make(chan error, 8)}
	c.OnReconnecting(func(err error) { e.reconnecting <- err })
	c.OnReconnected(func(id string) { e.reconnected <- id })
	c.OnClosed(func(err error) { e.closed <- err })
	return e
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

func TestKeepAlivePings(t *testing.T) {
	s := newFakeServer(t)
	start(t, s, WithTransports(WebSockets), WithKeepAliveInterval(50*time.Millisecond))
	fc := s.waitConn(t)
	for range 4 { // the first after the handshake, then one per idle interval
		fc.next(t, protocol.PingType)
	}
}

func TestServerTimeoutClosesWithoutPolicy(t *testing.T) {
	s := newFakeServer(t)
	c := start(t, s, WithTransports(WebSockets), WithServerTimeout(200*time.Millisecond), WithReconnectPolicy(nil))
	e := watch(c)
	s.waitConn(t)
	err := receive(t, e.closed, "OnClosed")
	if !errors.Is(err, ErrServerTimeout) {
		t.Errorf("closed with %v, want ErrServerTimeout", err)
	}
	if c.State() != Disconnected {
		t.Errorf("state %v", c.State())
	}
}

func TestCloseAllowReconnect(t *testing.T) {
	s := newFakeServer(t)
	c := start(t, s, WithTransports(WebSockets))
	e := watch(c)
	fc := s.waitConn(t)
	fc.send(&protocol.Close{Error: "restarting", AllowReconnect: true})
	err := receive(t, e.reconnecting, "OnReconnecting")
	var ce *CloseError
	if !errors.As(err, &ce) || !ce.AllowReconnect || ce.Message != "restarting" {
		t.Errorf("reconnecting with %v", err)
	}
	id := receive(t, e.reconnected, "OnReconnected")
	fc2 := s.waitConn(t)
	if id != fc2.id || id == fc.id || c.ConnectionID() != id {
		t.Errorf("reconnected as %q, server conn %q, old %q", id, fc2.id, fc.id)
	}
	if v, err := Invoke[int](testCtx(t), c, "Echo", 7); err != nil || v != 7 {
		t.Errorf("after reconnect Echo = %d, %v", v, err)
	}
}

func TestCloseWithoutReconnect(t *testing.T) {
	s := newFakeServer(t)
	c := start(t, s, WithTransports(WebSockets))
	e := watch(c)
	fc := s.waitConn(t)
	fc.send(&protocol.Close{Error: "go away"})
	err := receive(t, e.closed, "OnClosed")
	if err == nil || err.Error() != "Server returned an error on close: go away" {
		t.Errorf("closed with %v", err)
	}
	fc.next(t, protocol.CloseType) // the client answers with its own Close
	if len(e.reconnecting) != 0 {
		t.Error("reconnect attempted after a Close without allowReconnect")
	}
}

func TestPendingFailOnConnectionLoss(t *testing.T) {
	s := newFakeServer(t)
	c := start(t, s, WithTransports(LongPolling), WithReconnectPolicy(DelayPolicy{time.Hour}))
	e := watch(c)
	fc := s.waitConn(t)
	errc := make(chan error, 1)
	go func() {
		_, err := Invoke[int](testCtx(t), c, "NeverAnswers")
		errc <- err
	}()
	fc.next(t, protocol.InvocationType)
	fc.shutdown() // the next poll gets 204
	if err := receive(t, errc, "Invoke to fail"); !errors.Is(err, ErrConnectionClosed) {
		t.Errorf("Invoke error %v, want ErrConnectionClosed", err)
	}
	receive(t, e.reconnecting, "OnReconnecting")
	if c.State() != Reconnecting {
		t.Errorf("state %v, want Reconnecting", c.State())
	}
	if _, err := Invoke[int](testCtx(t), c, "Echo", 1); !errors.Is(err, ErrNotConnected) {
		t.Errorf("Invoke while reconnecting: %v", err)
	}
	// Stop ends the wait of an hour at once.
	if err := c.Stop(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if err := receive(t, e.closed, "OnClosed"); err != nil {
		t.Errorf("OnClosed after Stop got %v", err)
	}
}

func TestReconnectGivesUp(t *testing.T) {
	s := newFakeServer(t)
	c := start(t, s, WithTransports(WebSockets), WithReconnectPolicy(DelayPolicy{0, 10 * time.Millisecond}))
	e := watch(c)
	fc := s.waitConn(t)
	s.mu.Lock()
	s.refuse["WebSockets"] = true
	s.mu.Unlock()
	fc.shutdown()
	receive(t, e.reconnecting, "OnReconnecting")
	err := receive(t, e.closed, "OnClosed")
	if !errors.Is(err, ErrNoTransport) {
		t.Errorf("gave up with %v", err)
	}
	s.mu.Lock()
	n := s.negotiates
	s.mu.Unlock()
	if n != 3 {
		t.Errorf("%d negotiates, want 3 (start + 2 attempts)", n)
	}
}

func TestClientResults(t *testing.T) {
	for _, p := range []protocol.HubProtocol{protocol.NewJSON(), protocol.NewMessagePack()} {
		t.Run(p.Name(), func(t *testing.T) {
			s := newFakeServer(t)
			c := start(t, s, WithTransports(WebSockets), WithProtocol(p))
			c.On("double", func(ctx context.Context, x int) (int, error) { return 2 * x, nil })
			c.On("refuse", func(x int) (int, error) { return 0, errors.New("no thanks") })
			c.On("nothing", func(x int) {})
			c.On("twice", func(int) int { return 1 })
			c.On("twice", func(int) int { return 2 })
			fc := s.waitConn(t)
			ask := func(id, target string) *protocol.Completion {
				fc.send(&protocol.Invocation{InvocationID: id, Target: target, Arguments: []any{21}})
				return fc.next(t, protocol.CompletionType).(*protocol.Completion)
			}
			comp := ask("s1", "Double")
			var v int
			if comp.InvocationID != "s1" || !comp.HasResult || p.Unmarshal(comp.Result.(protocol.Raw), &v) != nil || v != 42 {
				t.Errorf("Double completion %+v", comp)
			}
			if comp := ask("s2", "refuse"); comp.Error != "no thanks" {
				t.Errorf("refuse completion %+v", comp)
			}
			if comp := ask("s3", "nothing"); comp.Error != "Client didn't provide a result." {
				t.Errorf("nothing completion %+v", comp)
			}
			if comp := ask("s4", "unknown"); comp.Error != "Client didn't provide a result." {
				t.Errorf("unknown completion %+v", comp)
			}
			if comp := ask("s5", "twice"); comp.Error != "Client provided multiple results." {
				t.Errorf("twice completion %+v", comp)
			}
		})
	}
}

// TestHandlerMayInvoke checks that a handler can wait for an invocation:
// the reader keeps reading while handlers run.
func TestHandlerMayInvoke(t *testing.T) {
	s := newFakeServer(t)
	c := start(t, s, WithTransports(WebSockets))
	done := make(chan string, 1)
	c.On("poke", func(ctx context.Context) (string, error) {
		v, err := Invoke[string](ctx, c, "Echo", "inner")
		done <- v
		return v, err
	})
	fc := s.waitConn(t)
	fc.send(&protocol.Invocation{InvocationID: "s1", Target: "poke", Arguments: []any{}})
	if v := receive(t, done, "handler's Invoke"); v != "inner" {
		t.Errorf("got %q", v)
	}
	if comp := fc.next(t, protocol.CompletionType).(*protocol.Completion); comp.InvocationID != "s1" || comp.Error != "" {
		t.Errorf("completion %+v", comp)
	}
}

func TestBadHandlerArguments(t *testing.T) {
	s := newFakeServer(t)
	c := start(t, s, WithTransports(WebSockets))
	c.On("typed", func(n int) (int, error) { return n, nil })
	c.On("panics", func() (int, error) { panic("oops") })
	fc := s.waitConn(t)
	fc.send(&protocol.Invocation{InvocationID: "s1", Target: "typed", Arguments: []any{"not a number"}})
	if comp := fc.next(t, protocol.CompletionType).(*protocol.Completion); !strings.Contains(comp.Error, "argument 0") {
		t.Errorf("completion %+v", comp)
	}
	fc.send(&protocol.Invocation{InvocationID: "s2", Target: "typed", Arguments: []any{1, 2}})
	if comp := fc.next(t, protocol.CompletionType).(*protocol.Completion); !strings.Contains(comp.Error, "expects 1") {
		t.Errorf("completion %+v", comp)
	}
	fc.send(&protocol.Invocation{InvocationID: "s3", Target: "panics", Arguments: []any{}})
	if comp := fc.next(t, protocol.CompletionType).(*protocol.Completion); !strings.Contains(comp.Error, "oops") {
		t.Errorf("completion %+v", comp)
	}
	if c.State() != Connected {
		t.Errorf("state %v", c.State())
	}
}

func TestOnPanicsOnBadHandler(t *testing.T) {
	c, _ := New("http://127.0.0.1/hub")
	for _, h := range []any{42, func() (int, int) { return 0, 0 }, func(...int) {}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("On accepted %T", h)
				}
			}()
			c.On("x", h)
		}()
	}
}

func TestUploadStream(t *testing.T) {
	s := newFakeServer(t)
	c := start(t, s, WithTransports(WebSockets))
	fc := s.waitConn(t)
	ch := make(chan int)
	result := make(chan error, 1)
	go func() {
		_, err := Invoke[any](testCtx(t), c, "Upload", "label", ch)
		result <- err
	}()
	inv := fc.next(t, protocol.InvocationType).(*protocol.Invocation)
	if inv.InvocationID != "1" || len(inv.StreamIDs) != 1 || inv.StreamIDs[0] != "0" || len(inv.Arguments) != 1 {
		t.Fatalf("invocation %+v: want id 1, stream ids [0], one argument", inv)
	}
	ch <- 5
	ch <- 6
	close(ch)
	for _, want := range []string{"5", "6"} {
		item := fc.next(t, protocol.StreamItemType).(*protocol.StreamItem)
		if item.InvocationID != "0" || string(item.Item.(protocol.Raw)) != want {
			t.Errorf("item %+v, want %s", item, want)
		}
	}
	if comp := fc.next(t, protocol.CompletionType).(*protocol.Completion); comp.InvocationID != "0" || comp.Error != "" || comp.HasResult {
		t.Errorf("stream completion %+v", comp)
	}
	fc.send(&protocol.Completion{InvocationID: "1", Result: nil, HasResult: true})
	if err := receive(t, result, "Invoke"); err != nil {
		t.Error(err)
	}
}

func TestStreamCancel(t *testing.T) {
	s := newFakeServer(t)
	c := start(t, s, WithTransports(WebSockets))
	fc := s.waitConn(t)
	go func() {
		si := fc.next(t, protocol.StreamInvocationType).(*protocol.StreamInvocation)
		fc.send(&protocol.StreamItem{InvocationID: si.InvocationID, Item: 1})
		fc.send(&protocol.StreamItem{InvocationID: si.InvocationID, Item: 2})
	}()
	for v, err := range Stream[int](testCtx(t), c, "Forever") {
		if err != nil || v != 1 {
			t.Fatalf("first item %d, %v", v, err)
		}
		break
	}
	if m := fc.next(t, protocol.CancelInvocationType).(*protocol.CancelInvocation); m.InvocationID != "0" {
		t.Errorf("cancel %+v", m)
	}

	// Context cancellation also cancels, and is reported.
	ctx, cancel := context.WithCancel(testCtx(t))
	go func() {
		fc.next(t, protocol.StreamInvocationType)
		cancel()
	}()
	var last error
	for _, err := range Stream[int](ctx, c, "Forever") {
		last = err
	}
	if !errors.Is(last, context.Canceled) {
		t.Errorf("stream ended with %v", last)
	}
	if m := fc.next(t, protocol.CancelInvocationType).(*protocol.CancelInvocation); m.InvocationID != "1" {
		t.Errorf("cancel %+v", m)
	}

	// A server error ends the stream with a HubError.
	go func() {
		si := fc.next(t, protocol.StreamInvocationType).(*protocol.StreamInvocation)
		fc.send(&protocol.Completion{InvocationID: si.InvocationID, Error: "stream broke"})
	}()
	var he *HubError
	for _, err := range Stream[int](testCtx(t), c, "Broken") {
		if !errors.As(err, &he) || he.Message != "stream broke" {
			t.Errorf("stream error %v", err)
		}
	}
	if he == nil {
		t.Error("no error yielded")
	}
}

func TestBadServerInput(t *testing.T) {
	cases := map[string]struct {
		payload []byte
		want    error
	}{
		"garbage":   {[]byte("{nope\x1e"), ErrProtocol},
		"too large": {[]byte(`{"type":1,"target":"x","arguments":["` + strings.Repeat("a", 2000) + `"]}` + "\x1e"), protocol.ErrMessageTooLarge},
		"bad type":  {[]byte(`{"type":"one"}` + "\x1e"), ErrProtocol},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := newFakeServer(t)
			c := start(t, s, WithTransports(WebSockets), WithMaxMessageSize(1000), WithReconnectPolicy(nil))
			e := watch(c)
			fc := s.waitConn(t)
			fc.write(tc.payload, false)
			if err := receive(t, e.closed, "OnClosed"); !errors.Is(err, tc.want) {
				t.Errorf("closed with %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSkipNegotiation(t *testing.T) {
	s := newFakeServer(t)
	c := start(t, s, WithTransports(WebSockets), WithSkipNegotiation())
	s.waitConn(t)
	if v, err := Invoke[string](testCtx(t), c, "Echo", "direct"); err != nil || v != "direct" {
		t.Errorf("Echo = %q, %v", v, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.negotiates != 0 || c.ConnectionID() != "" {
		t.Errorf("%d negotiates, id %q", s.negotiates, c.ConnectionID())
	}
}

// proxy forwards TCP connections to target and can cut them all.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.sever()
		p.wg.Wait()
	})
	return p
}

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, in, out)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(in, out)
		go p.pipe(out, in)
	}
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
}

// sever cuts every connection without a WebSocket close: a network drop.
func (p *proxy) sever() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func TestStatefulReconnect(t *testing.T) {
	for _, proto := range []protocol.HubProtocol{protocol.NewJSON(), protocol.NewMessagePack()} {
		t.Run(proto.Name(), func(t *testing.T) { testStatefulReconnect(t, proto) })
	}
}

func testStatefulReconnect(t *testing.T, proto protocol.HubProtocol) {
	s := newFakeServer(t)
	s.stateful = true
	p := newProxy(t, s.srv.Listener.Addr().String())
	c, err := New("http://"+p.ln.Addr().String()+"/hub", WithTransports(WebSockets), WithStatefulReconnect(0), WithProtocol(proto))
	if err != nil {
		t.Fatal(err)
	}
	e := watch(c)
	notes := make(chan int, 10)
	c.On("note", func(n int) { notes <- n })
	ctx := testCtx(t)
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(ctx)
	fc := s.waitConn(t)
	if !fc.stateful {
		t.Fatal("stateful reconnect not negotiated (handshake version 2)")
	}
	if v, err := Invoke[string](ctx, c, "Echo", "before"); err != nil || v != "before" {
		t.Fatalf("Echo = %q, %v", v, err)
	}
	fc.send(&protocol.Invocation{Target: "Note", Arguments: []any{1}})
	if n := receive(t, notes, "note 1"); n != 1 {
		t.Fatalf("note %d", n)
	}
	fc.next(t, protocol.AckType) // the client acknowledges within about a second

	p.sever()
	// Sent while the connection is down: buffered, then replayed.
	if err := c.Send(ctx, "Fire", "during"); err != nil {
		t.Fatalf("Send during the drop: %v", err)
	}
	seq := fc.next(t, protocol.SequenceType).(*protocol.Sequence)
	if seq.SequenceID > 3 || seq.SequenceID < 1 {
		t.Errorf("client Sequence %d", seq.SequenceID)
	}
	fire := fc.next(t, protocol.InvocationType).(*protocol.Invocation)
	if fire.Target != "Fire" {
		t.Errorf("replayed %+v, want Fire exactly once after the duplicate", fire)
	}
	fc.send(&protocol.Invocation{Target: "Note", Arguments: []any{2}})
	if n := receive(t, notes, "note 2"); n != 2 {
		t.Fatalf("note %d after resume (duplicate of 1 not dropped?)", n)
	}
	if v, err := Invoke[string](ctx, c, "Echo", "after"); err != nil || v != "after" {
		t.Fatalf("Echo after resume = %q, %v", v, err)
	}
	if len(notes) != 0 || len(e.reconnecting) != 0 {
		t.Errorf("extra notes %d or reconnecting %d", len(notes), len(e.reconnecting))
	}
	s.mu.Lock()
	n := s.negotiates
	s.mu.Unlock()
	if n != 1 || c.ConnectionID() != fc.id {
		t.Errorf("%d negotiates, id %q: a resume must not renegotiate", n, c.ConnectionID())
	}
}
