package signalr

import (
	"context"

	"github.com/signalr-go/signalr/protocol"
)

// Sender is anything that can invoke a client method on some clients:
// [ClientProxy] and [SingleClientProxy].
type Sender interface {
	Send(ctx context.Context, method string, args ...any) error
}

// ClientProxy invokes client methods on a set of connections. The
// message is encoded once per protocol in use, whatever the number of
// recipients.
type ClientProxy struct {
	lm     LifetimeManager
	target Target
	local  *session // set for the caller: written directly, in order
}

// Send invokes method with args on every connection of the proxy, without
// waiting for them. It returns once the message is queued for every local
// recipient (or handed to the backplane).
func (p ClientProxy) Send(ctx context.Context, method string, args ...any) error {
	m := protocol.Prepare(&protocol.Invocation{Target: method, Arguments: args})
	if p.local != nil {
		return p.local.sendReply(m)
	}
	return p.lm.Send(ctx, p.target, m)
}

// Target returns the connections the proxy addresses.
func (p ClientProxy) Target() Target { return p.target }

// SingleClientProxy is a [ClientProxy] for one connection; it can also ask
// that client for a result with [Invoke].
type SingleClientProxy struct {
	ClientProxy
}

// ConnectionID returns the id of the connection.
func (p SingleClientProxy) ConnectionID() string { return p.target.Names[0] }

// HubClients selects the clients a message goes to. It is a small value,
// safe to copy and to use from any goroutine, in a hub or outside (the
// hub context, see [Server.Clients]).
type HubClients struct {
	lm LifetimeManager
}

func (h HubClients) proxy(kind TargetKind, names, exclude []string) ClientProxy {
	return ClientProxy{lm: h.lm, target: Target{Kind: kind, Names: names, Exclude: exclude}}
}

// All addresses every connection.
func (h HubClients) All() ClientProxy { return h.proxy(ToAll, nil, nil) }

// AllExcept addresses every connection but the given ones.
func (h HubClients) AllExcept(connIDs ...string) ClientProxy { return h.proxy(ToAll, nil, connIDs) }

// Client addresses one connection.
func (h HubClients) Client(connID string) SingleClientProxy {
	return SingleClientProxy{h.proxy(ToConnections, []string{connID}, nil)}
}

// Clients addresses the given connections.
func (h HubClients) Clients(connIDs ...string) ClientProxy {
	return h.proxy(ToConnections, connIDs, nil)
}

// Group addresses the members of a group.
func (h HubClients) Group(name string) ClientProxy {
	return h.proxy(ToGroups, []string{name}, nil)
}

// Groups addresses the members of several groups, each connection once.
func (h HubClients) Groups(names ...string) ClientProxy { return h.proxy(ToGroups, names, nil) }

// GroupExcept addresses the members of a group but the given connections.
func (h HubClients) GroupExcept(name string, connIDs ...string) ClientProxy {
	return h.proxy(ToGroups, []string{name}, connIDs)
}

// User addresses every connection of a user.
func (h HubClients) User(userID string) ClientProxy {
	return h.proxy(ToUsers, []string{userID}, nil)
}

// Users addresses every connection of several users.
func (h HubClients) Users(userIDs ...string) ClientProxy { return h.proxy(ToUsers, userIDs, nil) }

// CallerClients adds the targets relative to the calling connection to
// [HubClients].
type CallerClients struct {
	HubClients
	s *session
}

// Caller addresses the calling connection. Its messages are queued
// directly, so they reach the client before the call's Completion.
func (c CallerClients) Caller() SingleClientProxy {
	p := c.proxy(ToConnections, []string{c.s.id}, nil)
	p.local = c.s
	return SingleClientProxy{p}
}

// Others addresses every connection but the caller.
func (c CallerClients) Others() ClientProxy { return c.proxy(ToAll, nil, []string{c.s.id}) }

// OthersInGroup addresses the members of a group but the caller.
func (c CallerClients) OthersInGroup(name string) ClientProxy {
	return c.proxy(ToGroups, []string{name}, []string{c.s.id})
}

// GroupManager adds connections to groups and tells who is in them.
// Memberships end with the connection.
type GroupManager struct {
	lm LifetimeManager
}

// Add adds a connection to a group; adding a member again does nothing.
func (g GroupManager) Add(ctx context.Context, connID, group string) error {
	return g.lm.AddToGroup(ctx, connID, group)
}

// Remove removes a connection from a group; removing a non-member does
// nothing.
func (g GroupManager) Remove(ctx context.Context, connID, group string) error {
	return g.lm.RemoveFromGroup(ctx, connID, group)
}

// Members returns the connection ids in a group, sorted.
func (g GroupManager) Members(ctx context.Context, group string) ([]string, error) {
	return g.lm.Members(ctx, group)
}

// Size returns the number of connections in a group.
func (g GroupManager) Size(ctx context.Context, group string) (int, error) {
	ids, err := g.lm.Members(ctx, group)
	return len(ids), err
}

// Of returns the groups a connection belongs to, sorted.
func (g GroupManager) Of(ctx context.Context, connID string) ([]string, error) {
	return g.lm.GroupsOf(ctx, connID)
}
