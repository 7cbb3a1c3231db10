package client

import "context"

// transport carries payloads between the client and the server. One
// goroutine calls read; writes are serialized by the session.
type transport interface {
	// read returns the next payload from the server: a WebSocket
	// message, a Server-Sent Event's data or a poll body. It returns
	// io.EOF when the server ended the connection cleanly.
	read() ([]byte, error)
	// write sends the payload p[frameHeadroom:]; the transport may use
	// the headroom in front of it (and must leave the payload as it
	// was). text tells WebSockets to use a text frame and the HTTP
	// transports which Content-Type to send.
	write(ctx context.Context, p []byte, text bool) error
	// close ends the transport from the client side, telling the server
	// where the transport can.
	close(ctx context.Context)
	// abort ends the transport at once; a blocked read returns an error.
	abort()
}

// connectURL is the transport URL of a negotiated connection: the hub URL
// with the connection token as id.
func connectURL(base, token string) string {
	if token == "" {
		return base
	}
	return withQuery(base, "id", token)
}
