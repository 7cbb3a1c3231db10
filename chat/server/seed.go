package server

import (
	"github.com/signalr-go/signalr"
)

// seedFilter limits the sample hub (/chatHub): the connections open at
// once per client address, and the calls per connection and per address.
// It needs no sign-in, and each arrival and each SendMessage reaches
// every connection. A limited call is answered with a hub error saying
// when to retry; the connection stays open.
func (a *App) seedFilter() signalr.Filter {
	return signalr.Filter{
		Connected: func(next signalr.ConnectedHandler) signalr.ConnectedHandler {
			return func(c *signalr.Context) error {
				addr := a.limits.clientAddr(c.Request())
				if !a.limits.seedConns.enter(addr) {
					return signalr.NewHubError("Too many connections from your address: close one first.")
				}
				if err := next(c); err != nil {
					a.limits.seedConns.leave(addr) // refused: no disconnect follows
					return err
				}
				return nil
			}
		},
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
				a.limits.seedConns.leave(a.limits.clientAddr(c.Request()))
				next(c, err)
			}
		},
	}
}
