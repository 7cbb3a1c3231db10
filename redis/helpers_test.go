package redis

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/protocol"
)

func TestMain(m *testing.M) {
	if addr := os.Getenv(childEnv); addr != "" {
		runChild(addr) // a server process for TestServerKilled
		return
	}
	goredis.SetLogger(quiet{}) // its pool logs every failed dial while Redis is down
	goleak.VerifyTestMain(m)
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// testHub is the hub name every test node uses, as a .NET full name.
const testHub = "Test.Hubs.TestHub"

var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// node is one "server": a Backplane and the test hub's manager.
type node struct {
	b *Backplane
	h *HubManager
}

// newNode opens a backplane with short timeouts for tests; it is closed
// when the test ends.
func newNode(t testing.TB, addrs []string, tweak ...func(*Options)) *node {
	t.Helper()
	opts := Options{
		Addrs: addrs, NodeTTL: time.Second, AckTimeout: 2 * time.Second, OpTimeout: time.Second,
		Logger: quietLogger,
	}
	for _, f := range tweak {
		f(&opts)
	}
	b, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	if !b.isUp() {
		t.Fatal("backplane not connected after Open")
	}
	return &node{b: b, h: b.Hub(testHub, nil)}
}

// fakeConn is a connection that records what it is sent, the way
// ASP.NET Core's specification tests do.
type fakeConn struct {
	id, user string
	proto    protocol.HubProtocol
	failSend bool
	// answer, when set, answers client-result invocations through lm.
	answer func(inv *protocol.Invocation) signalr.ClientResult
	lm     signalr.LifetimeManager

	mu      sync.Mutex
	got     []*protocol.Invocation
	raw     [][]byte
	aborted []error
	changed chan struct{} // signaled on every change
}

func newConn(id, user string) *fakeConn {
	return &fakeConn{id: id, user: user, proto: protocol.JSON{}, changed: make(chan struct{}, 1)}
}

func (c *fakeConn) ID() string     { return c.id }
func (c *fakeConn) UserID() string { return c.user }

func (c *fakeConn) Send(m *protocol.Prepared) error {
	if c.failSend {
		return io.ErrClosedPipe
	}
	b, err := m.Bytes(c.proto)
	if err != nil {
		return err
	}
	body, _, err := c.proto.NextFrame(b, 0)
	if err != nil {
		return err
	}
	msg, err := c.proto.Decode(body)
	if err != nil {
		return err
	}
	inv, _ := msg.(*protocol.Invocation)
	c.mu.Lock()
	c.got = append(c.got, inv)
	c.raw = append(c.raw, b)
	c.mu.Unlock()
	c.signal()
	if inv != nil && inv.InvocationID != "" && c.answer != nil {
		r := c.answer(inv)
		go func() { _ = c.lm.SetResult(context.Background(), c.id, inv.InvocationID, r) }()
	}
	return nil
}

func (c *fakeConn) Abort(err error) {
	c.mu.Lock()
	c.aborted = append(c.aborted, err)
	c.mu.Unlock()
	c.signal()
}

func (c *fakeConn) signal() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// targets returns "Target:arg0" of every invocation received.
func (c *fakeConn) targets() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.got))
	for _, inv := range c.got {
		s := "?"
		if inv != nil {
			s = inv.Target
			if len(inv.Arguments) > 0 {
				var a any
				if raw, ok := inv.Arguments[0].(protocol.Raw); ok && c.proto.Unmarshal(raw, &a) == nil {
					s += ":" + stringOf(a)
				}
			}
		}
		out = append(out, s)
	}
	return out
}

func stringOf(a any) string {
	switch v := a.(type) {
	case string:
		return v
	case float64:
		return time.Duration(v).String()
	}
	return "?"
}

// waitFor waits until cond holds, failing the test after 5 s.
func (c *fakeConn) waitFor(t testing.TB, what string, cond func(*fakeConn) bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for !cond(c) {
		select {
		case <-c.changed:
		case <-deadline:
			t.Fatalf("%s: timed out waiting for %s; got %q", c.id, what, c.targets())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// waitN waits until the connection received n messages and returns them.
func (c *fakeConn) waitN(t testing.TB, n int) []string {
	t.Helper()
	c.waitFor(t, "messages", func(c *fakeConn) bool { return len(c.targets()) >= n })
	return c.targets()
}

// msg prepares an invocation of target with one string argument.
func msg(target, arg string) *protocol.Prepared {
	return protocol.Prepare(&protocol.Invocation{Target: target, Arguments: []any{arg}})
}

// add registers c on n, failing the test on error.
func (n *node) add(t testing.TB, c *fakeConn) *fakeConn {
	t.Helper()
	c.lm = n.h
	if err := n.h.Add(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

// send sends to t, failing the test on error.
func (n *node) send(t testing.TB, tg signalr.Target, target, arg string) {
	t.Helper()
	if err := n.h.Send(context.Background(), tg, msg(target, arg)); err != nil {
		t.Fatal(err)
	}
}

func all(exclude ...string) signalr.Target {
	return signalr.Target{Kind: signalr.ToAll, Exclude: exclude}
}
func conns(ids ...string) signalr.Target {
	return signalr.Target{Kind: signalr.ToConnections, Names: ids}
}
func groups(names ...string) signalr.Target {
	return signalr.Target{Kind: signalr.ToGroups, Names: names}
}
func users(ids ...string) signalr.Target { return signalr.Target{Kind: signalr.ToUsers, Names: ids} }

// ctx5 is a context for calls that must not take long.
func ctx5(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}
