package signalr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/signalr-go/signalr/protocol"
	"github.com/signalr-go/signalr/transport"
)

// transportConn is what a session uses of *transport.Conn; tests replace
// it with an in-memory fake.
type transportConn interface {
	ID() string
	Transport() transport.Type
	Request() *http.Request
	Principal() transport.Principal
	Context() context.Context
	SupportsFormat(f protocol.TransferFormat) bool
	SetFormat(f protocol.TransferFormat)
	Write(p []byte) error
	Close(err error)
	StatefulReconnect() bool
	DisableReconnect()
}

// The life of a session.
const (
	stHandshake uint32 = iota
	stConnected
	stClosed
)

// session is one hub connection (ASP.NET Core's HubConnectionContext): it
// frames and dispatches what the client sends and writes what the hub
// sends. An idle session holds no goroutine and no buffer; its timers are
// the server's shared ticker.
type session struct {
	srv       *Server
	conn      transportConn
	id        string
	principal transport.Principal
	proto     protocol.HubProtocol // set by the handshake
	ctx       Context              // the context of hooks and plain invocations
	opened    time.Time

	state     atomic.Uint32
	lastRecv  atomic.Int64 // unix nanoseconds of the last received bytes
	lastPing  atomic.Int64 // unix nanoseconds of the last keep-alive ping
	pinged    atomic.Bool  // the client has pinged: time it out when silent
	partial   atomic.Bool  // a message is half received: time it out when silent, pinged or not
	receiving atomic.Bool  // inside Receive: not silent, maybe just blocked
	running   atomic.Int32 // invocations without streams running; Shutdown waits for them
	traffic   *traffic     // the protocol's message and byte counts, set by the handshake

	buf []byte // the start of an incomplete frame, between Receive calls

	// writeMu orders writes, so that stateful-reconnect sequence numbers
	// follow the queue order, and stops them once Close is written.
	writeMu    sync.Mutex
	closeSent  bool
	closeCause error         // why the server closed the connection
	replay     *replayBuffer // stateful reconnect only

	// mu guards the tables below, allocated on first use.
	mu          sync.Mutex
	streams     map[string]*serverStream // server-to-client streams
	uploads     map[string]*upload       // client-to-server streams
	openStreams int                      // counted against Options.MaximumStreamsPerClient
	itemStore   *Items
	slots       chan struct{}
	awaiting    atomic.Int32 // calls waiting in Invoke for their caller's result, slot given back
	clientErr   error        // the client closed with this error
	clientBye   bool         // the client sent Close
	closeOnce   sync.Once
}

var (
	_ transport.Receiver = (*session)(nil)
	_ transport.Resumer  = (*session)(nil)
	_ Conn               = (*session)(nil)
)

func newSession(srv *Server, c transportConn) *session {
	s := &session{srv: srv, conn: c, id: c.ID(), principal: c.Principal(), opened: time.Now()}
	s.ctx = Context{
		Context: c.Context(),
		Clients: CallerClients{HubClients: HubClients{lm: srv.lm}, s: s},
		Groups:  GroupManager{lm: srv.lm},
		s:       s,
	}
	s.lastRecv.Store(s.opened.UnixNano())
	return s
}

// ID implements [Conn].
func (s *session) ID() string { return s.id }

// UserID implements [Conn].
func (s *session) UserID() string { return s.principal.ID }

// Send implements [Conn].
func (s *session) Send(m *protocol.Prepared) error { return s.send(m, false) }

// sendReply is Send for a message to the caller of a hub method: the
// transport serves it ahead of broadcasts (see transport.Conn.WriteReply).
func (s *session) sendReply(m *protocol.Prepared) error { return s.send(m, true) }

func (s *session) send(m *protocol.Prepared, reply bool) error {
	b, err := m.Bytes(s.proto)
	if err != nil {
		s.srv.log.Error("signalr: encoding a message", "connection", s.id, "error", err)
		return err
	}
	msg := m.Message()
	return s.write(b, msg == nil || protocol.IsSequenced(msg.Type()), reply)
}

// Abort implements [Conn].
func (s *session) Abort(err error) {
	cm := &protocol.Close{}
	var he *HubError
	if errors.As(err, &he) {
		cm.Error = he.Message
	}
	s.conn.DisableReconnect()
	s.closeWith(cm, err)
}

// items returns the per-connection store, creating it on first use.
func (s *session) items() *Items {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.itemStore == nil {
		s.itemStore = &Items{}
	}
	return s.itemStore
}

// writeMessage encodes m in the session's protocol and queues it.
func (s *session) writeMessage(m protocol.Message) error {
	b, err := s.proto.Append(nil, m)
	if err != nil {
		s.srv.log.Error("signalr: encoding a message", "connection", s.id, "type", m.Type(), "error", err)
		return err
	}
	return s.write(b, protocol.IsSequenced(m.Type()), true)
}

