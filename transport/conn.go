package transport

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/signalr-go/signalr/protocol"
)

// state is where a connection is in its life.
type state uint8

const (
	stNew      state = iota // negotiated, no transport request yet
	stActive                // a transport request is attached: a socket, an SSE stream, a pending poll
	stInactive              // between two long polls, or a stateful WebSocket waiting for its client
	stResuming              // a reconnected WebSocket runs Resume: writes queue but are not sent yet
	stClosing               // Close was called: what is queued drains, then the transport ends
	stClosed                // ended; Closed has been or is being called
)

// Conn is one client connection, from negotiate (or a WebSocket without
// negotiate) to its end. Its methods are safe for concurrent use.
type Conn struct {
	srv       *Server
	id, token string
	principal Principal
	stateful  bool // negotiate granted useStatefulReconnect
	ctx       context.Context
	cancel    context.CancelFunc
	format    atomic.Int32 // protocol.TransferFormat of later WebSocket frames

	// rmu serializes every call into the Receiver (Receive, Resume, Closed)
	// and Handler.Open, which gives the "one call at a time" guarantee
	// across POSTs and reconnected sockets.
	rmu  sync.Mutex
	recv Receiver

	// pmu keeps a whole POST body together: two POSTs must not interleave
	// their chunks.
	pmu sync.Mutex

	mu          sync.Mutex
	state       state
	transport   Type
	kept        *keptRequest  // until Request builds req
	req         *http.Request // built on the first Request
	q           queue
	closeErr    error
	noReconnect bool
	idleSince   time.Time     // when the connection last lost its transport request; zero while one is attached
	ws          *wsSink       // the current WebSocket
	wake        chan struct{} // the SSE stream's or the pending long poll's signal
}

// newConn returns a connection in its negotiated state.
func (s *Server) newConn(id, token string, p Principal, stateful bool) *Conn {
	c := &Conn{srv: s, id: id, token: token, principal: p, stateful: stateful, idleSince: time.Now()}
	c.q.budget = &s.budget
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.format.Store(int32(protocol.TextFormat))
	return c
}

// ID returns the public connection id (never the token, which only the
// client may know).
func (c *Conn) ID() string { return c.id }

// Transport returns the connection's transport; 0 before the first
// transport request.
func (c *Conn) Transport() Type {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.transport
}

// Request returns the request that established the transport (the
// WebSocket upgrade, the SSE GET, the first long poll) for its headers,
// URL, cookies, RemoteAddr and TLS state. Its body is not usable and it
// must not be modified; it may be kept after the connection ends.
func (c *Conn) Request() *http.Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.req == nil && c.kept != nil {
		c.req, c.kept = c.kept.request(c), nil
	}
	return c.req
}

// Principal returns who the connection belongs to.
func (c *Conn) Principal() Principal { return c.principal }

// Context returns a context cancelled when the connection ends.
func (c *Conn) Context() context.Context { return c.ctx }

// SupportsFormat reports whether the transport can carry f: Server-Sent
// Events carry text only.
func (c *Conn) SupportsFormat(f protocol.TransferFormat) bool {
	return c.Transport() != ServerSentEvents || f == protocol.TextFormat
}

// SetFormat sets the frame type of later WebSocket writes: text by default,
// binary for MessagePack. Set it before writing the handshake response.
func (c *Conn) SetFormat(f protocol.TransferFormat) { c.format.Store(int32(f)) }

// StatefulReconnect reports whether the connection may survive a dropped
// WebSocket: negotiate granted it, the transport is WebSockets and
// DisableReconnect was not called.
func (c *Conn) StatefulReconnect() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stateful && c.transport == WebSockets && !c.noReconnect
}

// DisableReconnect turns stateful reconnect off, because the layer above
// refused it or is closing: a dropped socket now ends the connection, and a
// later WebSocket with the token is refused. A connection already waiting
// for its client ends now.
func (c *Conn) DisableReconnect() {
	c.mu.Lock()
	c.noReconnect = true
	waiting := c.state == stInactive && c.transport == WebSockets
	c.mu.Unlock()
	if waiting {
		c.srv.wg.Go(func() { c.finish(ErrConnectionLost) })
	}
}

// Write queues p, one or more whole messages, to be sent after everything
// queued before; it never blocks on the network. p is retained until sent
// and must not be modified (the same slice may be queued on many
// connections). After the connection ended or began closing it returns
// ErrClosed. If the queue would exceed Options.MaxQueueBytes, the connection
// is ended with ErrSlowConsumer, which is returned; if the bytes queued for
// all connections pass Options.MaxTotalQueueBytes, the connections holding
// the most are ended with ErrSlowConsumer soon after. While a stateful
// connection waits for its client to reconnect, p is discarded: the layer
// above replays it on Resume.
func (c *Conn) Write(p []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.write(p, false)
}

// WriteReply is Write for the answer to something the client asked: a
// WebSocket with a reply queued is served by the writers ahead of those
// with only other messages queued (a broadcast's), so that a client's
// round trip does not wait for a crowd's fan-out to go out. Order on the
// connection is kept: the reply goes out after what was queued before.
func (c *Conn) WriteReply(p []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.write(p, true)
}

