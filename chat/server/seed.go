package server

import (
	"github.com/signalr-go/signalr"
)

// seedFilter limits the calls to the sample hub (/chatHub) per connection
// and per client address: it needs no sign-in, and each SendMessage
// reaches every connection. A limited call is answered with a hub error
// saying when to retry; the connection stays open.
func (a *App) seedFilter() signalr.Filter {
	return signalr.Filter{
		Invocation: func(next signalr.InvocationHandler) signalr.InvocationHandler {
			return func(c *signalr.Context, inv *signalr.Invocation) (any, error) {
				if d := a.limits.seedConn.take(c.ConnectionID()); d > 0 {
					return nil, hubTooMany("calls on this connection", d)
				}
				if d := a.limits.seedAddr.take(a.limits.clientAddr(c.Request())); d > 0 {
					return nil, hubTooMany("calls from your address", d)
				}
				return next(c, inv)
			}
		},
		Disconnected: func(next signalr.DisconnectedHandler) signalr.DisconnectedHandler {
			return func(c *signalr.Context, err error) {
				a.limits.seedConn.forget(c.ConnectionID())
				next(c, err)
			}
		},
	}
}
