package client

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/signalr-go/signalr/protocol"
)

// The client result errors of the official clients.
const (
	errNoResult        = "Client didn't provide a result."
	errMultipleResults = "Client provided multiple results."
)

var (
	contextType = reflect.TypeFor[context.Context]()
	errorType   = reflect.TypeFor[error]()
)

// handler is a function registered with On, analysed once.
type handler struct {
	fn        reflect.Value
	withCtx   bool           // first parameter is a context.Context
	params    []reflect.Type // the parameters bound from arguments
	hasResult bool           // first result is a value for client results
	hasErr    bool           // last result is an error
	// direct calls the usual shapes of handler without reflection, nil
	// for the others (see directCall).
	direct directCall
}

// directCall binds args and calls a handler of a known shape.
// reflect.Value.Call costs hundreds of instructions per call and, as its
// frames are large, makes the callback goroutine (new for a message that
// arrives when it is idle) grow its stack: that was the most expensive
// part of delivering a message to an idle connection.
type directCall func(p protocol.HubProtocol, args []any) error

// directFor returns the directCall for fn, nil if its shape is not one of
// those handled directly.
func directFor(fn any) directCall {
	switch f := fn.(type) {
	case func():
		return func(protocol.HubProtocol, []any) error { return guard(f) }
	case func(string):
		return direct1(f)
	case func(string, string):
		return direct2(f)
	case func(int):
		return direct1(f)
	case func(int64):
		return direct1(f)
	case func(float64):
		return direct1(f)
	case func(bool):
		return direct1(f)
	case func(any):
		return direct1(f)
	}
	return nil
}

func direct1[A any](f func(A)) directCall {
	return func(p protocol.HubProtocol, args []any) error {
		var a A
		if err := bindArg(p, args, 0, &a); err != nil {
			return err
		}
		return guard(func() { f(a) })
	}
}

func direct2[A, B any](f func(A, B)) directCall {
	return func(p protocol.HubProtocol, args []any) error {
		var a A
		var b B
		if err := bindArg(p, args, 0, &a); err != nil {
			return err
		}
		if err := bindArg(p, args, 1, &b); err != nil {
			return err
		}
		return guard(func() { f(a, b) })
	}
}

// bindArg decodes argument i into ptr.
func bindArg(p protocol.HubProtocol, args []any, i int, ptr any) error {
	raw, ok := args[i].(protocol.Raw)
	if !ok {
		return fmt.Errorf("%w: argument %d is %T, not a raw value", ErrProtocol, i, args[i])
	}
	if err := p.Unmarshal(raw, ptr); err != nil {
		return fmt.Errorf("client: binding argument %d: %w", i, err)
	}
	return nil
}

// guard runs a handler; a panic becomes an error so that a faulty
// handler cannot take the client down.
func guard(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("client: handler panicked: %v", r)
		}
	}()
	f()
	return nil
}

// On registers handler for the client method the server calls by name
// (matched case-insensitively, as the official clients). handler is a
// function; an optional first context.Context parameter receives a
// context that ends with the connection, and each further parameter is
// decoded from the matching argument with the hub protocol. It may return
// nothing, an error, a value, or a value and an error: when the server
// invokes the method expecting a result (a client result), the value or
// the error is sent back. Several handlers may be registered for one
// method; they run in registration order.
//
// Handlers run one at a time on the client's callback goroutine (see the
// package documentation). On panics if handler is not a function of that
// shape: that is a programming error, found at registration.
func (c *Client) On(method string, handler any) {
	h, err := newHandler(handler)
	if err != nil {
		panic(fmt.Sprintf("client: On(%q): %v", method, err))
	}
	key := strings.ToLower(method)
	c.handlersMu.Lock()
	defer c.handlersMu.Unlock()
	c.handlers[key] = append(c.handlers[key], h)
}

// Off removes every handler of method.
func (c *Client) Off(method string) {
	c.handlersMu.Lock()
	defer c.handlersMu.Unlock()
	delete(c.handlers, strings.ToLower(method))
}

func newHandler(fn any) (*handler, error) {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func || v.IsNil() {
		return nil, fmt.Errorf("handler is %T, not a function", fn)
	}
	t := v.Type()
	if t.IsVariadic() {
		return nil, errors.New("variadic handlers are not supported")
	}
	h := &handler{fn: v, direct: directFor(fn)}
	for i := range t.NumIn() {
		p := t.In(i)
		if i == 0 && p == contextType {
			h.withCtx = true
			continue
		}
		h.params = append(h.params, p)
	}
	switch t.NumOut() {
	case 0:
	case 1:
		h.hasErr = t.Out(0) == errorType
		h.hasResult = !h.hasErr
	case 2:
		if t.Out(1) != errorType {
			return nil, errors.New("the second result must be an error")
		}
		h.hasResult, h.hasErr = true, true
	default:
		return nil, errors.New("too many results")
	}
	return h, nil
}

