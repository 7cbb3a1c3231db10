package signalr

import (
	"github.com/signalr-go/signalr/protocol"
)

// Functions registered with Server.Handle whose signature is one of the
// most common are called through their typed func value instead of
// reflect.Value.Call, which costs several allocations and a frame large
// enough to grow a fresh goroutine's stack. Hub methods are not: their
// method values, made by reflection, call through reflect's trampoline
// anyway and measured no faster than reflect.Value.Call.
// fastpath_test.go checks every signature below against the reflection
// path.

// fastBinder adapts fn to one of the fast binders, if its signature is
// listed.
func fastBinder(fn any) binder {
	switch f := fn.(type) {
	case func():
		return bind0(func(*Context) (any, error) { f(); return nil, nil })
	case func() error:
		return bind0(func(*Context) (any, error) { return nil, f() })
	case func() string:
		return bind0(func(*Context) (any, error) { return f(), nil })
	case func(*Context):
		return bind0(func(c *Context) (any, error) { f(c); return nil, nil })
	case func(*Context) error:
		return bind0(func(c *Context) (any, error) { return nil, f(c) })
	case func(*Context) string:
		return bind0(func(c *Context) (any, error) { return f(c), nil })
	case func(string):
		return bind1(func(_ *Context, a string) (any, error) { f(a); return nil, nil })
	case func(string) error:
		return bind1(func(_ *Context, a string) (any, error) { return nil, f(a) })
	case func(string) string:
		return bind1(func(_ *Context, a string) (any, error) { return f(a), nil })
	case func(int, int) int:
		return bind2(func(_ *Context, a, b int) (any, error) { return f(a, b), nil })
	case func(*Context, string):
		return bind1(func(c *Context, a string) (any, error) { f(c, a); return nil, nil })
	case func(*Context, string) error:
		return bind1(func(c *Context, a string) (any, error) { return nil, f(c, a) })
	case func(*Context, string) string:
		return bind1(func(c *Context, a string) (any, error) { return f(c, a), nil })
	case func(*Context, string) (string, error):
		return bind1(func(c *Context, a string) (any, error) {
			v, err := f(c, a)
			if err != nil {
				return nil, err
			}
			return v, nil
		})
	case func(*Context, string, string) error:
		return bind2(func(c *Context, a, b string) (any, error) { return nil, f(c, a, b) })
	}
	return nil
}

// fast0 is a call without arguments.
type fast0 struct {
	c call
	f func(*Context) (any, error)
}

func (b *fast0) call(c *Context) (any, error) { return b.f(c) }
func (b *fast0) values() []any                { return []any{} }

func bind0(f func(*Context) (any, error)) binder {
	return func(protocol.HubProtocol, []any) (*call, error) {
		b := &fast0{f: f}
		b.c.args = b
		return &b.c, nil
	}
}

// fast1 is a call with one argument.
type fast1[A any] struct {
	c call
	f func(*Context, A) (any, error)
	a A
}

func (b *fast1[A]) call(c *Context) (any, error) { return b.f(c, b.a) }
func (b *fast1[A]) values() []any                { return []any{b.a} }

func bind1[A any](f func(*Context, A) (any, error)) binder {
	return func(hp protocol.HubProtocol, args []any) (*call, error) {
		b := &fast1[A]{f: f}
		if err := bindTo(hp, args[0], &b.a); err != nil {
			return nil, err
		}
		b.c.args = b
		return &b.c, nil
	}
}

// fast2 is a call with two arguments.
type fast2[A, B any] struct {
	c call
	f func(*Context, A, B) (any, error)
	a A
	b B
}

func (b *fast2[A, B]) call(c *Context) (any, error) { return b.f(c, b.a, b.b) }
func (b *fast2[A, B]) values() []any                { return []any{b.a, b.b} }

func bind2[A, B any](f func(*Context, A, B) (any, error)) binder {
	return func(hp protocol.HubProtocol, args []any) (*call, error) {
		b := &fast2[A, B]{f: f}
		if err := bindTo(hp, args[0], &b.a); err != nil {
			return nil, err
		}
		if err := bindTo(hp, args[1], &b.b); err != nil {
			return nil, err
		}
		b.c.args = b
		return &b.c, nil
	}
}
