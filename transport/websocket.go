package transport

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"github.com/signalr-go/signalr/protocol"
)

// wsSink is one WebSocket of a connection. A stateful reconnect replaces
// it; the old socket's goroutines notice that they are no longer current
// and leave the connection alone.
type wsSink struct {
	conn      *websocket.Conn
	br        *bufio.Reader // conn's read buffer, see readWS
	out       *nbConn       // conn's network connection: writes never block
	writing   bool          // a writer has the socket, or it is parked; guarded by Conn.mu
	parked    bool          // behind: writes wait for the backlog's drained; guarded by Conn.mu
	closeSent bool          // guarded by Conn.mu
	// The writers' job for the socket, guarded by Conn.mu: only the job
	// with the current ticket may write; lane tells whether it waits in
	// the reply lane; turn that a writer is writing a batch, after which
	// replyNext sends the socket's next turn to the reply lane.
	ticket     uint64
	lane, turn bool
	replyNext  bool
}

// newUpgrader returns the upgrader for s. Reads go through a small
// per-connection buffer that serveWebSocket hands over (ReadBufferSize 0
// makes gorilla use the hijacked reader); write buffers come from a pool
// and are only held while a frame is written, so an idle connection holds
// neither the net/http buffers (dropped with the handler's goroutine) nor
// a write buffer.
func (s *Server) newUpgrader() websocket.Upgrader {
	return websocket.Upgrader{
		WriteBufferSize: 16 << 10,
		WriteBufferPool: &s.writeBufs,
		CheckOrigin:     s.checkWebSocketOrigin,
	}
}

// claimWebSocket moves c to a new WebSocket request. It returns whether
// this is a stateful reconnect, or an HTTP status and message refusing it.
func (c *Conn) claimWebSocket() (resume bool, status int, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.state >= stClosing:
		return false, http.StatusNotFound, msgNoConnection
	case c.transport != 0 && c.transport != WebSockets:
		return false, http.StatusBadRequest, msgChangeTransport
	case c.state == stNew:
		c.transport, c.state, c.idleSince = WebSockets, stActive, time.Time{}
		return false, 0, ""
	case c.state == stResuming || !c.stateful || c.noReconnect:
		return false, http.StatusConflict, msgAlreadyActive
	}
	// A stateful reconnect. The old socket may still look alive here (the
	// client saw the drop first): it is replaced.
	if old := c.ws; old != nil {
		old.conn.Close()
	}
	c.ws, c.state, c.idleSince = nil, stResuming, time.Time{}
	c.q.reset()
	return true, 0, ""
}

// serveWebSocket runs a WebSocket request for c, or for a new connection
// when c is nil (a client that skipped negotiate).
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request, c *Conn, p Principal) {
	if c == nil {
		id := newID()
		c = s.newConn(id, id, p, false)
		s.add(c)
	}
	resume, status, msg := c.claimWebSocket()
	if status != 0 {
		plainError(w, status, msg)
		return
	}
	hj := &hijacker{ResponseWriter: w, c: c}
	ws, err := s.upgrader.Upgrade(hj, r, nil)
	if err != nil {
		// Upgrade answered the request already.
		c.finish(fmt.Errorf("%w: websocket upgrade: %w", ErrConnectionLost, err))
		return
	}
	c.keepRequest(r)
	sink := &wsSink{conn: ws, br: hj.br, out: hj.out}
	ws.SetPingHandler(sink.pong)
	ws.SetCloseHandler(sink.answerClose)
	c.mu.Lock()
	if c.state == stClosed {
		c.mu.Unlock()
		ws.Close()
		return
	}
	c.ws = sink
	c.mu.Unlock()

	if resume {
		c.resume()
	} else if err := c.open(); err != nil {
		s.opts.Logger.Debug("signalr transport: connection refused", "id", c.id, "error", err)
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseInternalServerErr, ""), time.Now().Add(s.opts.SendTimeout))
		c.finish(nil)
		return
	}
	c.mu.Lock()
	if c.state == stResuming {
		c.state = stActive
	}
	c.kickLocked()
	c.mu.Unlock()
	// The handler's goroutine returns so that its stack and the net/http
	// buffers are freed; a fresh goroutine with a small stack reads.
	s.wg.Go(func() { c.readWS(sink) })
}

// resume tells the Receiver that a new socket replaced the dropped one.
// Writes made between the reconnect and Resume's first write are dropped
// there, not sent before it: a client must see Resume's bytes (the
// Sequence) first, and the Receiver replays those writes after them.
func (c *Conn) resume() {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	r, ok := c.recv.(Resumer)
	if !ok {
		return
	}
	first := true
	r.Resume(func(p []byte) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if first && c.state == stResuming {
			c.q.reset()
		}
		first = false
		return c.writeLocked(p)
	})
}

