// Package seed is the chat hub of the ASP.NET Core SignalR samples,
// method for method and message for message, so that clients written for
// that original work against this server unchanged, within limits the
// sample lacks (limits.go; calls are rate limited by package server). It has no storage
// and no identity of its own: the application's hub is package hub.
package seed

import (
	"context"

	"github.com/signalr-go/signalr"
)

// Hub is the sample chat hub. It holds no state and is safe for
// concurrent use.
type Hub struct{}

// OnConnected tells everyone that a connection arrived.
func (Hub) OnConnected(c *signalr.Context) error {
	return c.Clients.All().Send(c, "UserConnected", c.ConnectionID())
}

// OnDisconnected tells everyone that a connection left. The caller's
// context is already cancelled here, so the send must not use it.
func (Hub) OnDisconnected(c *signalr.Context, _ error) {
	_ = c.Server().Clients().All().Send(context.Background(), "UserDisconnected", c.ConnectionID())
}

// SendMessage sends a message to everyone.
func (Hub) SendMessage(c *signalr.Context, user, message string) error {
	if err := checkText("user name", user, MaxNameLength); err != nil {
		return err
	}
	if err := checkText("message", message, MaxMessageLength); err != nil {
		return err
	}
	return c.Clients.All().Send(c, "ReceiveMessage", user, message)
}

// JoinRoom adds the caller to a room and tells the room.
func (Hub) JoinRoom(c *signalr.Context, room string) error {
	if err := roomForOneMore(c, "room name", room); err != nil {
		return err
	}
	if err := c.Groups.Add(c, c.ConnectionID(), room); err != nil {
		return err
	}
	return c.Clients.Group(room).Send(c, "ReceiveMessage", "System",
		c.ConnectionID()+" has joined the room "+room)
}

// LeaveRoom removes the caller from a room and tells the room.
func (Hub) LeaveRoom(c *signalr.Context, room string) error {
	if err := checkText("room name", room, MaxNameLength); err != nil {
		return err
	}
	if err := c.Groups.Remove(c, c.ConnectionID(), room); err != nil {
		return err
	}
	return c.Clients.Group(room).Send(c, "ReceiveMessage", "System",
		c.ConnectionID()+" has left the room "+room)
}

// AddToGroup adds the caller to a group and tells the group.
func (Hub) AddToGroup(c *signalr.Context, group string) error {
	if err := roomForOneMore(c, "group name", group); err != nil {
		return err
	}
	if err := c.Groups.Add(c, c.ConnectionID(), group); err != nil {
		return err
	}
	return c.Clients.Group(group).Send(c, "Send", c.ConnectionID()+" has joined the group "+group+".")
}

// RemoveFromGroup removes the caller from a group and tells the group.
func (Hub) RemoveFromGroup(c *signalr.Context, group string) error {
	if err := checkText("group name", group, MaxNameLength); err != nil {
		return err
	}
	if err := c.Groups.Remove(c, c.ConnectionID(), group); err != nil {
		return err
	}
	return c.Clients.Group(group).Send(c, "Send", c.ConnectionID()+" has left the group "+group+".")
}

// SendMessageToGroup sends a message to a group, signed with the
// caller's connection id.
func (Hub) SendMessageToGroup(c *signalr.Context, group, message string) error {
	if err := checkText("group name", group, MaxNameLength); err != nil {
		return err
	}
	if err := checkText("message", message, MaxMessageLength); err != nil {
		return err
	}
	return c.Clients.Group(group).Send(c, "ReceiveMessage", c.ConnectionID(), message)
}

// GetConnectionInfo tells the caller its connection id and user name
// (null when anonymous).
func (Hub) GetConnectionInfo(c *signalr.Context) error {
	var name any
	if n := c.User().Name; n != "" {
		name = n
	}
	return c.Clients.Caller().Send(c, "ReceiveConnectionInfo", c.ConnectionID(), name)
}
