package signalr

import (
	"context"
	"fmt"
	"reflect"
)

// Invoke calls a client method that returns a result, and waits for it
// until ctx is done. The client answers with its handler's return value,
// decoded into T, or with an error, returned as a *HubError carrying the
// client's text. If the connection ends first the error is
// [ErrDisconnected]; for an unknown connection, [ErrConnectionNotFound].
//
// Called from a hub method on its own caller, Invoke gives back the
// method's invocation slot while it waits, so the connection keeps being
// read (the answer arrives on it); at most
// Options.MaximumParallelInvocationsPerClient calls of a connection wait so
// at once, and Invoke fails with [ErrTooManyPendingResults] beyond. It
// fails with [ErrClientResultsInOnConnected] from the OnConnected hook.
func Invoke[T any](ctx context.Context, to SingleClientProxy, method string, args ...any) (T, error) {
	var zero T
	id := to.ConnectionID()
	if c := contextFrom(ctx); c != nil && c.s.id == id {
		if c.onConnected {
			return zero, ErrClientResultsInOnConnected
		}
		if c.inv != nil {
			// The slot given back lets the client start another call: without
			// a bound, one that never answers piles up waiting calls.
			if c.s.awaiting.Add(1) > int32(c.s.srv.opts.MaximumParallelInvocationsPerClient) {
				c.s.awaiting.Add(-1)
				return zero, fmt.Errorf("signalr: invoking %q on connection %s: %w", method, id, ErrTooManyPendingResults)
			}
			defer c.s.awaiting.Add(-1)
		}
		c.inv.release()
	}
	r, err := to.lm.Invoke(ctx, id, method, args)
	if err != nil {
		return zero, fmt.Errorf("signalr: invoking %q on connection %s: %w", method, id, err)
	}
	if r.Error != "" {
		return zero, &HubError{Message: r.Error}
	}
	var v T
	if r.Result != nil {
		if err := r.Protocol.Unmarshal(r.Result, &v); err != nil {
			return zero, fmt.Errorf("signalr: client result of %q wasn't deserializable to %v: %w", method, reflect.TypeFor[T](), err)
		}
	}
	return v, nil
}

// contextKey finds the *Context in a context derived from it.
type contextKey struct{}

// Value implements context.Context; it also lets [Invoke] find the
// hub call behind a derived context.
func (c *Context) Value(key any) any {
	if key == (contextKey{}) {
		return c
	}
	return c.Context.Value(key)
}

func contextFrom(ctx context.Context) *Context {
	c, _ := ctx.Value(contextKey{}).(*Context)
	return c
}
