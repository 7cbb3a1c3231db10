package signalr

import "context"

// ClientMethod0 is a client method without arguments, declared once so
// that every call site agrees on its name:
//
//	var Reset = signalr.ClientMethod0("Reset")
//	err := Reset.Send(ctx, c.Clients.All())
type ClientMethod0 string

// Send invokes the method on the clients of to.
func (m ClientMethod0) Send(ctx context.Context, to Sender) error {
	return to.Send(ctx, string(m))
}

// ClientMethod1 is a client method taking one argument of type A; a call
// with an argument of another type does not compile.
type ClientMethod1[A any] string

// Send invokes the method on the clients of to.
func (m ClientMethod1[A]) Send(ctx context.Context, to Sender, a A) error {
	return to.Send(ctx, string(m), a)
}

// ClientMethod2 is a client method taking arguments of types A and B:
//
//	var ReceiveMessage = signalr.ClientMethod2[string, string]("ReceiveMessage")
//	err := ReceiveMessage.Send(ctx, c.Clients.All(), user, text)
type ClientMethod2[A, B any] string

// Send invokes the method on the clients of to.
func (m ClientMethod2[A, B]) Send(ctx context.Context, to Sender, a A, b B) error {
	return to.Send(ctx, string(m), a, b)
}

// ClientMethod3 is a client method taking arguments of types A, B and C.
type ClientMethod3[A, B, C any] string

// Send invokes the method on the clients of to.
func (m ClientMethod3[A, B, C]) Send(ctx context.Context, to Sender, a A, b B, c C) error {
	return to.Send(ctx, string(m), a, b, c)
}

// ClientMethod4 is a client method taking arguments of types A, B, C and D.
type ClientMethod4[A, B, C, D any] string

// Send invokes the method on the clients of to.
func (m ClientMethod4[A, B, C, D]) Send(ctx context.Context, to Sender, a A, b B, c C, d D) error {
	return to.Send(ctx, string(m), a, b, c, d)
}

// ClientFunc1 is a client method taking an argument of type A and
// returning a result of type R, for [Invoke]:
//
//	var Confirm = signalr.ClientFunc1[string, bool]("Confirm")
//	ok, err := Confirm.Invoke(ctx, c.Clients.Caller(), "Delete everything?")
type ClientFunc1[A, R any] string

// Invoke asks the client of to for the method's result.
func (m ClientFunc1[A, R]) Invoke(ctx context.Context, to SingleClientProxy, a A) (R, error) {
	return Invoke[R](ctx, to, string(m), a)
}
