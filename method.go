package signalr

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"

	"github.com/signalr-go/signalr/protocol"
)

// ctxKind says what a hub method takes as its first parameter.
type ctxKind uint8

const (
	noCtx  ctxKind = iota
	hubCtx         // *Context
	stdCtx         // context.Context
)

// resultKind says what a hub method returns besides a stream.
type resultKind uint8

const (
	noResult    resultKind = iota
	valueResult            // T
	errorResult            // error
	valueError             // (T, error)
)

// streamKind says how a streaming hub method hands out its items.
type streamKind uint8

const (
	notStream  streamKind = iota
	chanStream            // <-chan T
	seqStream             // iter.Seq[T]
	seq2Stream            // iter.Seq2[T, error]
)

// param is one parameter a client supplies.
type param struct {
	typ reflect.Type
	// upload: a <-chan T filled from a client-to-server stream; elem is T.
	upload bool
	elem   reflect.Type
	// alias: values of this type may point into the decoded frame, so the
	// raw bytes are copied before binding.
	alias bool
}

// method is a hub method, inspected once at registration.
type method struct {
	name string
	fn   reflect.Value // the function called; for hub methods the method expression
	// recv is the hub, passed first to fn for hub methods: calling the
	// method expression by reflection costs fewer allocations than calling
	// a method value, which goes through reflect's receiver trampoline.
	recv     reflect.Value
	ctx      ctxKind
	params   []param // after the context, in order
	nArgs    int     // params supplied as arguments (not uploads)
	nUploads int
	result   resultKind
	stream   streamKind
	policy   Policy
	bind     binder // bindReflect unless the signature has a fast path
	metrics  atomic.Pointer[methodMetrics]
}

// ctxIndex is the index of the context in the method's inputs, after the
// receiver if there is one.
func (m *method) ctxIndex() int {
	if m.recv.IsValid() {
		return 1
	}
	return 0
}

// first is the index of the first parameter in the method's inputs.
func (m *method) first() int {
	if m.ctx != noCtx {
		return m.ctxIndex() + 1
	}
	return m.ctxIndex()
}

var (
	contextPtrType = reflect.TypeFor[*Context]()
	stdContextType = reflect.TypeFor[context.Context]()
	errorType      = reflect.TypeFor[error]()
	rawType        = reflect.TypeFor[protocol.Raw]()
)

// newMethod inspects fn, a func value, as the hub method name.
func newMethod(name string, fn reflect.Value) (*method, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: empty method name", ErrInvalidHub)
	}
	if fn.Kind() != reflect.Func || fn.IsNil() {
		return nil, fmt.Errorf("%w: %s: %v is not a function", ErrInvalidHub, name, fn.Type())
	}
	t := fn.Type()
	if t.IsVariadic() {
		return nil, fmt.Errorf("%w: %s: variadic functions are not supported", ErrInvalidHub, name)
	}
	m := &method{name: name, fn: fn}
	first := 0
	if t.NumIn() > 0 {
		switch t.In(0) {
		case contextPtrType:
			m.ctx, first = hubCtx, 1
		case stdContextType:
			m.ctx, first = stdCtx, 1
		}
	}
	for i := first; i < t.NumIn(); i++ {
		p, err := newParam(t.In(i))
		if err != nil {
			return nil, fmt.Errorf("%w: %s: parameter %d: %w", ErrInvalidHub, name, i+1, err)
		}
		if p.upload {
			m.nUploads++
		} else {
			m.nArgs++
		}
		m.params = append(m.params, p)
	}
	if err := m.setResults(t); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidHub, name, err)
	}
	m.bind = m.bindReflect
	return m, nil
}

func newParam(t reflect.Type) (param, error) {
	switch t.Kind() {
	case reflect.Chan:
		if t.ChanDir() != reflect.RecvDir {
			return param{}, fmt.Errorf("stream parameters must be receive-only channels, not %v", t)
		}
		return param{typ: t, upload: true, elem: t.Elem(), alias: mayAlias(t.Elem())}, nil
	case reflect.Func, reflect.UnsafePointer, reflect.Complex64, reflect.Complex128:
		return param{}, fmt.Errorf("type %v cannot be sent by clients", t)
	case reflect.Interface:
		if t.NumMethod() > 0 {
			return param{}, fmt.Errorf("interface type %v cannot be bound; use any", t)
		}
	}
	return param{typ: t, alias: mayAlias(t)}, nil
}

