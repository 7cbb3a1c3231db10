package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/signalr-go/signalr/protocol"
)

// ackInterval is how soon received sequenced messages are acknowledged.
const ackInterval = time.Second

// session is one hub connection: one transport (or, with stateful
// reconnect, a chain of resumed ones), its pending calls and timers.
type session struct {
	c            *Client
	log          *slog.Logger
	proto        protocol.HubProtocol
	kind         TransportType
	connectionID string
	text         bool // hub messages go in text frames
	// reopen dials the same connection again for a stateful resume; nil
	// when stateful reconnect is off.
	reopen func(ctx context.Context) (transport, error)
	out    *outBuffer // unacknowledged sent messages, stateful only
	in     inSequence // reader goroutine only

	ctx    context.Context // ends when the session ends
	cancel context.CancelFunc

	sendMu   sync.Mutex   // orders writes
	lastSend atomic.Int64 // UnixNano of the last write
	lastRecv atomic.Int64 // UnixNano of the last payload from the server

	mu       sync.Mutex
	tr       transport // nil while a resume is under way or after the end
	cause    error     // why the session ended, when it was not a stop
	pending  map[string]pendingCall
	ended    bool
	timer    *time.Timer // keep-alive and server timeout; nil on Long Polling
	ackArmed bool
	latest   int64 // copy of in.latest for the Ack timer
}

// pendingCall is an invocation or stream waiting for the server.
type pendingCall interface {
	complete(c *protocol.Completion)
	fail(err error)
}

func newSession(c *Client, tr transport, kind TransportType, connectionID string) *session {
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{
		c: c, proto: c.opts.protocol, kind: kind, connectionID: connectionID,
		text: c.opts.protocol.TransferFormat() == protocol.TextFormat,
		ctx:  ctx, cancel: cancel, tr: tr, pending: map[string]pendingCall{},
		in: inSequence{next: 1},
	}
	s.log = c.log
	if c.log.Handler() != slog.DiscardHandler { // With costs, even discarded
		s.log = c.log.With("transport", kind.String(), "connectionId", connectionID)
	}
	return s
}

// handshake sends the handshake request and waits for the response. It
// returns the bytes that followed the response: hub messages.
func (s *session) handshake(ctx context.Context, version int) ([]byte, error) {
	tr := s.current()
	req := protocol.AppendHandshakeRequest(make([]byte, frameHeadroom, frameHeadroom+64), protocol.HandshakeRequest{Protocol: s.proto.Name(), Version: version})
	if err := tr.write(ctx, req, true); err != nil {
		return nil, fmt.Errorf("%w: sending the request: %w", ErrHandshake, err)
	}
	deadline := time.Now().Add(s.c.opts.handshakeTimeout)
	if rd, ok := tr.(readDeadliner); ok && rd.setReadDeadline(deadline) == nil {
		defer rd.setReadDeadline(time.Time{})
	} else {
		timer := time.AfterFunc(s.c.opts.handshakeTimeout, tr.abort)
		defer timer.Stop()
	}
	stop := context.AfterFunc(ctx, tr.abort)
	defer stop()
	var buf []byte
	for {
		p, err := tr.read()
		switch {
		case err == nil:
		case !time.Now().Before(deadline):
			return nil, fmt.Errorf("%w: no response within %v", ErrHandshake, s.c.opts.handshakeTimeout)
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, io.EOF):
			return nil, fmt.Errorf("%w: the server closed the connection", ErrHandshake)
		default:
			return nil, fmt.Errorf("%w: %w", ErrHandshake, err)
		}
		buf = joinPayload(buf, p)
		errMsg, n, err := protocol.ParseHandshakeResponse(buf, s.c.opts.maxMessageSize)
		switch {
		case err != nil:
			return nil, fmt.Errorf("%w: invalid response: %w", ErrHandshake, err)
		case n == 0:
			continue
		case errMsg != "":
			return nil, fmt.Errorf("%w: server returned handshake error: %s", ErrHandshake, errMsg)
		}
		return buf[n:], nil
	}
}

// readDeadliner is a transport whose reads can be given a deadline: the
// handshake's timeout then needs no timer of its own.
type readDeadliner interface {
	setReadDeadline(t time.Time) error
}

// begin starts the timer of a connected session and sends the first
// Ping, as the JS client; Long Polling keeps itself alive.
func (s *session) begin() {
	now := time.Now().UnixNano()
	s.lastSend.Store(now)
	s.lastRecv.Store(now)
	if s.kind == LongPolling {
		return
	}
	s.mu.Lock()
	s.timer = time.AfterFunc(min(s.c.opts.keepAlive, s.c.opts.serverTimeout), s.tick)
	s.mu.Unlock()
	if err := s.send(s.ctx, &protocol.Ping{}); err != nil {
		s.log.Debug("first ping failed", "error", err)
	}
}

// tick is the session's one timer, for both of its deadlines: it ends the
// session when the server sent nothing for the server timeout, and sends
// a Ping when the client sent nothing for the keep-alive interval. It
// arms itself for the next deadline before sending, so that a Ping stuck
// in a write cannot delay the server timeout.
func (s *session) tick() {
	now := time.Now().UnixNano()
	silent := time.Duration(now - s.lastRecv.Load())
	if silent >= s.c.opts.serverTimeout {
		s.fail(ErrServerTimeout)
		return
	}
	idle := time.Duration(now - s.lastSend.Load())
	ping := idle >= s.c.opts.keepAlive
	if ping {
		idle = 0
	}
	s.mu.Lock()
	if !s.ended {
		s.timer.Reset(min(s.c.opts.keepAlive-idle, s.c.opts.serverTimeout-silent))
	}
	s.mu.Unlock()
	if ping {
		if err := s.send(s.ctx, &protocol.Ping{}); err != nil {
			s.log.Debug("ping failed", "error", err)
		}
	}
}

