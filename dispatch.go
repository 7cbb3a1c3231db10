package signalr

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/signalr-go/signalr/protocol"
)

// Invocation describes a hub method call to filters.
type Invocation struct {
	// ID is the client's invocation id; "" for a call expecting no answer.
	ID string
	// Target is the method name as the client sent it.
	Target string
	// Method is the method's registered name.
	Method string
	// Headers are the message headers the client sent, if any.
	Headers map[string]string
	// Streaming is true for a server-to-client stream.
	Streaming bool

	m    *method
	args boundArgs
}

// Args returns the bound arguments, after the context (channels for
// client-to-server streams).
func (inv *Invocation) Args() []any { return inv.args.values() }

// callInfo is an Invocation or StreamInvocation from the client.
type callInfo struct {
	id, target string
	args       []any
	streamIDs  []string
	headers    map[string]string
	streaming  bool
}

// call is the state of one running hub method call. Its binder
// allocates it together with the typed arguments (see boundArgs).
type call struct {
	Invocation
	ctx     Context
	slot    slotOwner
	uploads []*upload
	done    protocol.Completion // in the call's allocation, not one more
}

// slotOwner is an invocation holding one of its connection's parallel
// invocation slots, which it gives back when it ends or when it starts
// waiting for a result from its own caller.
type slotOwner struct {
	s    *session
	held atomic.Bool
}

func (o *slotOwner) release() {
	if o != nil && o.held.CompareAndSwap(true, false) {
		<-o.s.slots
	}
}

// invoke starts a hub method call. Arguments are bound here, in the read
// loop, while the frame they point into is valid; the method runs on a
// worker goroutine.
func (s *session) invoke(ci callInfo) {
	detailed := s.srv.opts.EnableDetailedErrors
	m := s.srv.table.Load().lookup(ci.target)
	switch {
	case m == nil:
		s.fail(ci.id, hubErrorText(bindFailureText(ci.target), errMethodNotFound, detailed))
		return
	case m.stream != notStream && !ci.streaming:
		s.fail(ci.id, streamingMismatchText(ci.target))
		return
	case m.stream == notStream && ci.streaming:
		s.fail(ci.id, nonStreamingMismatchText(ci.target))
		return
	case m.policy != nil && !m.policy(s.principal):
		s.fail(ci.id, unauthorizedText(ci.target))
		return
	}
	c, err := bindArgs(s.proto, m, ci.args)
	if err != nil {
		s.fail(ci.id, hubErrorText(bindFailureText(ci.target), err, detailed))
		return
	}
	if len(ci.streamIDs) != m.nUploads {
		err := &bindError{fmt.Sprintf("Client sent %d stream(s), Hub method expects %d.", len(ci.streamIDs), m.nUploads)}
		s.fail(ci.id, hubErrorText(invokeErrorText(ci.target), err, detailed))
		return
	}
	if text := s.admitStreams(&ci); text != "" {
		s.fail(ci.id, text)
		return
	}
	c.ID, c.Target, c.Method, c.Headers, c.Streaming, c.m = ci.id, ci.target, m.name, ci.headers, ci.streaming, m
	c.ctx = s.ctx
	if ci.streaming {
		s.startStream(c, ci.streamIDs)
		return
	}
	if m.nUploads == 0 {
		// Streaming calls take no slot, as in ASP.NET Core, since waiting
		// for one here would block the read loop that a slot's holder
		// needs for its items and cancels; Options.MaximumStreamsPerClient
		// bounds them instead (admitStreams).
		if !s.acquireSlot() {
			return
		}
		c.slot.s = s
		c.slot.held.Store(true)
		c.ctx.inv = &c.slot
	}
	s.openUploads(c, ci.streamIDs)
	s.running.Add(1)
	s.srv.startWorker(c)
}

// Calls run on pooled goroutines rather than on one goroutine each: a
// worker that finishes a call takes the next call of any connection, so
// a busy server neither creates a goroutine per call nor grows a fresh
// stack for it. The read loop only hands a call over, so that it keeps
// reading pings, cancels, stream items and the client results a running
// method may wait for. Workers idle for workerIdle exit: an idle server
// holds none. Server.idleWorkers is unbuffered: a send finds a waiting
// worker or fails.

