package signalr

import (
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
	"sync/atomic"

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

	m  *method
	in []reflect.Value // the method's inputs, in[0] the context if taken
}

// Args returns the bound arguments, after the context (channels for
// client-to-server streams).
func (inv *Invocation) Args() []any {
	in := inv.in
	if inv.m.ctx != noCtx {
		in = in[1:]
	}
	args := make([]any, len(in))
	for i, v := range in {
		args[i] = v.Interface()
	}
	return args
}

// callInfo is an Invocation or StreamInvocation from the client.
type callInfo struct {
	id, target string
	args       []any
	streamIDs  []string
	headers    map[string]string
	streaming  bool
}

// call is the state of one running hub method call.
type call struct {
	Invocation
	ctx     Context
	slot    slotOwner
	uploads []*upload
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
// loop, while the frame they point into is valid; the method runs on its
// own goroutine.
func (s *session) invoke(ci callInfo) {
	detailed := s.srv.opts.EnableDetailedErrors
	m := s.srv.table.Load().lookup(ci.target)
	switch {
	case m == nil:
		s.fail(ci.id, unknownMethodText(ci.target))
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
	in, err := bindArgs(s.proto, m, ci.args)
	if err != nil {
		s.fail(ci.id, hubErrorText(bindFailureText(ci.target), err, detailed))
		return
	}
	if len(ci.streamIDs) != m.nUploads {
		err := &bindError{fmt.Sprintf("Client sent %d stream(s), Hub method expects %d.", len(ci.streamIDs), m.nUploads)}
		s.fail(ci.id, hubErrorText(invokeErrorText(ci.target), err, detailed))
		return
	}
	c := &call{Invocation: Invocation{ID: ci.id, Target: ci.target, Method: m.name, Headers: ci.headers, Streaming: ci.streaming, m: m, in: in}}
	c.ctx = s.ctx
	if ci.streaming {
		s.startStream(c, ci.streamIDs)
		return
	}
	if m.nUploads == 0 {
		// Calls fed by client streams take no slot, as in ASP.NET Core:
		// they need the read loop to run while they do.
		if !s.acquireSlot() {
			return
		}
		c.slot.s = s
		c.slot.held.Store(true)
		c.ctx.inv = &c.slot
	}
	s.openUploads(c, ci.streamIDs)
	go s.run(c)
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
	defer c.slot.release()
	res, err := s.call(c)
	if uerr := s.closeUploads(c); err == nil {
		err = uerr
	}
	if c.ID == "" {
		if err != nil {
			s.srv.log.Debug("signalr: hub method failed", "connection", s.id, "method", c.Method, "error", err)
		}
		return
	}
	if err != nil {
		s.fail(c.ID, hubErrorText(invokeErrorText(c.Target), err, s.srv.opts.EnableDetailedErrors))
		return
	}
	werr := s.writeMessage(&protocol.Completion{InvocationID: c.ID, Result: res, HasResult: true})
	if errors.Is(werr, protocol.ErrUnsupportedValue) {
		s.fail(c.ID, hubErrorText(invokeErrorText(c.Target), werr, s.srv.opts.EnableDetailedErrors))
	}
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
func callMethod(c *Context, inv *Invocation) (any, error) {
	m, in := inv.m, inv.in
	if m.ctx != noCtx {
		in[0] = reflect.ValueOf(c)
	}
	out := m.fn.Call(in)
	switch m.result {
	case errorResult:
		return nil, asError(out[0])
	case valueResult:
		return out[0].Interface(), nil
	case valueError:
		if err := asError(out[1]); err != nil {
			return nil, err
		}
		return out[0].Interface(), nil
	}
	return nil, nil
}

func asError(v reflect.Value) error {
	if v.IsNil() {
		return nil
	}
	return v.Interface().(error)
}