func (c *Conn) writeLocked(p []byte) error { return c.write(p, false) }

func (c *Conn) write(p []byte, reply bool) error {
	switch {
	case c.state >= stClosing:
		return ErrClosed
	case c.state == stInactive && c.transport == WebSockets:
		return nil
	case c.q.bytes > 0 && c.q.bytes+len(p) > c.srv.opts.MaxQueueBytes:
		c.dropLocked(ErrSlowConsumer)
		return ErrSlowConsumer
	case (len(c.q.msgs) > 0 || (c.ws != nil && c.ws.parked)) && c.srv.budget.over() && c.behindLocked():
		c.srv.shed.conns.Add(1)
		c.srv.shed.bytes.Add(int64(c.q.charged))
		c.dropLocked(ErrSlowConsumer)
		return ErrSlowConsumer
	}
	if c.ws == nil && len(c.q.msgs) == 0 {
		c.q.since = time.Now()
	}
	c.q.push(p)
	if reply {
		c.q.replies = len(c.q.msgs)
	}
	c.kick(reply)
	return nil
}

// Close sends what is queued (each write bounded by Options.SendTimeout),
// then ends the connection; Receiver.Closed(err) follows. Idempotent.
func (c *Conn) Close(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state >= stClosing {
		return
	}
	prev := c.state
	c.state, c.closeErr = stClosing, err
	if prev == stNew || (prev == stInactive && c.transport == WebSockets) {
		// No transport to drain through.
		c.srv.wg.Go(func() { c.finish(err) })
		return
	}
	// A long poll connection without a pending poll keeps its tail for the
	// next poll, which is answered with the rest and then 204; the scan
	// ends it if none comes.
	c.kickLocked()
}

// kickLocked gets queued bytes (or a close) moving: it hands the WebSocket
// to a writer or wakes the SSE stream or pending poll.
func (c *Conn) kickLocked() { c.kick(false) }

// kick is kickLocked; reply puts the socket in the writers' reply lane,
// moving it there if it waits in the other one (its place there is given
// up: the job left behind finds its ticket outdated and does nothing).
func (c *Conn) kick(reply bool) {
	if s := c.ws; s != nil && c.state != stResuming {
		switch {
		case !s.writing:
			s.writing, s.lane = true, reply
			s.ticket++
			c.srv.flush(flushJob{c, s, s.ticket}, reply)
		case !reply || s.parked:
		case s.turn:
			s.replyNext = true
		case s.lane: // waits in the reply lane already
		default:
			s.lane = true
			s.ticket++
			c.srv.flush(flushJob{c, s, s.ticket}, true)
		}
	}
	if c.wake != nil {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// open calls Handler.Open and keeps the Receiver.
func (c *Conn) open() error {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	recv, err := c.srv.handler.Open(c)
	if err != nil {
		return err
	}
	c.recv = recv
	return nil
}

// deliver hands p, read from WebSocket from (nil for a POST body), to the
// Receiver. It reports false when the connection ended before; bytes
// arriving while it closes are dropped. So are bytes that the reader of a
// socket replaced by a stateful reconnect still had buffered: they would
// reach the Receiver after Resume, amid the client's replay, while the
// client replays them anyway since they were not acknowledged. A Receive
// error closes the connection.
func (c *Conn) deliver(p []byte, from *wsSink) bool {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.recv == nil {
		return false
	}
	c.mu.Lock()
	drop := c.state >= stClosing || (from != nil && c.ws != from)
	c.mu.Unlock()
	if drop {
		return true
	}
	if err := c.recv.Receive(p); err != nil {
		c.Close(err)
	}
	return true
}

// finish ends the connection: it is forgotten, its context cancelled, its
// socket closed, and the Receiver told once, after any Receive in progress.
func (c *Conn) finish(err error) {
	c.mu.Lock()
	if c.state == stClosed {
		c.mu.Unlock()
		return
	}
	c.state = stClosed
	c.q.reset()
	ws := c.ws
	c.ws, c.wake = nil, nil
	c.mu.Unlock()

	c.cancel()
	if ws != nil {
		ws.conn.Close()
	}
	c.srv.remove(c)
	c.rmu.Lock()
	recv := c.recv
	c.recv = nil
	if recv != nil {
		recv.Closed(err)
	}
	c.rmu.Unlock()
	c.srv.opts.Logger.Debug("signalr transport: connection ended", "id", c.id, "error", err)
}

// reapIfIdle ends the connection if it has been without a transport
// request for longer than timeout.
func (c *Conn) reapIfIdle(now time.Time, timeout time.Duration) {
	c.mu.Lock()
	if c.state == stClosed || c.idleSince.IsZero() || now.Sub(c.idleSince) <= timeout {
		c.mu.Unlock()
		return
	}
	err := ErrDisconnectTimeout
	switch {
	case c.state == stClosing:
		err = c.closeErr
	case c.transport == WebSockets:
		err = ErrReconnectTimeout
	}
	c.mu.Unlock()
	c.finish(err)
}

// keepRequest remembers the first transport request for Request.
func (c *Conn) keepRequest(r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.req == nil && c.kept == nil {
		c.kept = newKeptRequest(r)
	}
}
