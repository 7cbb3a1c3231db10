package redis

import (
	"context"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/protocol"
)

// HubManager is the [signalr.LifetimeManager] of one hub on a
// [Backplane]; pass it as signalr.Options.LifetimeManager. See the
// package documentation for what crosses servers and how.
type HubManager struct {
	b      *Backplane
	name   string
	protos []protocol.HubProtocol
}

var _ signalr.LifetimeManager = (*HubManager)(nil)

func newHubManager(b *Backplane, name string, protos []protocol.HubProtocol) *HubManager {
	return &HubManager{b: b, name: name, protos: protos}
}

func (h *HubManager) start()                {}
func (h *HubManager) failPending(err error) {}

// Add implements [signalr.LifetimeManager]: it subscribes to the
// connection's channel (and its user's, ref-counted) and records it in the
// cluster's presence.
func (h *HubManager) Add(ctx context.Context, c signalr.Conn) error { return ErrUnavailable }

// Remove implements [signalr.LifetimeManager].
func (h *HubManager) Remove(ctx context.Context, c signalr.Conn) error { return ErrUnavailable }

// Send implements [signalr.LifetimeManager]. Local recipients are served
// at once; the other servers' part is queued for Redis. It returns an
// error wrapping [ErrUnavailable] when that part was dropped.
func (h *HubManager) Send(ctx context.Context, t signalr.Target, m *protocol.Prepared) error {
	return ErrUnavailable
}

// AddToGroup implements [signalr.LifetimeManager]. For a connection of
// another server it publishes a group command and waits for that server's
// ack, at most Options.AckTimeout ([ErrAckTimeout]).
func (h *HubManager) AddToGroup(ctx context.Context, connID, group string) error {
	return ErrUnavailable
}

// RemoveFromGroup implements [signalr.LifetimeManager], as AddToGroup.
func (h *HubManager) RemoveFromGroup(ctx context.Context, connID, group string) error {
	return ErrUnavailable
}

// Invoke implements [signalr.LifetimeManager]. A connection of another
// server gets the call through Redis and answers on this server's return
// channel; a connection no server subscribes to fails at once with an
// error wrapping [signalr.ErrConnectionNotFound] ("Connection 'X' does not
// exist."), and one that goes away before answering fails the call with
// [signalr.ErrDisconnected].
func (h *HubManager) Invoke(ctx context.Context, connID, method string, args []any) (signalr.ClientResult, error) {
	return signalr.ClientResult{}, ErrUnavailable
}

// SetResult implements [signalr.LifetimeManager].
func (h *HubManager) SetResult(ctx context.Context, connID, invocationID string, r signalr.ClientResult) error {
	return signalr.ErrNoPendingResult
}

// Connections implements [signalr.LifetimeManager] for the whole cluster.
func (h *HubManager) Connections(ctx context.Context, userID string) ([]string, error) {
	return nil, ErrUnavailable
}

// Members implements [signalr.LifetimeManager] for the whole cluster.
func (h *HubManager) Members(ctx context.Context, group string) ([]string, error) {
	return nil, ErrUnavailable
}

// GroupsOf implements [signalr.LifetimeManager] for the whole cluster.
func (h *HubManager) GroupsOf(ctx context.Context, connID string) ([]string, error) {
	return nil, ErrUnavailable
}

// Count implements [signalr.LifetimeManager] for the whole cluster.
func (h *HubManager) Count(ctx context.Context) (int, error) { return 0, ErrUnavailable }

// Disconnect implements [signalr.LifetimeManager]: a connection of another
// server is closed by that server, told on this package's own channel.
func (h *HubManager) Disconnect(ctx context.Context, connID string, err error) error {
	return ErrUnavailable
}

// DisconnectUser implements [signalr.LifetimeManager] cluster-wide.
func (h *HubManager) DisconnectUser(ctx context.Context, userID string, err error) error {
	return ErrUnavailable
}