// received notes that data arrived, for the server timeout: a store, so
// that the reader pays no lock nor timer per message.
func (s *session) received() { s.lastRecv.Store(time.Now().UnixNano()) }

func (s *session) current() transport {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tr
}

// send encodes m and writes it in order with every other send. With
// stateful reconnect, sequenced messages are kept until acknowledged, and
// a failed write is not an error: the message is replayed on resume.
func (s *session) send(ctx context.Context, m protocol.Message) error {
	data, err := s.encode(m)
	if err != nil {
		return fmt.Errorf("client: encoding %T: %w", m, err)
	}
	sequenced := s.out != nil && protocol.IsSequenced(m.Type())
	if sequenced {
		if err := s.out.waitRoom(ctx, s.ctx.Done()); err != nil {
			return err
		}
	}
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	if s.ctx.Err() != nil {
		return s.closedError()
	}
	if sequenced {
		s.out.add(data)
	}
	tr := s.current()
	if tr == nil {
		return nil // resuming: sequenced messages wait in the buffer
	}
	if err := tr.write(ctx, data, s.text); err != nil && !sequenced {
		return err
	}
	s.lastSend.Store(time.Now().UnixNano())
	return nil
}

// encode encodes m behind frameHeadroom free bytes, in a buffer sized
// for m so that encoding seldom has to grow it.
func (s *session) encode(m protocol.Message) ([]byte, error) {
	return s.proto.Append(make([]byte, frameHeadroom, frameHeadroom+sizeHint(m)), m)
}

// sizeHint guesses the encoded size of m: a fixed part for the envelope,
// plus its texts and the strings and byte slices among its values.
func sizeHint(m protocol.Message) int {
	const envelope = 64
	switch m := m.(type) {
	case *protocol.Invocation:
		return envelope + len(m.InvocationID) + len(m.Target) + argsHint(m.Arguments)
	case *protocol.StreamInvocation:
		return envelope + len(m.InvocationID) + len(m.Target) + argsHint(m.Arguments)
	case *protocol.StreamItem:
		return envelope + len(m.InvocationID) + valueHint(m.Item)
	case *protocol.Completion:
		return envelope + len(m.InvocationID) + len(m.Error) + valueHint(m.Result)
	}
	return envelope
}

func argsHint(args []any) int {
	n := 0
	for _, a := range args {
		n += valueHint(a)
	}
	return n
}

// valueHint guesses the encoded size of one value.
func valueHint(v any) int {
	switch v := v.(type) {
	case string:
		return len(v) + 8
	case []byte:
		return len(v)*4/3 + 8 // base64 in JSON
	case protocol.Raw:
		return len(v)
	}
	return 16
}

// closedError is the error for calls on an ended session.
func (s *session) closedError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cause != nil {
		return fmt.Errorf("%w: %w", ErrConnectionClosed, s.cause)
	}
	return ErrConnectionClosed
}

// fail ends the session with err (server timeout, protocol error) by
// aborting the transport under the reader.
func (s *session) fail(err error) {
	s.mu.Lock()
	if s.ended || s.ctx.Err() != nil {
		s.mu.Unlock()
		return
	}
	s.cause = err
	tr := s.tr
	s.mu.Unlock()
	s.cancel()
	if tr != nil {
		tr.abort()
	}
}

// stop ends the session from the client side: a Close message, then a
// polite transport close.
func (s *session) stop(ctx context.Context) {
	if err := s.send(ctx, &protocol.Close{}); err != nil {
		s.log.Debug("sending close failed", "error", err)
	}
	s.cancel()
	s.mu.Lock()
	tr := s.tr
	s.tr = nil
	s.mu.Unlock()
	if tr != nil {
		tr.close(ctx)
	}
}

// finish releases everything once the reader has returned: timers, the
// transport and pending calls, which fail with ErrConnectionClosed.
func (s *session) finish(cause error) {
	s.cancel()
	s.mu.Lock()
	s.ended = true
	if s.cause == nil {
		s.cause = cause
	}
	if s.timer != nil {
		s.timer.Stop()
	}
	tr, pending := s.tr, s.pending
	s.tr, s.pending = nil, nil
	s.mu.Unlock()
	if tr != nil {
		ctx, cancel := context.WithTimeout(context.Background(), closeWait)
		tr.close(ctx)
		cancel()
	}
	err := s.closedError()
	for _, p := range pending {
		p.fail(err)
	}
}

// register records a call awaiting the server.
func (s *session) register(id string, p pendingCall) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended || s.ctx.Err() != nil {
		return ErrConnectionClosed
	}
	s.pending[id] = p
	return nil
}

func (s *session) unregister(id string) pendingCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pending[id]
	delete(s.pending, id)
	return p
}

func (s *session) lookup(id string) pendingCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending[id]
}

// joinPayload appends p to what is left of earlier payloads. It never
// writes into a buffer that decoded messages may still alias.
func joinPayload(buf, p []byte) []byte {
	if len(buf) == 0 {
		return p
	}
	return append(buf[:len(buf):len(buf)], p...)
}