// write queues b, numbering it for stateful reconnect when sequenced.
// replyWriter is a transport connection that can serve replies ahead of
// other messages (transport.Conn).
type replyWriter interface {
	WriteReply(p []byte) error
}

// write queues b; reply marks the answer to the client's own call.
func (s *session) write(b []byte, sequenced, reply bool) error {
	s.writeMu.Lock()
	if s.closeSent {
		s.writeMu.Unlock()
		return transport.ErrClosed
	}
	if sequenced && s.replay != nil && !s.replay.add(b) {
		s.writeMu.Unlock()
		s.closeWith(&protocol.Close{Error: closeErrorText, AllowReconnect: true}, errReplayFull)
		return errReplayFull
	}
	var err error
	if rw, ok := s.conn.(replyWriter); reply && ok {
		err = rw.WriteReply(b)
	} else {
		err = s.conn.Write(b)
	}
	s.writeMu.Unlock()
	if err == nil {
		s.countOut(len(b))
	}
	return err
}

// countOut counts a message of n bytes queued for the client.
func (s *session) countOut(n int) {
	if t := s.traffic; t != nil {
		t.msgsOut.Add(1)
		t.bytesOut.Add(int64(n))
	}
}

// writeControl queues an unsequenced message (ping, ack) unless closing.
func (s *session) writeControl(b []byte) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if !s.closeSent && s.conn.Write(b) == nil {
		s.countOut(len(b))
	}
}

var errReplayFull = errors.New("signalr: stateful reconnect buffer full: the client does not acknowledge messages")

// closeWith writes cm (if not nil, and only the first time) and closes the
// connection once everything queued before is sent.
func (s *session) closeWith(cm *protocol.Close, cause error) {
	s.writeMu.Lock()
	if !s.closeSent {
		s.closeSent, s.closeCause = true, cause
		if cm != nil && s.proto != nil {
			if b, err := s.proto.Append(nil, cm); err == nil {
				_ = s.conn.Write(b)
			}
		}
	}
	s.writeMu.Unlock()
	s.conn.Close(cause)
}

// failProtocol closes the connection after a protocol violation, with an
// error that lets the client reconnect.
func (s *session) failProtocol(err error) error {
	s.srv.log.Debug("signalr: closing connection after a protocol error", "connection", s.id, "error", err)
	shown := err
	if errors.Is(err, protocol.ErrMessageTooLarge) {
		shown = &bindError{fmt.Sprintf(maxSizeText, s.srv.opts.MaximumReceiveMessageSize)}
	}
	s.closeWith(&protocol.Close{Error: hubErrorText(closeErrorText, shown, s.srv.opts.EnableDetailedErrors), AllowReconnect: true}, err)
	return err
}

// Receive implements [transport.Receiver]: it frames p, with what is left
// of earlier chunks, into messages and handles them in order.
func (s *session) Receive(p []byte) error {
	s.receiving.Store(true)
	defer func() {
		s.lastRecv.Store(time.Now().UnixNano())
		s.receiving.Store(false)
	}()
	if t := s.traffic; t != nil {
		t.bytesIn.Add(int64(len(p)))
	}
	data := p
	if len(s.buf) > 0 {
		s.buf = append(s.buf, p...)
		data = s.buf
	}
	n, err := s.process(data)
	if err != nil {
		s.buf = nil
		return err
	}
	rest := data[n:]
	s.partial.Store(len(rest) > 0)
	if len(rest) == 0 {
		s.buf = nil // idle connections keep no buffer
		return nil
	}
	s.buf = append(s.buf[:0], rest...)
	return nil
}

// process handles the whole messages at the start of data and returns how
// many bytes they took.
func (s *session) process(data []byte) (int, error) {
	off := 0
	if s.state.Load() == stHandshake {
		n, err := s.handshake(data)
		if err != nil || n == 0 {
			return 0, err
		}
		off = n
	}
	maxSize := s.srv.opts.MaximumReceiveMessageSize
	for s.state.Load() == stConnected {
		body, n, err := s.proto.NextFrame(data[off:], maxSize)
		if err != nil {
			return off, s.failProtocol(err)
		}
		if n == 0 {
			break
		}
		off += n
		if s.traffic != nil {
			s.traffic.msgsIn.Add(1)
		}
		msg, err := s.proto.Decode(body)
		if err != nil {
			return off, s.failProtocol(err)
		}
		if msg == nil {
			continue // unknown message type: ignored, as the spec asks
		}
		if err := s.handle(msg); err != nil {
			return off, s.failProtocol(err)
		}
	}
	return off, nil
}