// call binds args and runs the handler. A panic becomes an error so that a
// faulty handler cannot take the client down.
//
// call and its callers keep small frames, the reflection in callReflect:
// the callback goroutine starts with the smallest stack, and growing it
// for every message that finds it idle would cost more than the call.
func (h *handler) call(ctx context.Context, p protocol.HubProtocol, args []any) (result any, hasResult bool, err error) {
	if len(args) != len(h.params) {
		return nil, false, argCountError(len(h.params), len(args))
	}
	if h.direct != nil {
		return nil, false, h.direct(p, args)
	}
	return h.callReflect(ctx, p, args)
}

func argCountError(want, got int) error {
	return fmt.Errorf("client: handler expects %d argument(s), the server sent %d", want, got)
}

// callReflect binds args and calls the handler by reflection.
func (h *handler) callReflect(ctx context.Context, p protocol.HubProtocol, args []any) (result any, hasResult bool, err error) {
	var inline [4]reflect.Value // most handlers take a few arguments
	in := inline[:0]
	if h.withCtx {
		in = append(in, reflect.ValueOf(ctx))
	}
	for i, t := range h.params {
		v := reflect.New(t)
		if err := bindArg(p, args, i, v.Interface()); err != nil {
			return nil, false, err
		}
		in = append(in, v.Elem())
	}
	defer func() {
		if r := recover(); r != nil {
			result, hasResult, err = nil, false, fmt.Errorf("client: handler panicked: %v", r)
		}
	}()
	out := h.fn.Call(in)
	if h.hasErr {
		if e, _ := out[len(out)-1].Interface().(error); e != nil {
			return nil, false, e
		}
	}
	if h.hasResult {
		return out[0].Interface(), true, nil
	}
	return nil, false, nil
}

func (c *Client) handlersFor(method string) []*handler {
	var buf [64]byte
	key := appendLower(buf[:0], method)
	c.handlersMu.RLock()
	defer c.handlersMu.RUnlock()
	return c.handlers[string(key)] // no allocation for the lookup
}

// appendLower appends s lower-cased as strings.ToLower does, without
// allocating for the usual ASCII method names.
func appendLower(b []byte, s string) []byte {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return append(b, strings.ToLower(s)...)
		}
	}
	for i := range len(s) {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// dispatchInvocation queues a server invocation for its handlers.
func (c *Client) dispatchInvocation(s *session, m *protocol.Invocation) {
	c.callbacks.pushInvocation(s, m)
}

// invokeHandlers runs the handlers of m and, for a client result request,
// answers with a Completion.
func (c *Client) invokeHandlers(s *session, m *protocol.Invocation) {
	hs := c.handlersFor(m.Target)
	if len(hs) == 0 {
		s.noHandler(m.Target)
	}
	var results []any
	var failure error
	for _, h := range hs {
		r, has, err := h.call(s.ctx, s.proto, m.Arguments)
		if err != nil {
			s.handlerFailed(m.Target, err)
			if failure == nil {
				failure = err
			}
			continue
		}
		if has {
			results = append(results, r)
		}
	}
	if m.InvocationID != "" {
		s.sendResult(m, results, failure)
	}
}

// noHandler and handlerFailed log, away from the frame of
// invokeHandlers (see handler.call).
//
//go:noinline
func (s *session) noHandler(method string) {
	s.log.Warn("no client method found", "method", method)
}

//go:noinline
func (s *session) handlerFailed(method string, err error) {
	s.log.Error("client method failed", "method", method, "error", err)
}

// sendResult answers a client result request with the handlers' result
// or failure.
func (s *session) sendResult(m *protocol.Invocation, results []any, failure error) {
	comp := &protocol.Completion{InvocationID: m.InvocationID}
	switch {
	case failure != nil:
		comp.Error = failure.Error()
		if comp.Error == "" {
			comp.Error = "Client method failed."
		}
	case len(results) == 0:
		comp.Error = errNoResult
	case len(results) > 1:
		comp.Error = errMultipleResults
	default:
		comp.Result, comp.HasResult = results[0], true
	}
	if err := s.send(s.ctx, comp); err != nil {
		s.log.Info("sending a client result failed", "method", m.Target, "error", err)
	}
}
