package server

import (
	"github.com/signalr-go/signalr"
)

// limitFilter limits the application hub's calls: those that create
// something (messages, rooms, conversations, invitations), cost the
// database more than a lookup (searches) or reach many people (typing)
// each by its own limit, every other call by one shared limit.
func (a *App) limitFilter() signalr.Filter {
	return signalr.Filter{
		Invocation: func(next signalr.InvocationHandler) signalr.InvocationHandler {
			return func(c *signalr.Context, inv *signalr.Invocation) (any, error) {
				if err := a.limitCall(c, inv.Method); err != nil {
					return nil, err
				}
				return next(c, inv)
			}
		},
	}
}

// trackFilter tracks connections and their tokens for revocation.
func (a *App) trackFilter() signalr.Filter {
	return signalr.Filter{
		Connected: func(next signalr.ConnectedHandler) signalr.ConnectedHandler {
			return func(c *signalr.Context) error {
				if err := next(c); err != nil {
					return err // refused: no disconnect will follow to untrack it
				}
				a.revoker.connected(c)
				return nil
			}
		},
		Disconnected: func(next signalr.DisconnectedHandler) signalr.DisconnectedHandler {
			return func(c *signalr.Context, err error) {
				a.revoker.disconnected(c)
				next(c, err)
			}
		},
	}
}

// limitCall returns a hub error if the caller has sent (or changed:
// edits, deletions, reactions share the budget) too many messages or
// created too many rooms, started too many conversations, invited,
// searched, fetched pages of messages, typed or called anything else
// too often lately.
func (a *App) limitCall(c *signalr.Context, method string) error {
	switch method {
	case "SendMessage", "SendReply", "EditMessage", "DeleteMessage", "React", "Unreact":
		if d := a.limits.messages.take(c.UserID()); d > 0 {
			return hubTooMany("messages", d)
		}
	case "StartConversation":
		if d := a.limits.conversations.take(c.UserID()); d > 0 {
			return hubTooMany("new conversations", d)
		}
	case "InviteToRoom":
		if d := a.limits.invites.take(c.UserID()); d > 0 {
			return hubTooMany("invitations", d)
		}
	case "Search":
		if d := a.limits.searches.take(c.UserID()); d > 0 {
			return hubTooMany("searches", d)
		}
	case "CreateRoom", "CreateRoomWith":
		if d := a.limits.roomsUser.take(c.UserID()); d > 0 {
			return hubTooMany("new rooms", d)
		}
		if d := a.limits.roomsAddr.take(a.limits.clientAddr(c.Request())); d > 0 {
			return hubTooMany("new rooms from your address", d)
		}
	case "MessagesSince", "History", "MessagesAround", "Unread":
		if d := a.limits.pages.take(c.UserID()); d > 0 {
			return hubTooMany("pages of messages", d)
		}
	case "Typing":
		if d := a.limits.typing.take(c.UserID()); d > 0 {
			return hubTooMany("typing notices", d)
		}
	default:
		// Every other call costs a query at least, and some write and
		// tell a room (JoinRoom, LeaveRoom, MarkRead): none is free.
		if d := a.limits.calls.take(c.UserID()); d > 0 {
			return hubTooMany("requests", d)
		}
	}
	return nil
}

// connectionsFilter refuses a connection beyond the max of its key's
// (see atOnce) open at once, with a hub error saying refusal.
func connectionsFilter(lim *atOnce, key func(*signalr.Context) string, refusal string) signalr.Filter {
	return signalr.Filter{
		Connected: func(next signalr.ConnectedHandler) signalr.ConnectedHandler {
			return func(c *signalr.Context) error {
				k := key(c)
				if !lim.enter(k) {
					return signalr.NewHubError("%s", refusal)
				}
				if err := next(c); err != nil {
					lim.leave(k) // refused: no disconnect follows
					return err
				}
				return nil
			}
		},
		Disconnected: func(next signalr.DisconnectedHandler) signalr.DisconnectedHandler {
			return func(c *signalr.Context, err error) {
				lim.leave(key(c))
				next(c, err)
			}
		},
	}
}

// seedFilters are the sample hub's filters: its connections are
// anonymous, and each arrival is told to every connection (n connections
// cost n² messages), so they are bounded per client address.
func (a *App) seedFilters() []signalr.Filter {
	return []signalr.Filter{a.trackFilter(),
		connectionsFilter(a.limits.seedConns, func(c *signalr.Context) string { return a.limits.clientAddr(c.Request()) },
			"Too many connections from your address: close one first."),
		a.seedFilter()}
}

// chatFilters are the chat hub's filters. A person's connections are
// bounded: each costs a goroutine, a socket and its rooms' groups, and
// accounts are cheap.
func (a *App) chatFilters() []signalr.Filter {
	return []signalr.Filter{a.trackFilter(),
		connectionsFilter(a.limits.chatConns, func(c *signalr.Context) string { return c.UserID() },
			"Too many connections of yours: close a tab first."),
		a.limitFilter()}
}
