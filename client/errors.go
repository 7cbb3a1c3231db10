package client

import "errors"

// Sentinel errors; callers branch on them with errors.Is.
var (
	// ErrNotConnected is returned by calls made while the client is not
	// in the Connected state.
	ErrNotConnected = errors.New("client: not connected")
	// ErrAlreadyStarted is returned by Start on a client that is not
	// Disconnected.
	ErrAlreadyStarted = errors.New("client: already started")
	// ErrConnectionClosed fails pending invocations and streams when the
	// connection they were sent on ends.
	ErrConnectionClosed = errors.New("client: invocation canceled due to the underlying connection being closed")
	// ErrServerTimeout ends a connection on which the server sent
	// nothing for the server timeout.
	ErrServerTimeout = errors.New("client: server timeout elapsed without receiving a message from the server")
	// ErrNegotiate wraps failures of the negotiate request.
	ErrNegotiate = errors.New("client: failed to complete negotiation with the server")
	// ErrHandshake wraps handshake failures, including an error the
	// server returned in its handshake response.
	ErrHandshake = errors.New("client: handshake failed")
	// ErrNoTransport is returned when no transport could be started.
	ErrNoTransport = errors.New("client: unable to connect to the server with any of the available transports")
	// ErrProtocol wraps bad data from the server (malformed messages,
	// impossible sequence ids).
	ErrProtocol = errors.New("client: protocol error")
)

// HubError is the error a server returned in a Completion: a failed
// invocation, a failed stream, or a hub method that threw.
type HubError struct {
	// Message is the server's error text.
	Message string
}

// Error implements error.
func (e *HubError) Error() string { return e.Message }

// CloseError is the reason carried by a Close message from the server.
type CloseError struct {
	// Message is the server's error text ("" when it gave none).
	Message string
	// AllowReconnect is true when the server invited an automatic
	// reconnect.
	AllowReconnect bool
}

// Error implements error with the text of the official clients.
func (e *CloseError) Error() string {
	if e.Message == "" {
		return "Server closed the connection."
	}
	return "Server returned an error on close: " + e.Message
}
