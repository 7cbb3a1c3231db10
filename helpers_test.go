package signalr

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/signalr-go/signalr/protocol"
	"github.com/signalr-go/signalr/transport"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeConn is an in-memory transport connection: it records what the hub
// writes and calls Closed as the real transport does, once, after any
// Receive in progress.
type fakeConn struct {
	id        string
	principal transport.Principal
	tr        transport.Type
	stateful  bool
	ctx       context.Context
	cancel    context.CancelFunc
	req       *http.Request

	rmu  sync.Mutex // serializes Receive and Closed, as the transport does
	recv *session

	mu         sync.Mutex
	out        []byte
	wake       chan struct{}
	closing    bool
	closeErr   error
	noReconn   bool
	format     protocol.TransferFormat
	closedDone chan struct{}
	discard    bool // drop writes (benchmarks)
}

func newFakeConn(id string, p transport.Principal, tr transport.Type) *fakeConn {
	ctx, cancel := context.WithCancel(context.Background())
	return &fakeConn{
		id: id, principal: p, tr: tr, ctx: ctx, cancel: cancel,
		req:  httptest.NewRequest("GET", "/hub?id="+id, nil),
		wake: make(chan struct{}, 1), format: protocol.TextFormat, closedDone: make(chan struct{}),
	}
}

func (f *fakeConn) ID() string                          { return f.id }
func (f *fakeConn) Transport() transport.Type           { return f.tr }
func (f *fakeConn) Request() *http.Request              { return f.req }
func (f *fakeConn) Principal() transport.Principal      { return f.principal }
func (f *fakeConn) Context() context.Context            { return f.ctx }
func (f *fakeConn) SetFormat(t protocol.TransferFormat) { f.mu.Lock(); f.format = t; f.mu.Unlock() }
func (f *fakeConn) SupportsFormat(t protocol.TransferFormat) bool {
	return f.tr != transport.ServerSentEvents || t == protocol.TextFormat
}
func (f *fakeConn) StatefulReconnect() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stateful && !f.noReconn
}
func (f *fakeConn) DisableReconnect() { f.mu.Lock(); f.noReconn = true; f.mu.Unlock() }