// readWS waits for the socket's next bytes, delivers every message that
// arrived, then hands the socket to a fresh goroutine and returns; it ends
// the connection when the socket fails or closes.
//
// An idle connection's only goroutine is its reader, so the reader's stack
// is most of what an idle connection costs. Parsing and delivering a
// message (a hub call, say) grows a stack to 8 KB, and the garbage
// collector shrinks a goroutine parked in a network read to 4 KB at best,
// and only when it runs, which an idle server rarely does. A fresh
// goroutine waits with the 2 KB minimum instead: it waits in Peek, a few
// frames deep, not inside gorilla's frame parser. That costs one goroutine
// start per burst of messages (about 1.5 µs of CPU with the stack growth,
// BenchmarkWebSocketEcho) and halves the stack of every idle connection. A
// Peek error is left to the parser, which reads again and reports it.
func (c *Conn) readWS(s *wsSink) {
	if s.br.Buffered() == 0 {
		s.br.Peek(1)
	}
	for {
		if !c.readMessage(s) {
			return
		}
		if s.br.Buffered() == 0 {
			c.srv.wg.Go(func() { c.readWS(s) })
			return
		}
	}
}

// readMessage delivers the socket's next message; false when the socket
// ended.
func (c *Conn) readMessage(s *wsSink) bool {
	_, r, err := s.conn.NextReader()
	if err != nil {
		c.endWebSocket(s, err)
		return false
	}
	// The buffer is only taken once a message has arrived: idle
	// connections hold none. It is a small one first: most messages are
	// small (a handshake, an invocation), and a delivery may wait long (a
	// hub's send to everyone waits its turn), so a crowd of arrivals must
	// not each hold a large buffer meanwhile. A message that fills it
	// reads on with a large one.
	buf, _ := c.srv.firstBufs.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
		*buf = make([]byte, smallReadBuf)
	}
	defer c.srv.firstBufs.Put(buf)
	var large *[]byte
	defer func() {
		if large != nil {
			c.srv.readBufs.Put(large)
		}
	}()
	for {
		n, err := r.Read(*buf)
		if n > 0 {
			c.deliver((*buf)[:n], s)
		}
		if err == io.EOF {
			return true
		}
		if err != nil {
			c.endWebSocket(s, err)
			return false
		}
		if n == len(*buf) && large == nil {
			large = c.srv.readBufs.Get().(*[]byte)
			buf = large
		}
	}
}

// smallReadBuf is the size of the buffer a WebSocket message is read
// into first.
const smallReadBuf = 512

// endWebSocket handles the end of socket s: a graceful close or an error
// ends the connection, except that a stateful connection survives an
// ungraceful drop and waits for its client to come back.
func (c *Conn) endWebSocket(s *wsSink, err error) {
	var ce *websocket.CloseError
	graceful := errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure
	c.mu.Lock()
	if c.ws != s {
		// Replaced by a reconnect, or the connection already ended.
		c.mu.Unlock()
		s.conn.Close()
		return
	}
	c.ws = nil
	st, closeErr := c.state, c.closeErr
	sendErr := s.sendError()
	if st == stActive && !graceful && sendErr == nil && c.stateful && !c.noReconnect {
		c.state, c.idleSince = stInactive, time.Now()
		c.q.reset()
		c.mu.Unlock()
		s.conn.Close()
		return
	}
	c.mu.Unlock()
	s.conn.Close()
	switch {
	case sendErr != nil:
		c.finish(sendErr)
	case st == stClosing:
		c.finish(closeErr)
	case graceful:
		c.finish(nil)
	default:
		c.finish(fmt.Errorf("%w: %w", ErrConnectionLost, err))
	}
}

