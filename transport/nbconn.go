package transport

import (
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
// The backlog needs no limit of its own: writers leave a socket alone
// while its backlog is written out (see Conn.writeWS), so it holds at most
// one batch and a few control frames, and drained calls back for the
// next batch. What waits meanwhile stays in the connection's queue, which
// MaxQueueBytes bounds.
//
// A connection without a file descriptor (TLS, say) keeps every write as
// backlog: the flushing goroutine then does all the writing.
type nbConn struct {
	net.Conn
	raw         syscall.RawConn // nil: no direct writes
	sendTimeout time.Duration
	wg          *sync.WaitGroup
	drained     func() // called when a backlog has been written out
	budget      *budget

	mu       sync.Mutex
	backlog  []byte
	inFlight int       // bytes flush took from backlog and is writing
	progress time.Time // when the backlog began, or a piece of it was last written
	flushing bool      // a goroutine is writing the backlog out
	err      error     // why writing failed; sticky

	// The write callback for raw and its state, made once per connection:
	// a closure made per write would cost allocations on every write.
	writeFn func(fd uintptr) bool
	p       []byte
	written int
	werr    error
}

// newNBConn wraps conn, whose flushing goroutines wg tracks and whose
// backlog b counts.
func newNBConn(conn net.Conn, sendTimeout time.Duration, wg *sync.WaitGroup, b *budget) *nbConn {
	n := &nbConn{Conn: conn, sendTimeout: sendTimeout, wg: wg, budget: b}
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
		n.backlog = append(n.backlog, p...)
		n.budget.add(len(p))
		return len(p), nil
	}
	written, err := n.tryWrite(p)
	if err != nil {
		n.err = err
		return written, err
	}
	if written == len(p) {
		return written, nil
	}
	n.backlog = append(n.backlog, p[written:]...)
	n.budget.add(len(p) - written)
	n.flushing, n.progress = true, time.Now()
	n.wg.Go(n.flush)
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
			failed := n.err != nil
			n.mu.Unlock()
			n.budget.add(-len(chunk))
			if !failed && n.drained != nil {
				n.drained()
			}
			return
		}
		n.inFlight = len(chunk)
		n.mu.Unlock()
		err := n.writeOut(chunk)
		n.mu.Lock()
		n.inFlight = 0
		n.mu.Unlock()
		n.budget.add(-len(chunk))
		if err != nil {
			n.mu.Lock()
			if n.err == nil {
				n.err = err
			}
			dropped := len(n.backlog)
			n.flushing, n.backlog = false, nil
			n.mu.Unlock()
			n.budget.add(-dropped)
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
		n.mu.Lock()
		n.progress = time.Now()
		n.mu.Unlock()
		chunk = chunk[len(piece):]
	}
	return nil
}

// busy reports whether a backlog is being written out.
func (n *nbConn) busy() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.flushing
}

// held returns the bytes waiting to be written out and, when there are
// some, since when the socket has taken none of them.
func (n *nbConn) held() (int64, time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.flushing {
		return 0, time.Time{}
	}
	return int64(len(n.backlog) + n.inFlight), n.progress
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
