package httpserve

import (
	"container/list"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// tracker counts open connections and keeps the idle ones (keep-alives
// waiting for their next request, and accepted ones that have not sent
// one yet) in the order they became idle, to close the oldest first.
type tracker struct {
	max int64
	log *slog.Logger

	open atomic.Int64 // accepted and not closed, hijacked ones included
	shed atomic.Int64 // idle connections closed to make room

	mu       sync.Mutex
	idle     list.List               // of *conn, oldest first
	idleElem map[*conn]*list.Element // the conns in idle
	logged   time.Time               // when shedding was last logged
	unlogged int64                   // shed since
}

func newTracker(max int, log *slog.Logger) *tracker {
	return &tracker{max: int64(max), log: log, idleElem: make(map[*conn]*list.Element)}
}

// connState follows net/http's view of each connection.
func (t *tracker) connState(nc net.Conn, st http.ConnState) {
	if tc, ok := nc.(*tls.Conn); ok { // ServeTLS: ours is underneath
		nc = tc.NetConn()
	}
	c, ok := nc.(*conn)
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch st {
	case http.StateNew, http.StateIdle:
		if _, in := t.idleElem[c]; !in {
			t.idleElem[c] = t.idle.PushBack(c)
		}
	default: // active, hijacked (a WebSocket is busy, not idle), closed
		if e, in := t.idleElem[c]; in {
			t.idle.Remove(e)
			delete(t.idleElem, c)
		}
	}
}

// accepted counts c in and, if that brings the open connections to the
// limit, closes idle ones, oldest first, down to 1/64 of the limit below
// it, so that shedding comes in batches rather than once per accept.
func (t *tracker) accepted() {
	if t.open.Add(1) < t.max {
		return
	}
	target := t.max - max(1, t.max/64)
	var victims []*conn
	t.mu.Lock()
	for n := t.open.Load(); n > target; n-- {
		e := t.idle.Front()
		if e == nil {
			break
		}
		c := t.idle.Remove(e).(*conn)
		delete(t.idleElem, c)
		victims = append(victims, c)
	}
	t.unlogged += int64(len(victims))
	logNow := t.unlogged > 0 && time.Since(t.logged) >= time.Second
	shedSince := t.unlogged
	if logNow {
		t.logged, t.unlogged = time.Now(), 0
	}
	t.mu.Unlock()
	for _, c := range victims {
		c.Close()
	}
	t.shed.Add(int64(len(victims)))
	if logNow {
		t.log.Warn("httpserve: open connections reached the limit; closed idle keep-alive connections, oldest first",
			"closed", shedSince, "total_closed", t.shed.Load(), "open", t.open.Load(), "limit", t.max)
	}
}

// listener counts the connections it accepts in its tracker.
type listener struct {
	net.Listener
	t *tracker
}

func (l *listener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c := &conn{Conn: nc, t: l.t}
	l.t.accepted()
	return c, nil
}

// conn is an accepted connection, counted out when closed. It passes on
// the descriptor (syscall.Conn) so that the SignalR transport still
// writes hijacked WebSockets without blocking.
type conn struct {
	net.Conn
	t      *tracker
	closed atomic.Bool
}

func (c *conn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.t.open.Add(-1)
	}
	return c.Conn.Close()
}

// SyscallConn returns the descriptor of the underlying connection.
func (c *conn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, syscall.EINVAL
}