// workerIdle is long against the time between calls of a busy server,
// and short enough that a test's leak check finds the workers gone.
const workerIdle = 100 * time.Millisecond

// startWorker runs c on an idle worker, or on a new one.
func (srv *Server) startWorker(c *call) {
	select {
	case srv.idleWorkers <- c:
	default:
		go srv.work(c)
	}
}

// work runs c, then the calls handed to it until it has been idle for
// workerIdle.
func (srv *Server) work(c *call) {
	var idle *time.Timer
	for {
		c.ctx.s.run(c)
		c = nil // an idle worker keeps nothing alive
		if idle == nil {
			idle = time.NewTimer(workerIdle)
		} else {
			idle.Reset(workerIdle)
		}
		select {
		case c = <-srv.idleWorkers:
		case <-idle.C:
			return
		}
	}
}

// acquireSlot waits for a free invocation slot, blocking the read loop
// meanwhile; false if the connection ended first.
func (s *session) acquireSlot() bool {
	s.mu.Lock()
	if s.slots == nil {
		s.slots = make(chan struct{}, s.srv.opts.MaximumParallelInvocationsPerClient)
	}
	slots := s.slots
	s.mu.Unlock()
	// A free slot, the usual case, costs no two-case select.
	select {
	case slots <- struct{}{}:
		return true
	default:
	}
	select {
	case slots <- struct{}{}:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// fail answers an invocation with an error, unless it expects no answer.
func (s *session) fail(id, text string) {
	if id != "" {
		_ = s.writeMessage(&protocol.Completion{InvocationID: id, Error: text})
	}
}

// run runs a non-streaming call and sends its Completion.
func (s *session) run(c *call) {
	defer s.running.Add(-1)
	defer c.slot.release()
	obs := s.srv.beginCall(c)
	res, err := s.call(c)
	if uerr := s.closeUploads(c); err == nil {
		err = uerr
	}
	s.srv.stopCall(&obs)
	err = s.answer(c, res, err)
	s.srv.endCall(obs, c, err)
}

// answer sends the Completion of c, which returned res and err; it
// returns the invocation's outcome: err, or why res could not be sent.
func (s *session) answer(c *call, res any, err error) error {
	if c.ID == "" {
		if err != nil {
			s.srv.log.Debug("signalr: hub method failed", "connection", s.id, "method", c.Method, "error", err)
		}
		return err
	}
	if err != nil {
		s.fail(c.ID, hubErrorText(invokeErrorText(c.Target), err, s.srv.opts.EnableDetailedErrors))
		return err
	}
	c.done = protocol.Completion{InvocationID: c.ID, Result: res, HasResult: true}
	werr := s.writeCompletion(&c.done)
	if errors.Is(werr, protocol.ErrUnsupportedValue) {
		s.fail(c.ID, hubErrorText(invokeErrorText(c.Target), werr, s.srv.opts.EnableDetailedErrors))
		return werr
	}
	return nil
}

// call runs the filters and the method, turning a panic into an error.
func (s *session) call(c *call) (res any, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.srv.log.Error("signalr: panic in hub method", "connection", s.id, "method", c.Method, "panic", r, "stack", string(debug.Stack()))
			res, err = nil, panicError{r}
		}
	}()
	return s.srv.invoke(&c.ctx, &c.Invocation)
}

// callMethod is the innermost invocation handler: the hub method itself.
func callMethod(c *Context, inv *Invocation) (any, error) { return inv.args.call(c) }

// writeCompletion is writeMessage for a Completion, encoded into a buffer
// of the right size at once rather than grown as the encoder appends (the
// transport keeps the buffer until it is sent, so it is not pooled).
func (s *session) writeCompletion(m *protocol.Completion) error {
	size := 64 + len(m.InvocationID)
	switch r := m.Result.(type) {
	case string:
		size += len(r) + len(r)/8 // room for a few escapes
	case []byte:
		size += len(r)*4/3 + 4 // base64 in JSON
	}
	b, err := s.proto.Append(make([]byte, 0, size), m)
	if err != nil {
		s.srv.log.Error("signalr: encoding a message", "connection", s.id, "type", m.Type(), "error", err)
		return err
	}
	return s.write(b, protocol.IsSequenced(m.Type()), true)
}
