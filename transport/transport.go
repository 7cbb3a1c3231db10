// Package transport is the connection layer of the SignalR server: the
// negotiate endpoint and the WebSockets, Server-Sent Events and Long Polling
// transports, as the official clients speak them. It moves bytes between a
// client and a [Handler] and knows nothing of hubs; ASP.NET Core calls the
// same layer Http.Connections.
//
// A [Server] serves one endpoint. Incoming bytes reach the connection's
// [Receiver] in arrival order, one call at a time; outgoing bytes go through
// [Conn.Write] into a bounded per-connection queue that a writer drains in
// order, each frame, event or poll body holding whole messages only.
//
// With Options.Cluster, several servers serve one endpoint behind a load
// balancer without sticky sessions: a request for a connection another
// server holds is forwarded to it (see [Cluster]).
package transport

import (
	"errors"
	"fmt"
)

// Type is a transport, as the bit flags the negotiate response and the
// JavaScript client use.
type Type int

// The transports.
const (
	WebSockets       Type = 1
	ServerSentEvents Type = 2
	LongPolling      Type = 4
	AllTransports         = WebSockets | ServerSentEvents | LongPolling
)

// String returns the .NET enum name the negotiate response uses, which the
// clients match case-sensitively.
func (t Type) String() string {
	switch t {
	case WebSockets:
		return "WebSockets"
	case ServerSentEvents:
		return "ServerSentEvents"
	case LongPolling:
		return "LongPolling"
	}
	return "Unknown"
}

// Errors a connection ends with, passed to [Receiver.Closed] (possibly
// wrapped) and returned by [Conn.Write].
var (
	// ErrClosed is returned by Write once the connection has ended or is
	// closing.
	ErrClosed = errors.New("transport: connection closed")
	// ErrSlowConsumer ends a connection whose outgoing queue would exceed
	// Options.MaxQueueBytes, and the connections holding the most queued
	// bytes when the total of all connections passes
	// Options.MaxTotalQueueBytes.
	ErrSlowConsumer = errors.New("transport: outgoing queue limit exceeded (slow consumer)")
	// ErrQueueBudget ends the connections shed because the bytes held for
	// all connections passed Options.MaxTotalQueueBytes. It wraps
	// ErrSlowConsumer, so errors.Is(err, ErrSlowConsumer) holds for every
	// slow consumer; errors.Is(err, ErrQueueBudget) tells the server-wide
	// sheds apart from the connections that passed their own
	// Options.MaxQueueBytes.
	ErrQueueBudget = fmt.Errorf("%w: server-wide queue budget exceeded", ErrSlowConsumer)
	// ErrSendTimeout ends a connection whose transport write was blocked
	// longer than Options.SendTimeout.
	ErrSendTimeout = errors.New("transport: send timed out")
	// ErrReconnectTimeout ends a stateful-reconnect connection whose client
	// did not come back within Options.DisconnectTimeout.
	ErrReconnectTimeout = errors.New("transport: client did not reconnect in time")
	// ErrDisconnectTimeout ends a connection that stayed without a transport
	// request (a long poll, or none at all after negotiate) for longer than
	// Options.DisconnectTimeout.
	ErrDisconnectTimeout = errors.New("transport: no request from the client within the disconnect timeout")
	// ErrConnectionLost ends a connection whose transport broke without a
	// close handshake (and that cannot wait for a stateful reconnect).
	ErrConnectionLost = errors.New("transport: connection lost")
	// ErrShutdown is passed to Close for every connection by
	// [Server.Shutdown].
	ErrShutdown = errors.New("transport: server shutting down")
)
