package signalr

import (
	"context"

	"github.com/signalr-go/signalr/protocol"
)

// TargetKind says which connections a [Target] addresses.
type TargetKind uint8

// The target kinds.
const (
	// ToAll addresses every connection of the hub.
	ToAll TargetKind = iota
	// ToConnections addresses the connections whose ids are in Names.
	ToConnections
	// ToGroups addresses the members of the groups in Names.
	ToGroups
	// ToUsers addresses every connection of the users in Names.
	ToUsers
)

// Target is a set of connections a message goes to: everything selected by
// Kind and Names, minus the connections in Exclude. A connection selected
// several times (a member of two of the groups) receives the message once.
type Target struct {
	Kind    TargetKind
	Names   []string
	Exclude []string
}

// Conn is a connection as a [LifetimeManager] sees it: a connection that
// completed its handshake on this server.
type Conn interface {
	// ID returns the connection id.
	ID() string
	// UserID returns the user id, "" when anonymous.
	UserID() string
	// Send queues m, encoded in the connection's protocol (the bytes are
	// shared with every other recipient). It never blocks and never calls
	// back into the LifetimeManager, so managers may call it while they
	// hold their own locks; a connection that cannot keep up is closed
	// instead, by another goroutine.
	Send(m *protocol.Prepared) error
	// Abort closes the connection with a Close message that carries err's
	// text when err is a *HubError, and does not allow reconnecting.
	Abort(err error)
}

// ClientResult is a client's answer to a server-to-client invocation.
type ClientResult struct {
	// Protocol decodes Result: the protocol of the client that answered.
	Protocol protocol.HubProtocol
	// Result is the returned value; nil for null or no value.
	Result protocol.Raw
	// Error is the client's error text; "" on success.
	Error string
}

// LifetimeManager is the one place every send, group change, presence
// query and client-result call goes through (ASP.NET Core's
// HubLifetimeManager). The in-memory [MemoryLifetimeManager] serves one
// process; a backplane implements it to span servers, publishing the bytes
// of [protocol.Prepared] per protocol name.
//
// Ordering: messages sent from one goroutine to one connection arrive in
// the order of the calls; a group change returns only once later sends see
// it. Across connections there is no order. All methods are safe for
// concurrent use.
type LifetimeManager interface {
	// Add registers a local connection after its handshake, before the
	// hub's OnConnected hook runs.
	Add(ctx context.Context, c Conn) error
	// Remove unregisters a local connection when it ends: it leaves every
	// group, and its pending client results fail with [ErrDisconnected].
	Remove(ctx context.Context, c Conn) error

	// Send delivers m to every connection of t. Failures of single
	// connections are not errors of Send.
	Send(ctx context.Context, t Target, m *protocol.Prepared) error

	// AddToGroup adds a connection, local or not, to a group; adding a
	// member again does nothing. It returns [ErrConnectionNotFound] for an
	// unknown connection.
	AddToGroup(ctx context.Context, connID, group string) error
	// RemoveFromGroup removes a connection from a group; removing a
	// non-member does nothing.
	RemoveFromGroup(ctx context.Context, connID, group string) error

	// Invoke sends a server-to-client invocation expecting a result to one
	// connection and waits for the answer, until ctx is done. The
	// invocation id it assigns never collides with client stream ids.
	Invoke(ctx context.Context, connID, method string, args []any) (ClientResult, error)
	// SetResult hands a client's Completion to the pending Invoke it
	// answers; [ErrNoPendingResult] if there is none for this connection.
	SetResult(ctx context.Context, connID, invocationID string, r ClientResult) error

	// Connections returns the ids of the connections of a user.
	Connections(ctx context.Context, userID string) ([]string, error)
	// Members returns the ids of the connections in a group.
	Members(ctx context.Context, group string) ([]string, error)
	// GroupsOf returns the groups a connection belongs to.
	GroupsOf(ctx context.Context, connID string) ([]string, error)
	// Count returns the number of connections of the hub.
	Count(ctx context.Context) (int, error)

	// Disconnect closes a connection wherever it is; err as in Conn.Abort.
	Disconnect(ctx context.Context, connID string, err error) error
	// DisconnectUser closes every connection of a user.
	DisconnectUser(ctx context.Context, userID string, err error) error
}