// writeWS sends the next queued batch as one frame and reports whether
// the socket needs another turn; with nothing queued on a closing
// connection it sends the close frame instead. Writers run it while the
// socket has something to send.
func (c *Conn) writeWS(j flushJob) (more, reply bool) {
	s := j.s
	c.mu.Lock()
	if c.ws != s || j.ticket != s.ticket {
		c.mu.Unlock()
		return false, false
	}
	if s.out.busy() {
		// The socket is behind: what is queued waits in the queue, which
		// MaxQueueBytes bounds, and the socket stays parked (writing, so
		// that Writes do not hand it to a writer each) until the
		// backlog's drained unparks it.
		s.parked = true
		c.mu.Unlock()
		return false, false
	}
	batch := c.q.take(c.srv.opts.MaxFrameBytes)
	if batch == nil {
		s.writing = false
		sendClose := c.state == stClosing && !s.closeSent
		s.closeSent = s.closeSent || sendClose
		c.mu.Unlock()
		if sendClose {
			c.closeWebSocket(s)
		}
		return false, false
	}
	s.turn = true
	c.mu.Unlock()
	if err := c.writeFrame(s, batch); err != nil {
		c.mu.Lock()
		s.writing, s.turn, s.replyNext = false, false, false
		resumable := c.stateful && !c.noReconnect
		c.mu.Unlock()
		// The reader sees the closed socket and ends or suspends the
		// connection; s.out tells it why. A connection that cannot resume
		// is over: its context ends now, because the reader may be inside
		// Receive waiting on the layer above (for buffer room, say) and
		// would otherwise never come back to see the socket gone.
		s.conn.Close()
		if !resumable {
			c.cancel()
		}
		return false, false
	}
	// Done unless more was queued meanwhile or a close frame is due: a
	// socket that needs no other turn does not go back in line, which
	// halves the writers' work per delivery in a broadcast.
	c.mu.Lock()
	defer c.mu.Unlock()
	s.turn = false
	more = c.ws == s && (len(c.q.msgs) > 0 || (c.state == stClosing && !s.closeSent))
	reply, s.replyNext = s.replyNext || c.q.replies > 0, false
	if !more {
		s.writing = false
		return false, false
	}
	s.lane = reply
	return true, reply
}

// unpark gets the current socket moving again once its backlog is
// written out.
func (c *Conn) unpark() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.ws; s != nil && s.parked {
		s.parked, s.writing = false, false
	}
	c.kickLocked()
}

// writeFrame writes batch as one WebSocket message.
func (c *Conn) writeFrame(s *wsSink, batch [][]byte) error {
	typ := websocket.TextMessage
	if protocol.TransferFormat(c.format.Load()) == protocol.BinaryFormat {
		typ = websocket.BinaryMessage
	}
	if len(batch) == 1 {
		// gorilla's one-shot write allocates no message writer.
		return s.conn.WriteMessage(typ, batch[0])
	}
	w, err := s.conn.NextWriter(typ)
	if err != nil {
		return err
	}
	for _, m := range batch {
		if _, err := w.Write(m); err != nil {
			return err
		}
	}
	return w.Close()
}

// closeWebSocket sends the normal-closure frame and gives the client
// CloseTimeout to answer before the reader gives up on the socket.
func (c *Conn) closeWebSocket(s *wsSink) {
	now := time.Now()
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	if err := s.conn.WriteControl(websocket.CloseMessage, msg, now.Add(c.srv.opts.SendTimeout)); err != nil {
		s.conn.Close()
		return
	}
	s.conn.SetReadDeadline(now.Add(c.srv.opts.CloseTimeout))
}

// isTimeout reports whether err is a deadline expiry.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// hijacker hands gorilla the connection to upgrade with its writes made
// non-blocking (out) and a small read buffer (br) in place of net/http's
// 4 KB one, which readWS waits on.
type hijacker struct {
	http.ResponseWriter
	c   *Conn
	br  *bufio.Reader
	out *nbConn
}

// Hijack hijacks the connection, unless its buffered reader holds bytes
// already (gorilla then refuses the early data).
func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil || brw.Reader.Buffered() > 0 {
		return conn, brw, err
	}
	srv := h.c.srv
	h.br = bufio.NewReaderSize(conn, srv.opts.WebSocketReadBufferSize)
	h.out = newNBConn(conn, srv.opts.SendTimeout, &srv.wg, &srv.budget)
	h.out.drained = h.c.unpark
	return h.out, bufio.NewReadWriter(h.br, brw.Writer), nil
}

// sendError returns ErrSendTimeout if a write to the socket timed out,
// nil otherwise. Such a socket ends its connection even where a stateful
// reconnect could resume it: the client is not keeping up.
func (s *wsSink) sendError() error {
	if isTimeout(s.out.failure()) {
		return ErrSendTimeout
	}
	return nil
}

// answerClose answers the client's close frame with the same status code,
// or with 1000 (normal closure) when the client gave none: echoing the
// absence as an empty frame makes clients report 1005, where ASP.NET Core
// answers 1000.
func (s *wsSink) answerClose(code int, _ string) error {
	if code == websocket.CloseNoStatusReceived {
		code = websocket.CloseNormalClosure
	}
	_ = s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
	return nil
}

// pong answers a ping from the client, unless the socket is behind: a
// client that pings without reading would otherwise grow the backlog
// without bound. RFC 6455 (5.5.3) lets an endpoint answer only the latest
// of several pings; the ones that arrive while the backlog is written out
// get none.
func (s *wsSink) pong(data string) error {
	if s.out.busy() {
		return nil
	}
	err := s.conn.WriteControl(websocket.PongMessage, []byte(data), time.Time{})
	if errors.Is(err, websocket.ErrCloseSent) {
		return nil
	}
	return err
}
