package main

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/signalr-go/signalr"
)

// dotnetError is an error that detailed error texts show under a .NET
// exception name, such as the InvalidOperationException the functional
// suite's hub throws and whose name its assertions contain.
type dotnetError struct{ typ, msg string }

func (e dotnetError) Error() string         { return e.msg }
func (e dotnetError) ErrorTypeName() string { return e.typ }

func invalidOperation(msg string) error { return dotnetError{"InvalidOperationException", msg} }

// CustomObject is the functional suite's small structured argument. Its
// fields have no json tags so that both protocols use the PascalCase names
// the suite compares against.
type CustomObject struct {
	Name  string
	Value int
}

// ComplexObject exercises the protocols' type mappings: []byte is base64
// in JSON and bin in MessagePack, time.Time an ISO string in JSON and a
// timestamp extension in MessagePack, and the Guid stays a string.
type ComplexObject struct {
	String    string
	IntArray  []int
	ByteArray []byte
	Guid      string
	DateTime  time.Time
}

// testHub is the functional suite's TestHub. It is stateless: everything it
// needs comes from the call's Context.
type testHub struct {
	logger *slog.Logger
}

// Echo returns its argument; a pointer so that null comes back as null,
// as a .NET string does.
func (testHub) Echo(message *string) *string { return message }

// GetCallerConnectionId returns the caller's connection id, which the
// suite compares with the client's own view of it.
func (testHub) GetCallerConnectionId(c *signalr.Context) string { return c.ConnectionID() }

// GetNumRedirects returns the numRedirects query parameter of the request
// that established the transport, which /redirect puts in the hub URL.
func (testHub) GetNumRedirects(c *signalr.Context) (int, error) {
	v := c.Request().URL.Query().Get("numRedirects")
	n, err := strconv.Atoi(v)
	if err != nil {
		// Like int.Parse's failure; the Go error would show as its type.
		return 0, dotnetError{"FormatException", fmt.Sprintf("The input string '%s' was not in a correct format.", v)}
	}
	return n, nil
}

// ThrowException fails with an InvalidOperationException carrying message.
func (testHub) ThrowException(message string) error { return invalidOperation(message) }

// InvokeWithString sends message back to the caller as "Message".
func (testHub) InvokeWithString(c *signalr.Context, message string) error {
	return c.Clients.Caller().Send(c, "Message", message)
}

// SendCustomObject sends the object back to the caller as "CustomObject".
func (testHub) SendCustomObject(c *signalr.Context, o CustomObject) error {
	return c.Clients.Caller().Send(c, "CustomObject", o)
}

// Stream streams "a", "b", "c".
func (testHub) Stream() iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, s := range []string{"a", "b", "c"} {
			if !yield(s) {
				return
			}
		}
	}
}

// InfiniteStream never yields. When the client cancels the stream (or the
// connection ends) it tells the caller "StreamCanceled" through the hub
// context, since the call's own context is done by then.
func (h testHub) InfiniteStream(c *signalr.Context) <-chan string {
	ch := make(chan string)
	done, id, clients := c.Done(), c.ConnectionID(), c.Server().Clients()
	go func() {
		defer close(ch)
		<-done
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := clients.Client(id).Send(ctx, "StreamCanceled"); err != nil {
			h.logger.Debug("InfiniteStream: StreamCanceled not sent", "connection", id, "err", err)
		}
	}()
	return ch
}

// StreamingConcat concatenates the items of a client-to-server stream.
func (testHub) StreamingConcat(stream <-chan string) string {
	var b strings.Builder
	for s := range stream {
		b.WriteString(s)
	}
	return b.String()
}

// EmptyStream completes without items.
func (testHub) EmptyStream() iter.Seq[int] { return func(func(int) bool) {} }

// StreamThrowException fails before streaming anything.
func (testHub) StreamThrowException(message string) (<-chan string, error) {
	return nil, invalidOperation(message)
}

// GetActiveTransportName returns the .NET enum name of the caller's
// transport: "WebSockets", "ServerSentEvents" or "LongPolling".
func (testHub) GetActiveTransportName(c *signalr.Context) string { return c.Transport().String() }

// EchoComplexObject returns its argument.
func (testHub) EchoComplexObject(o ComplexObject) ComplexObject { return o }

// SendComplexObject returns a fixed ComplexObject.
func (testHub) SendComplexObject() ComplexObject {
	return ComplexObject{
		ByteArray: []byte{1, 2, 3},
		DateTime:  time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		Guid:      "00010203-0405-0607-0706-050403020100",
		IntArray:  []int{1, 2, 3},
		String:    "hello world",
	}
}

// GetContentTypeHeader returns the Content-Type of the transport request,
// nil when there is none (as for a WebSocket upgrade).
func (h testHub) GetContentTypeHeader(c *signalr.Context) *string {
	return h.GetHeader(c, "Content-Type")
}

// GetHeader returns a header of the transport request, nil (JSON null)
// when absent.
func (testHub) GetHeader(c *signalr.Context, name string) *string {
	vs := c.Request().Header.Values(name)
	if len(vs) == 0 {
		return nil
	}
	v := strings.Join(vs, ", ")
	return &v
}

// GetCookie returns a cookie of the transport request, nil when absent.
func (testHub) GetCookie(c *signalr.Context, name string) *string {
	ck, err := c.Request().Cookie(name)
	if err != nil {
		return nil
	}
	return &ck.Value
}

// uncreatableHub fails every connection in OnConnected, the way ASP.NET
// Core fails one whose hub cannot be activated by dependency injection.
type uncreatableHub struct{}

// errUncreatable is the .NET activation failure text.
var errUncreatable = invalidOperation(
	"Unable to resolve service for type 'System.Object' while attempting to activate 'FunctionalTests.UncreatableHub'.")

// OnConnected refuses the connection.
func (uncreatableHub) OnConnected(*signalr.Context) error { return errUncreatable }

// Echo is never reachable; it gives the hub a method.
func (uncreatableHub) Echo(message string) string { return message }

// authorizedHub is the hub behind bearer authentication.
type authorizedHub struct{}

// Echo returns its argument.
func (authorizedHub) Echo(message string) string { return message }

// hubErrorMessage returns the text a client gave as its error, without
// the type prefix, or the error's text for other failures.
func hubErrorMessage(err error) string {
	if he, ok := errors.AsType[*signalr.HubError](err); ok {
		return he.Message
	}
	return err.Error()
}