func (f *fakeConn) Write(p []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closing {
		return transport.ErrClosed
	}
	if !f.discard {
		f.out = append(f.out, p...)
		select {
		case f.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

func (f *fakeConn) Close(err error) {
	f.mu.Lock()
	if f.closing {
		f.mu.Unlock()
		return
	}
	f.closing, f.closeErr = true, err
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
	go f.finish(err)
}

// finish ends the connection as the transport does.
func (f *fakeConn) finish(err error) {
	f.cancel()
	f.rmu.Lock()
	defer f.rmu.Unlock()
	if f.recv != nil {
		f.recv.Closed(err)
		f.recv = nil
	}
	close(f.closedDone)
}

// receive delivers p like the transport: one call at a time, closing on error.
func (f *fakeConn) receive(p []byte) {
	f.rmu.Lock()
	defer f.rmu.Unlock()
	f.mu.Lock()
	closing := f.closing
	f.mu.Unlock()
	if f.recv == nil || closing {
		return
	}
	if err := f.recv.Receive(p); err != nil {
		f.Close(err)
	}
}

// testClient drives one fake connection with a protocol, as a client.
type testClient struct {
	t    testing.TB
	srv  *Server
	fc   *fakeConn
	hp   protocol.HubProtocol
	read int // bytes of fc.out consumed
	hs   bool
}

const waitTimeout = 5 * time.Second

// connect opens a connection and completes the handshake.
func connect(t testing.TB, srv *Server, proto string, opts ...func(*fakeConn)) *testClient {
	t.Helper()
	c := open(t, srv, proto, opts...)
	c.handshake(1)
	return c
}

var connSeq struct {
	sync.Mutex
	n int
}

// open opens a connection without a handshake.
func open(t testing.TB, srv *Server, proto string, opts ...func(*fakeConn)) *testClient {
	t.Helper()
	connSeq.Lock()
	connSeq.n++
	id := "conn" + itoa(connSeq.n)
	connSeq.Unlock()
	fc := newFakeConn(id, transport.Principal{}, transport.WebSockets)
	for _, o := range opts {
		o(fc)
	}
	s, err := srv.open(fc)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	fc.recv = s
	c := &testClient{t: t, srv: srv, fc: fc, hp: srv.protocols[proto]}
	t.Cleanup(func() { c.close() })
	return c
}

func itoa(n int) string {
	var b []byte
	for n > 0 || len(b) == 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func withUser(id string) func(*fakeConn) {
	return func(f *fakeConn) { f.principal = transport.Principal{ID: id, Name: id} }
}

func withTransport(tr transport.Type) func(*fakeConn) { return func(f *fakeConn) { f.tr = tr } }

func (c *testClient) handshake(version int) {
	c.t.Helper()
	c.fc.receive(protocol.AppendHandshakeRequest(nil, protocol.HandshakeRequest{Protocol: c.hp.Name(), Version: version}))
	if e := c.handshakeResponse(); e != "" {
		c.t.Fatalf("handshake error %q", e)
	}
}

// handshakeResponse waits for the handshake response and returns its error.
func (c *testClient) handshakeResponse() string {
	c.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		c.fc.mu.Lock()
		e, n, err := protocol.ParseHandshakeResponse(c.fc.out[c.read:], 0)
		c.fc.mu.Unlock()
		if err != nil {
			c.t.Fatalf("handshake response: %v", err)
		}
		if n > 0 {
			c.read += n
			c.hs = true
			return e
		}
		if !c.wait(deadline) {
			c.t.Fatal("no handshake response")
		}
	}
}

func (c *testClient) wait(deadline time.Time) bool {
	select {
	case <-c.fc.wake:
		return true
	case <-time.After(time.Until(deadline)):
		return false
	}
}

// send encodes and delivers messages in one chunk.
func (c *testClient) send(msgs ...protocol.Message) {
	c.t.Helper()
	var b []byte
	for _, m := range msgs {
		var err error
		if b, err = c.hp.Append(b, m); err != nil {
			c.t.Fatalf("encode %T: %v", m, err)
		}
	}
	c.fc.receive(b)
}

// next returns the next message other than Ping, or fails after a timeout.
func (c *testClient) next() protocol.Message {
	c.t.Helper()
	m, ok := c.tryNext(waitTimeout, true)
	if !ok {
		c.t.Fatal("no message from the server")
	}
	return m
}

// tryNext waits up to d for a message; pings are skipped if skipPings.
func (c *testClient) tryNext(d time.Duration, skipPings bool) (protocol.Message, bool) {
	deadline := time.Now().Add(d)
	for {
		c.fc.mu.Lock()
		body, n, err := c.hp.NextFrame(c.fc.out[c.read:], 0)
		var m protocol.Message
		if err == nil && n > 0 {
			c.read += n
			m, err = c.hp.Decode(bytes.Clone(body))
		}
		c.fc.mu.Unlock()
		if err != nil {
			c.t.Fatalf("reading server message: %v", err)
		}
		if m != nil {
			if _, ping := m.(*protocol.Ping); ping && skipPings {
				continue
			}
			return m, true
		}
		if n > 0 {
			continue
		}
		if !c.wait(deadline) {
			return nil, false
		}
	}
}

// value decodes a Raw value from the server.
func (c *testClient) value(v any, into any) {
	c.t.Helper()
	raw, ok := v.(protocol.Raw)
	if !ok {
		c.t.Fatalf("value %T is not Raw", v)
	}
	if err := c.hp.Unmarshal(raw, into); err != nil {
		c.t.Fatalf("unmarshal %q: %v", raw, err)
	}
}

// invoke sends an invocation and returns its completion (skipping other
// messages, which it returns too).
func (c *testClient) invoke(id, target string, args ...any) (*protocol.Completion, []protocol.Message) {
	c.t.Helper()
	if args == nil {
		args = []any{}
	}
	c.send(&protocol.Invocation{InvocationID: id, Target: target, Arguments: args})
	return c.completion(id)
}

// completion waits for the Completion of id, collecting what comes before.
func (c *testClient) completion(id string) (*protocol.Completion, []protocol.Message) {
	c.t.Helper()
	var before []protocol.Message
	for {
		m := c.next()
		if comp, ok := m.(*protocol.Completion); ok && comp.InvocationID == id {
			return comp, before
		}
		before = append(before, m)
	}
}

func (c *testClient) close() {
	c.fc.Close(nil)
	select {
	case <-c.fc.closedDone:
	case <-time.After(waitTimeout):
		c.t.Errorf("connection %s did not close", c.fc.id)
	}
}

// closed waits for the connection to be closed by the server.
func (c *testClient) closed() error {
	c.t.Helper()
	select {
	case <-c.fc.closedDone:
	case <-time.After(waitTimeout):
		c.t.Fatalf("connection %s not closed", c.fc.id)
	}
	c.fc.mu.Lock()
	defer c.fc.mu.Unlock()
	return c.fc.closeErr
}

func newTestServer(t testing.TB, hub any, opts Options) *Server {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = discardLogger()
	}
	srv, err := NewServer(hub, opts)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return srv
}

func bothProtocols(t *testing.T, f func(t *testing.T, proto string)) {
	for _, p := range []string{"json", "messagepack"} {
		t.Run(p, func(t *testing.T) { f(t, p) })
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
