package signalr

import (
	"context"
	"net/http"
	"sync"

	"github.com/signalr-go/signalr/transport"
)

// Context is what a hub method or hook knows about its call: the calling
// connection, its user and request, and the ways to reach other clients.
// It is a context.Context that is cancelled when the connection ends (and,
// for a streaming method, when the client cancels the stream).
//
// A Context is valid for the duration of the call; keep ConnectionID, not
// the Context, to reach a connection later.
type Context struct {
	context.Context

	// Clients reaches the caller, other connections, groups and users.
	Clients CallerClients
	// Groups adds and removes connections to and from groups.
	Groups GroupManager

	s           *session
	onConnected bool       // in the OnConnected hook
	inv         *slotOwner // the invocation slot this call holds, if any
}

// ConnectionID returns the id of the calling connection.
func (c *Context) ConnectionID() string { return c.s.id }

// UserID returns the id of the caller's user, "" when anonymous.
func (c *Context) UserID() string { return c.s.principal.ID }

// User returns the caller's principal as Transport.Authenticate returned it.
func (c *Context) User() transport.Principal { return c.s.principal }

// Request returns the HTTP request that established the caller's
// transport (the WebSocket upgrade, the SSE request or the first poll).
// It must not be modified.
func (c *Context) Request() *http.Request { return c.s.conn.Request() }

// Transport returns the transport the caller uses.
func (c *Context) Transport() transport.Type { return c.s.conn.Transport() }

// Protocol returns the name of the caller's hub protocol.
func (c *Context) Protocol() string { return c.s.proto.Name() }

// Items returns the caller's per-connection store, which lives as long as
// the connection and is safe for concurrent use.
func (c *Context) Items() *Items { return c.s.items() }

// Server returns the server the hub runs in, for presence queries and
// disconnects.
func (c *Context) Server() *Server { return c.s.srv }

// Abort closes the caller's connection (Close message without reconnect).
func (c *Context) Abort() { c.s.Abort(nil) }

// Items is a per-connection key-value store, safe for concurrent use.
type Items struct {
	mu sync.Mutex
	m  map[any]any
}

// Get returns the value stored under key and whether there was one.
func (it *Items) Get(key any) (any, bool) {
	it.mu.Lock()
	defer it.mu.Unlock()
	v, ok := it.m[key]
	return v, ok
}

// Set stores value under key.
func (it *Items) Set(key, value any) {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.m == nil {
		it.m = make(map[any]any)
	}
	it.m[key] = value
}

// Delete removes key.
func (it *Items) Delete(key any) {
	it.mu.Lock()
	defer it.mu.Unlock()
	delete(it.m, key)
}
