package main

import (
	"context"
	"fmt"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/redis"
)

// With -redis URL, the interop hubs (every path but /interop/restartable)
// go through the Redis backplane, each under the wire name
// iopHubName(path), so that several test servers act as one; the hub
// methods below then answer for the whole cluster.

// iopHubName is the name on the backplane of the interop hub at path.
func iopHubName(path string) string { return "SignalRGo.Interop" + path }

// openBackplane connects to the Redis of a -redis URL; "" means none.
func (a *app) openBackplane(ctx context.Context, url string) error {
	if url == "" {
		return nil
	}
	var err error
	if a.bp, err = redis.OpenURL(ctx, url, a.logger); err != nil {
		return fmt.Errorf("-redis: %w", err)
	}
	return nil
}

// lifetimeManager returns the backplane's manager for the hub at path, or
// nil (in-memory) without -redis.
func (a *app) lifetimeManager(path string) signalr.LifetimeManager {
	if a.bp == nil {
		return nil
	}
	return a.bp.Hub(iopHubName(path), nil)
}

// ConnectionCount returns the number of connections of the hub, on every
// server of the backplane.
func (*interopHub) ConnectionCount(c *signalr.Context) (int, error) {
	return c.Server().ConnectionCount(c)
}

// GroupsOf returns the groups of any connection, sorted.
func (*interopHub) GroupsOf(c *signalr.Context, id string) ([]string, error) {
	gs, err := c.Groups.Of(c, id)
	return iopNonNil(gs), err
}

// AddToGroup adds any connection, on any server, to a group.
func (*interopHub) AddToGroup(c *signalr.Context, id, group string) error {
	return c.Groups.Add(c, id, group)
}

// RemoveFromGroup removes any connection from a group.
func (*interopHub) RemoveFromGroup(c *signalr.Context, id, group string) error {
	return c.Groups.Remove(c, id, group)
}
