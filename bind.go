package signalr

import (
	"fmt"
	"reflect"

	"github.com/signalr-go/signalr/protocol"
)

// boundArgs are a call's arguments, decoded into the method's parameter
// types, together with the way to call the method with them. An
// implementation holds the call it belongs to, so that one allocation
// makes both.
type boundArgs interface {
	// call calls the method; c is the call's context.
	call(c *Context) (any, error)
	// values returns the arguments for [Invocation.Args].
	values() []any
}

// binder decodes the client's arguments of one method, whose number has
// been checked, into a new call.
type binder func(hp protocol.HubProtocol, args []any) (*call, error)

// bindArgs binds the client's arguments to m's parameters; the stream
// parameters are left for openUploads.
func bindArgs(hp protocol.HubProtocol, m *method, args []any) (*call, error) {
	if len(args) != m.nArgs {
		return nil, &bindError{fmt.Sprintf("Invocation provides %d argument(s) but target expects %d.", len(args), m.nArgs)}
	}
	return m.bind(hp, args)
}

// reflectArgs binds and calls any method by reflection.
type reflectArgs struct {
	c      call
	m      *method
	in     []reflect.Value // the method's inputs: receiver, context, parameters, as m takes them
	inline [5]reflect.Value
}

// bindReflect is the binder of methods without a fast path.
func (m *method) bindReflect(hp protocol.HubProtocol, args []any) (*call, error) {
	b := &reflectArgs{m: m}
	n := m.first() + len(m.params)
	if n <= len(b.inline) {
		b.in = b.inline[:n]
	} else {
		b.in = make([]reflect.Value, n)
	}
	if m.recv.IsValid() {
		b.in[0] = m.recv
	}
	next := 0
	for i, p := range m.params {
		if p.upload {
			continue
		}
		v, err := bindValue(hp, args[next], p.typ, p.alias)
		if err != nil {
			return nil, err
		}
		b.in[m.first()+i] = v
		next++
	}
	b.c.args = b
	return &b.c, nil
}

func (b *reflectArgs) call(c *Context) (any, error) {
	m := b.m
	if m.ctx != noCtx {
		b.in[m.ctxIndex()] = reflect.ValueOf(c)
	}
	out := m.fn.Call(b.in)
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

func (b *reflectArgs) values() []any {
	in := b.in[b.m.first():]
	args := make([]any, len(in))
	for i, v := range in {
		args[i] = v.Interface()
	}
	return args
}

func asError(v reflect.Value) error {
	if v.IsNil() {
		return nil
	}
	return v.Interface().(error)
}

// bindValue decodes one raw value into a new value of type t.
func bindValue(hp protocol.HubProtocol, arg any, t reflect.Type, alias bool) (reflect.Value, error) {
	raw, ok := arg.(protocol.Raw)
	if !ok {
		return reflect.Value{}, notRaw(arg)
	}
	if alias {
		raw = append(protocol.Raw(nil), raw...)
	}
	ptr := reflect.New(t)
	if err := hp.Unmarshal(raw, ptr.Interface()); err != nil {
		return reflect.Value{}, bindFailure(err)
	}
	return ptr.Elem(), nil
}

// bindTo decodes one raw value into *p, for the fast paths, whose
// parameter types never alias the frame.
func bindTo[T any](hp protocol.HubProtocol, arg any, p *T) error {
	raw, ok := arg.(protocol.Raw)
	if !ok {
		return notRaw(arg)
	}
	if err := hp.Unmarshal(raw, p); err != nil {
		return bindFailure(err)
	}
	return nil
}

func notRaw(arg any) error {
	return &bindError{fmt.Sprintf("argument of type %T is not raw protocol data", arg)}
}

func bindFailure(err error) error {
	return &bindError{"Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked. " + err.Error()}
}
