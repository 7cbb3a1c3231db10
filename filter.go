package signalr

import "github.com/signalr-go/signalr/transport"

// InvocationHandler runs a hub method call and returns its result.
type InvocationHandler func(c *Context, inv *Invocation) (any, error)

// ConnectedHandler runs when a connection has completed its handshake,
// before anything it sends is dispatched. An error closes the connection.
type ConnectedHandler func(c *Context) error

// DisconnectedHandler runs when a connection has ended; err is nil for a
// normal close.
type DisconnectedHandler func(c *Context, err error)

// Filter is middleware around hub method calls and the connection hooks,
// for logging, authorization, rate limiting and the like. Each field is
// optional; each wraps the next handler and decides whether and how to
// call it. For a streaming method, the invocation handler returns the
// stream (a channel or iterator) before its items are sent.
type Filter struct {
	Invocation   func(next InvocationHandler) InvocationHandler
	Connected    func(next ConnectedHandler) ConnectedHandler
	Disconnected func(next DisconnectedHandler) DisconnectedHandler
}

// Policy decides whether a user may connect (Options.Authorize) or call a
// method (Options.MethodPolicies).
type Policy func(user transport.Principal) bool

// Hooks a hub may implement.
type (
	// ConnectedHook is implemented by hubs that want to know when a
	// connection starts. OnConnected runs before any invocation of the
	// connection; an error closes the connection without reconnecting.
	ConnectedHook interface {
		OnConnected(c *Context) error
	}
	// DisconnectedHook is implemented by hubs that want to know when a
	// connection ends; err is nil for a normal close.
	DisconnectedHook interface {
		OnDisconnected(c *Context, err error)
	}
)

// chain builds the handlers once, the first filter outermost.
func (s *Server) chain(hub any) {
	s.invoke = callMethod
	s.onConnected = func(*Context) error { return nil }
	s.onDisconnected = func(*Context, error) {}
	if h, ok := hub.(ConnectedHook); ok {
		s.onConnected = h.OnConnected
	}
	if h, ok := hub.(DisconnectedHook); ok {
		s.onDisconnected = h.OnDisconnected
	}
	for i := len(s.opts.Filters) - 1; i >= 0; i-- {
		f := s.opts.Filters[i]
		if f.Invocation != nil {
			s.invoke = f.Invocation(s.invoke)
		}
		if f.Connected != nil {
			s.onConnected = f.Connected(s.onConnected)
		}
		if f.Disconnected != nil {
			s.onDisconnected = f.Disconnected(s.onDisconnected)
		}
	}
}

// connected runs the connect hook chain; a panic is an error.
func (s *Server) connected(c *Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("signalr: panic in OnConnected", "connection", c.ConnectionID(), "panic", r)
			err = panicError{r}
		}
	}()
	return s.onConnected(c)
}

// disconnected runs the disconnect hook chain; a panic is logged.
func (s *Server) disconnected(c *Context, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("signalr: panic in OnDisconnected", "connection", c.ConnectionID(), "panic", r)
		}
	}()
	s.onDisconnected(c, err)
}
