// Package signalr is the hub layer of a Go server for the ASP.NET Core
// SignalR protocol: the official clients (JavaScript, .NET, Java, Swift)
// connect to it unchanged, over WebSockets, Server-Sent Events or Long
// Polling, with the JSON or MessagePack hub protocol.
//
// A hub is any Go value; its exported methods become hub methods, which
// clients call by name (case-insensitively):
//
//	type Chat struct{}
//
//	func (Chat) SendMessage(c *signalr.Context, user, text string) error {
//		return c.Clients.All().Send(c, "ReceiveMessage", user, text)
//	}
//
//	srv, err := signalr.NewServer(Chat{}, signalr.Options{})
//	mux.Handle("/chat", srv)
//	mux.Handle("/chat/", srv)
//
// Methods are inspected once, by [NewServer]; arguments are decoded into
// the parameters' Go types by the connection's protocol. A returned error
// fails the call with a generic text, unless it is a *[HubError] or
// Options.EnableDetailedErrors is set. Methods returning a channel or an
// iterator stream their items; methods taking a receive-only channel read
// a client's stream. [Invoke] asks one client for a result.
//
// Streams end with their connection. A client stream's channel is closed
// when the client completes the stream (or fails it, which fails the
// call), when the stream invocation reading it is cancelled, when the
// method returns, and when the connection ends, so ranging over it always
// finishes. A streaming method's context is done when the client cancels
// or the connection ends: a goroutine producing its channel must stop
// then. Options.MaximumStreamsPerClient bounds the streams of one
// connection, and a stream id already in use fails the invocation.
//
// Outside hub methods, the [Server] is the hub context: Clients, Groups,
// presence queries and disconnects work from anywhere. Every send, group
// change and client result goes through one [LifetimeManager], in memory
// by default, so that a backplane can span several servers.
//
// Ordering: messages to one connection are delivered in the order they
// were sent; invocations of one connection run one at a time in arrival
// order (see Options.MaximumParallelInvocationsPerClient); messages a hub
// method sends to its caller arrive before the call's completion. There is
// no order across connections.
package signalr
