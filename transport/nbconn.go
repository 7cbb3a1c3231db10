package transport

import (
	"errors"
	"net"
	"sync"
	"syscall"
	"time"
)

// nbConn is a hijacked WebSocket's network connection as gorilla sees it:
// its writes never block. A write goes straight to the socket while the
// socket takes it; what the socket does not take is kept in order as a
// backlog, which one goroutine writes out (blocking, each write bounded by
// the send timeout) while later writes join the backlog. So a writer that
// serves many connections never waits on a slow client, and the few
// writers of a server are enough for all of its sockets (see writerPool).
//
// A connection without a file descriptor (TLS, say) keeps every write as
// backlog: the flushing goroutine then does all the writing.
type nbConn struct {
	net.Conn
	raw         syscall.RawConn // nil: no direct writes
	sendTimeout time.Duration
	limit       int // most bytes the backlog may hold
	wg          *sync.WaitGroup

	mu       sync.Mutex
	backlog  []byte
	flushing bool  // a goroutine is writing the backlog out
	err      error // why writing failed; sticky

	// The write callback for raw and its state, made once per connection:
	// a closure made per write would cost allocations on every write.
	writeFn func(fd uintptr) bool
	p       []byte
	written int
	werr    error
}

// errBacklogFull fails a write that would grow a socket's backlog past its
// limit: the client does not read.
var errBacklogFull = errors.New("signalr transport: send backlog full")

// newNBConn wraps conn, whose flushing goroutines wg tracks.
func newNBConn(conn net.Conn, sendTimeout time.Duration, limit int, wg *sync.WaitGroup) *nbConn {
	n := &nbConn{Conn: conn, sendTimeout: sendTimeout, limit: limit, wg: wg}
	if sc, ok := conn.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			n.raw, n.writeFn = raw, n.writeSome
		}
	}
	return n
}

// Write takes all of p or fails; it never waits for the client.
func (n *nbConn) Write(p []byte) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case n.err != nil:
		return 0, n.err
	case n.flushing:
		return n.keep(p)
	}
	written, err := n.tryWrite(p)
	if err != nil {
		n.err = err
		return written, err
	}
	if written == len(p) {
		return written, nil
	}
	if _, err := n.keep(p[written:]); err != nil {
		return written, err
	}
	n.flushing = true
	n.wg.Go(n.flush)
	return len(p), nil
}

// keep appends p to the backlog. Called with mu held.
func (n *nbConn) keep(p []byte) (int, error) {
	if len(n.backlog)+len(p) > n.limit {
		n.err = errBacklogFull
		return 0, n.err
	}
	n.backlog = append(n.backlog, p...)
	return len(p), nil
}

// tryWrite writes what the socket takes without waiting: a full socket
// buffer writes nothing and is no error. Called with mu held.
func (n *nbConn) tryWrite(p []byte) (int, error) {
	if n.raw == nil {
		return 0, nil
	}
	n.p, n.written, n.werr = p, 0, nil
	err := n.raw.Write(n.writeFn)
	if err == nil {
		err = n.werr
	}
	written := n.written
	n.p, n.werr = nil, nil
	return written, err
}

// writeSome is tryWrite's callback: it writes n.p until done or the
// socket is full, and never asks to wait (flush does the waiting).
func (n *nbConn) writeSome(fd uintptr) bool {
	for n.written < len(n.p) {
		m, err := syscall.Write(int(fd), n.p[n.written:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return true
		case err != nil:
			n.werr = err
			return true
		}
		n.written += m
	}
	return true
}

// flush writes the backlog out until it is empty or writing fails; a
// failure closes the connection, which ends its reader.
func (n *nbConn) flush() {
	for {
		n.mu.Lock()
		chunk := n.backlog
		n.backlog = nil
		if len(chunk) == 0 || n.err != nil {
			// Direct writes fail once a deadline has passed: clear it
			// before they may start again.
			n.Conn.SetWriteDeadline(time.Time{})
			n.flushing = false
			n.mu.Unlock()
			return
		}
		n.mu.Unlock()
		if err := n.writeOut(chunk); err != nil {
			n.mu.Lock()
			if n.err == nil {
				n.err = err
			}
			n.flushing, n.backlog = false, nil
			n.mu.Unlock()
			n.Conn.Close()
			return
		}
	}
}

// flushPiece is how much of the backlog one deadline covers: a client
// that keeps reading keeps its connection however long the backlog is.
const flushPiece = 64 << 10

// writeOut writes chunk, each piece within the send timeout.
func (n *nbConn) writeOut(chunk []byte) error {
	for len(chunk) > 0 {
		piece := chunk[:min(len(chunk), flushPiece)]
		n.Conn.SetWriteDeadline(time.Now().Add(n.sendTimeout))
		if _, err := n.Conn.Write(piece); err != nil {
			return err
		}
		chunk = chunk[len(piece):]
	}
	return nil
}

// failure returns why writing failed, nil if it has not.
func (n *nbConn) failure() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.err
}

// SetWriteDeadline is a no-op: writes do not wait, and the backlog's
// writes have their own deadline.
func (n *nbConn) SetWriteDeadline(time.Time) error { return nil }