// mayAlias reports whether the protocols may bind values of t by pointing
// into the decoded frame, which is only valid while it is being read.
func mayAlias(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Slice:
		return t == rawType || t.Elem().Kind() == reflect.Uint8
	case reflect.Interface:
		return true
	}
	return false
}

// setResults classifies the results: a stream, a value, an error or a
// (value, error) pair.
func (m *method) setResults(t reflect.Type) error {
	n := t.NumOut()
	if n > 2 || n == 2 && t.Out(1) != errorType {
		return fmt.Errorf("results must be (), (T), (error) or (T, error), not %v", t)
	}
	if n == 0 {
		return nil
	}
	first := t.Out(0)
	if n == 1 && first == errorType {
		m.result = errorResult
		return nil
	}
	m.stream = streamKindOf(first)
	switch {
	case n == 2:
		m.result = valueError
	default:
		m.result = valueResult
	}
	return nil
}

// streamKindOf recognises <-chan T, iter.Seq[T] and iter.Seq2[T, error]
// (by shape, so named function types of that shape qualify too).
func streamKindOf(t reflect.Type) streamKind {
	switch t.Kind() {
	case reflect.Chan:
		if t.ChanDir() == reflect.RecvDir {
			return chanStream
		}
	case reflect.Func:
		if t.NumIn() != 1 || t.NumOut() != 0 {
			return notStream
		}
		y := t.In(0)
		if y.Kind() != reflect.Func || y.NumOut() != 1 || y.Out(0).Kind() != reflect.Bool {
			return notStream
		}
		switch {
		case y.NumIn() == 1:
			return seqStream
		case y.NumIn() == 2 && y.In(1) == errorType:
			return seq2Stream
		}
	}
	return notStream
}

// hookNames are the hub methods NewServer treats as lifecycle hooks.
var hookNames = map[string]bool{"OnConnected": true, "OnDisconnected": true}

// hubMethods inspects the exported methods of hub.
func hubMethods(hub any) ([]*method, error) {
	if hub == nil {
		return nil, nil
	}
	v := reflect.ValueOf(hub)
	t := v.Type()
	var ms []*method
	for i := range t.NumMethod() {
		name := t.Method(i).Name
		if hookNames[name] {
			continue // checked by hooksOf
		}
		m, err := newMethod(name, v.Method(i))
		if err != nil {
			return nil, err
		}
		m.fn, m.recv = t.Method(i).Func, v
		ms = append(ms, m)
	}
	return ms, nil
}

// methodTable maps names to methods: exact names first, then lower-cased
// names, so that the usual exact-case lookup allocates nothing.
type methodTable struct {
	exact map[string]*method
	lower map[string]*method
}

func (mt *methodTable) lookup(target string) *method {
	if m := mt.exact[target]; m != nil {
		return m
	}
	return mt.lower[strings.ToLower(target)]
}

// with returns a copy of mt with ms added; names must be unique
// case-insensitively, as ASP.NET Core matches them.
func (mt *methodTable) with(ms ...*method) (*methodTable, error) {
	n := &methodTable{exact: make(map[string]*method, len(mt.exact)+len(ms)), lower: make(map[string]*method, len(mt.lower)+len(ms))}
	for k, v := range mt.exact {
		n.exact[k] = v
	}
	for k, v := range mt.lower {
		n.lower[k] = v
	}
	for _, m := range ms {
		low := strings.ToLower(m.name)
		if _, dup := n.lower[low]; dup {
			return nil, fmt.Errorf("%w: method %q is defined twice (names are case-insensitive)", ErrInvalidHub, m.name)
		}
		n.exact[m.name], n.lower[low] = m, m
	}
	return n, nil
}