// handle acts on one message from the client.
func (s *session) handle(msg protocol.Message) error {
	if s.replay != nil && protocol.IsSequenced(msg.Type()) && !s.replay.received() {
		return nil // a duplicate replayed after a reconnect
	}
	switch m := msg.(type) {
	case *protocol.Invocation:
		s.invoke(callInfo{id: m.InvocationID, target: m.Target, args: m.Arguments, streamIDs: m.StreamIDs, headers: m.Headers})
	case *protocol.StreamInvocation:
		s.invoke(callInfo{id: m.InvocationID, target: m.Target, args: m.Arguments, streamIDs: m.StreamIDs, headers: m.Headers, streaming: true})
	case *protocol.StreamItem:
		s.uploadItem(m)
	case *protocol.Completion:
		s.completion(m)
	case *protocol.CancelInvocation:
		s.cancelStream(m.InvocationID)
	case *protocol.Ping:
		s.pinged.Store(true)
	case *protocol.Close:
		s.clientClose(m)
	case *protocol.Ack:
		if s.replay != nil {
			s.writeMu.Lock()
			s.replay.ack(m.SequenceID)
			s.writeMu.Unlock()
		}
	case *protocol.Sequence:
		if s.replay != nil {
			return s.replay.sequence(m.SequenceID)
		}
	}
	return nil
}

// clientClose ends the connection at the client's request; an error in
// the Close message reaches OnDisconnected as a *HubError.
func (s *session) clientClose(m *protocol.Close) {
	s.mu.Lock()
	s.clientBye = true
	if m.Error != "" {
		s.clientErr = &HubError{Message: m.Error}
	}
	s.mu.Unlock()
	s.conn.DisableReconnect()
	s.closeWith(nil, nil)
}

// completion routes a client Completion: the end of an upload stream, or
// the answer to a client-result call.
func (s *session) completion(m *protocol.Completion) {
	if s.endUpload(m) {
		return
	}
	r := ClientResult{Protocol: s.proto, Error: m.Error}
	if raw, ok := m.Result.(protocol.Raw); ok && m.HasResult {
		r.Result = append(protocol.Raw(nil), raw...) // raw aliases the frame
	}
	if err := s.srv.lm.SetResult(s.ctx.Context, s.id, m.InvocationID, r); err != nil {
		s.srv.log.Debug("signalr: dropping an unexpected completion", "connection", s.id, "invocation", m.InvocationID, "error", err)
	}
}

// Resume implements [transport.Resumer]: after a reconnected WebSocket,
// Sequence and every unacknowledged message go out first. Holding writeMu
// while writing them with write, which drops what was queued since the
// reconnect, keeps each message exactly once and after the Sequence: a
// message written before is in the replay, one written after follows it.
func (s *session) Resume(write func(p []byte) error) {
	// A frame cut by the drop was not acknowledged: the client replays it
	// whole after its Sequence, which must not be glued to the cut start.
	s.buf = nil
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.replay == nil || s.closeSent {
		return
	}
	s.srv.metrics.resumed(s.ctx.Context)
	first, msgs := s.replay.pending()
	if b, err := s.proto.Append(nil, &protocol.Sequence{SequenceID: first}); err == nil {
		_ = write(b)
	}
	for _, b := range msgs {
		_ = write(b)
	}
}

// Closed implements [transport.Receiver]: the connection has ended.
func (s *session) Closed(err error) {
	s.closeOnce.Do(func() { s.teardown(err) })
}

// teardown ends the connection's streams, unregisters it and runs the
// OnDisconnected hook.
func (s *session) teardown(err error) {
	was := s.state.Swap(stClosed)
	s.srv.untrack(s)
	cause := err // how it ended, for the metrics
	defer func() {
		s.srv.metrics.connClosed(context.WithoutCancel(s.ctx.Context), s.conn.Transport(), s.opened, cause)
	}()
	s.mu.Lock()
	streams, uploads := s.streams, s.uploads
	s.streams, s.uploads = nil, nil
	if s.clientBye {
		err, cause = s.clientErr, nil
	}
	s.mu.Unlock()
	// As ASP.NET Core completes its stream channels: a method ranging over
	// a client stream returns, and a stream method sees its context done.
	for _, st := range streams {
		st.cancel()
	}
	for _, u := range uploads {
		u.end()
	}
	if was != stConnected {
		return
	}
	s.writeMu.Lock()
	if s.closeCause != nil {
		err, cause = s.closeCause, s.closeCause
	}
	s.closeSent = true
	s.writeMu.Unlock()
	if errors.Is(err, transport.ErrShutdown) {
		err = nil // a normal end for the hub
	}
	ctx := context.WithoutCancel(s.ctx.Context)
	if rerr := s.srv.lm.Remove(ctx, s); rerr != nil {
		s.srv.log.Error("signalr: unregistering a connection", "connection", s.id, "error", rerr)
	}
	s.srv.disconnected(&s.ctx, err)
}
