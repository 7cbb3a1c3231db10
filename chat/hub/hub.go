package hub

import (
	"context"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/chat/names"
	"github.com/signalr-go/signalr/chat/store"
)

// Hub is the chat hub: each exported method is callable by clients.
type Hub struct{ s *Service }

// RoomInfo is a room as the room list shows it.
type RoomInfo struct {
	store.Room
	Joined bool `json:"joined"` // whether the caller is a member
}

// RoomState is what a client needs to show a room it joined.
type RoomState struct {
	Room     store.Room      `json:"room"`
	Messages []store.Message `json:"messages"` // the newest page, oldest first
	HasMore  bool            `json:"hasMore"`  // whether older messages exist
	Members  []Member        `json:"members"`  // online now: the first MaxListedMembers by name
	Online   int             `json:"online"`   // how many are online now, listed or not
	Reads    []store.Read    `json:"reads"`    // the MaxListedReads furthest forward
}

func me(c *signalr.Context) Member { return Member{UserID: c.UserID(), Name: c.User().Name} }

// OnConnected puts the new connection in its user's group and in the
// rooms its user has joined.
func (h Hub) OnConnected(c *signalr.Context) error {
	h.s.pres.connect(c.ConnectionID(), me(c))
	if err := c.Groups.Add(c, c.ConnectionID(), userGroup(c.UserID())); err != nil {
		return err
	}
	rooms, err := h.s.store.RoomsOf(c, c.UserID())
	if err != nil {
		return err
	}
	for _, id := range rooms {
		if err := h.s.enter(c, id, me(c), c.ConnectionID()); err != nil {
			return err
		}
	}
	return h.recheck(c, rooms)
}

// recheck takes a new connection out of the rooms it entered whose
// membership ended meanwhile: a removal (on any server) that ran between
// reading the rooms and entering them did not see it in their groups.
func (h Hub) recheck(c *signalr.Context, entered []int64) error {
	now, err := h.s.store.RoomsOf(c, c.UserID())
	if err != nil {
		return err
	}
	for _, id := range entered {
		if !slices.Contains(now, id) {
			if err := h.s.exit(c, id, c.ConnectionID(), c.UserID()); err != nil {
				return err
			}
		}
	}
	return nil
}

// OnDisconnected schedules the presence news of the connection's rooms
// (the lifetime manager has taken it out of their groups already),
// including rooms another server put it in.
func (h Hub) OnDisconnected(c *signalr.Context, _ error) {
	// The caller's context is over; the news must still go out.
	rooms, err := h.s.store.RoomsOf(context.WithoutCancel(c), c.UserID())
	if err != nil {
		h.s.log.Warn("chat: rooms of a leaving connection", "err", err)
	}
	h.s.pres.disconnect(c.ConnectionID(), rooms)
}

// Rooms lists the rooms the caller may see (every public room, the
// private rooms they are a member of; not conversations: see
// Conversations), telling which ones they have joined.
func (h Hub) Rooms(c *signalr.Context) ([]RoomInfo, error) {
	rooms, err := h.s.store.VisibleRooms(c, c.UserID())
	if err != nil {
		return nil, err
	}
	mine, err := h.s.store.RoomsOf(c, c.UserID())
	if err != nil {
		return nil, err
	}
	out := make([]RoomInfo, len(rooms))
	for i, r := range rooms {
		out[i] = RoomInfo{Room: r, Joined: slices.Contains(mine, r.ID)}
	}
	return out, nil
}

// CreateRoom creates a public room, joins the caller to it and tells
// everyone.
func (h Hub) CreateRoom(c *signalr.Context, name string) (store.Room, error) {
	return h.create(c, name, store.KindPublic)
}

// create creates a room of a kind, public or private, owned by the
// caller and joins them to it. Everyone hears of a public room; only the
// caller's other tabs of a private one.
func (h Hub) create(c *signalr.Context, name, kind string) (store.Room, error) {
	name, err := names.Room(name)
	if err != nil {
		return store.Room{}, signalr.NewHubError("%s", names.Explain(err))
	}
	if err := h.s.roomForOneMore(c, c.UserID(), "", false); err != nil {
		return store.Room{}, err
	}
	r, err := h.s.store.AddRoom(c, store.Room{Name: name, CreatedBy: c.UserID(), Kind: kind})
	if errors.Is(err, store.ErrExists) {
		return store.Room{}, signalr.NewHubError("A room named %q (or one that looks the same) already exists.", name)
	}
	if err != nil {
		return store.Room{}, err
	}
	to := c.Clients.All()
	if kind != store.KindPublic {
		to = c.Clients.User(c.UserID())
	}
	if err := to.Send(c, "RoomCreated", r); err != nil {
		return store.Room{}, err
	}
	return r, h.join(c, r.ID)
}

// JoinRoom makes the caller a member of a room (all of their
// connections) and returns what the page shows: the newest messages, who
// is online, how far everyone has read. Joining again just returns that.
func (h Hub) JoinRoom(c *signalr.Context, roomID int64) (RoomState, error) {
	r, err := h.s.store.Room(c, roomID)
	if errors.Is(err, store.ErrNotFound) {
		return RoomState{}, noRoom(roomID)
	}
	if err != nil {
		return RoomState{}, err
	}
	member, err := h.s.store.IsMember(c, roomID, c.UserID())
	if err != nil {
		return RoomState{}, err
	}
	if !member {
		// A private room or a conversation is entered by invitation
		// only, and to others it does not exist.
		if r.Kind != store.KindPublic {
			return RoomState{}, noRoom(roomID)
		}
		if err := h.s.roomForOneMore(c, c.UserID(), "", false); err != nil {
			return RoomState{}, err
		}
	}
	if member {
		// Writing the membership again would undo a removal that ran
		// since the check above; and one that ran while the connections
		// entered did not see them in the group.
		if err := h.enter(c, roomID); err != nil {
			return RoomState{}, err
		}
		if err := h.stillMember(c, roomID); err != nil {
			return RoomState{}, err
		}
	} else {
		if err := h.join(c, roomID); err != nil {
			return RoomState{}, err
		}
		if err := h.s.membersChanged(c, roomID, joined(r, me(c), true)); err != nil {
			return RoomState{}, err
		}
	}
	st := RoomState{Room: r}
	if st.Room, err = h.s.titled(c, r, c.UserID()); err != nil {
		return RoomState{}, err
	}
	online, err := h.s.pres.members(c, roomID)
	if err != nil {
		h.s.log.Warn("chat: presence of a room, this server's part only", "room", roomID, "err", err)
	}
	// A public room may have thousands online: every join would carry
	// them all.
	st.Members, st.Online = online[:min(len(online), MaxListedMembers)], len(online)
	if st.Messages, err = h.s.store.MessagesBefore(c, roomID, 0, HistoryPage+1); err != nil {
		return RoomState{}, err
	}
	if len(st.Messages) > HistoryPage {
		st.Messages, st.HasMore = st.Messages[1:], true
	}
	if st.Reads, err = h.s.store.LatestReads(c, roomID, MaxListedReads); err != nil {
		return RoomState{}, err
	}
	return st, nil
}

// join records the membership and brings every connection of the caller
// into the room, so that all of a person's tabs follow it.
func (h Hub) join(c *signalr.Context, roomID int64) error {
	if err := h.s.store.Join(c, roomID, c.UserID()); err != nil {
		return err
	}
	return h.enter(c, roomID)
}

// enter brings every connection of the caller into a room they are a
// member of, and tells their pages.
func (h Hub) enter(c *signalr.Context, roomID int64) error {
	if err := h.s.enterAll(c, roomID, me(c), c.ConnectionID()); err != nil {
		return err
	}
	return c.Clients.User(c.UserID()).Send(c, "MembershipChanged", roomID, true)
}

// stillMember takes the caller's connections out of a room again, and
// answers as for a missing room, if their membership ended while they
// entered it.
func (h Hub) stillMember(c *signalr.Context, roomID int64) error {
	ok, err := h.s.store.IsMember(c, roomID, c.UserID())
	if err != nil || ok {
		return err
	}
	conns, err := userConns(c)
	if err != nil {
		return err
	}
	for _, conn := range conns {
		if err := h.s.exit(c, roomID, conn, c.UserID()); err != nil {
			return err
		}
	}
	return noRoom(roomID)
}

// userConns returns the connections of the caller's user, the caller's
// own always among them: a backplane's answer comes from state written in
// batches, which may not hold a connection that just arrived.
func userConns(c *signalr.Context) ([]string, error) {
	conns, err := c.Server().UserConnections(c, c.UserID())
	if err != nil {
		return nil, err
	}
	if !slices.Contains(conns, c.ConnectionID()) {
		conns = append(conns, c.ConnectionID())
	}
	return conns, nil
}

// LeaveRoom ends the caller's membership of a room, for all their
// connections. A private room or a conversation then leaves their lists
// (RoomRemoved): conversations can be left, or the ones others start
// with a person would use up their allowance for good (see
// StartConversation for coming back). Leaving a room one is not a member
// of does nothing, whatever the room, so that it tells nothing of rooms
// the caller may not know of.
func (h Hub) LeaveRoom(c *signalr.Context, roomID int64) error {
	member, err := h.s.store.IsMember(c, roomID, c.UserID())
	if err != nil || !member {
		return err
	}
	r, err := h.s.store.Room(c, roomID)
	if err != nil {
		return err
	}
	if err := h.s.store.Leave(c, roomID, c.UserID()); err != nil {
		return err
	}
	conns, err := userConns(c)
	if err != nil {
		return err
	}
	for _, conn := range conns {
		if err := h.s.exit(c, roomID, conn, c.UserID()); err != nil {
			return err
		}
	}
	if err := h.s.membersChanged(c, roomID, left(c.UserID())); err != nil {
		return err
	}
	if r.Kind != store.KindPublic {
		if err := c.Clients.User(c.UserID()).Send(c, "RoomRemoved", roomID); err != nil {
			return err
		}
	}
	return c.Clients.User(c.UserID()).Send(c, "MembershipChanged", roomID, false)
}

// noRoom is the error for a room that does not exist, or that the caller
// may not know of.
func noRoom(roomID int64) error { return signalr.NewHubError("There is no room %d.", roomID) }

// History returns a page of the messages of a room older than message
// before, oldest first; fewer than a page means the start was reached.
func (h Hub) History(c *signalr.Context, roomID, before int64) ([]store.Message, error) {
	if err := h.s.mustBeMember(c, roomID, c.UserID()); err != nil {
		return nil, err
	}
	return h.s.store.MessagesBefore(c, roomID, before, HistoryPage)
}

// MessagesSince returns the messages of a room newer than message after,
// oldest first, at most MaxCatchUp: what a client missed while away.
func (h Hub) MessagesSince(c *signalr.Context, roomID, after int64) ([]store.Message, error) {
	if err := h.s.mustBeMember(c, roomID, c.UserID()); err != nil {
		return nil, err
	}
	return h.s.store.MessagesAfter(c, roomID, after, MaxCatchUp)
}

// SendMessage posts text to a room as the caller. clientID is the
// sender's id for this message: sending it again, after a lost
// connection, returns the stored message instead of posting a copy.
func (h Hub) SendMessage(c *signalr.Context, roomID int64, text, clientID string) (store.Message, error) {
	m, err := h.newMessage(c, roomID, text, clientID)
	if err != nil {
		return store.Message{}, err
	}
	return h.s.Post(c, m)
}

// newMessage checks what a client sent and makes the message of it.
func (h Hub) newMessage(c *signalr.Context, roomID int64, text, clientID string) (store.Message, error) {
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > MaxTextLength {
		return store.Message{}, signalr.NewHubError("A message has 1 to %d characters.", MaxTextLength)
	}
	if len(clientID) > 64 {
		return store.Message{}, signalr.NewHubError("A client message id has at most 64 bytes.")
	}
	if err := h.s.mustBeMember(c, roomID, c.UserID()); err != nil {
		return store.Message{}, err
	}
	return store.Message{RoomID: roomID, UserID: c.UserID(), UserName: c.User().Name, Text: text, ClientID: clientID}, nil
}

// Typing tells a room's other members that the caller is typing.
func (h Hub) Typing(c *signalr.Context, roomID int64) error {
	if err := h.s.mustBeMember(c, roomID, c.UserID()); err != nil {
		return err
	}
	return c.Clients.OthersInGroup(group(roomID)).Send(c, "UserTyping", roomID, c.UserID(), c.User().Name)
}

// MarkRead records that the caller has read a room up to a message and,
// if that moved their mark forward, tells the room.
func (h Hub) MarkRead(c *signalr.Context, roomID, messageID int64) error {
	if err := h.s.mustBeMember(c, roomID, c.UserID()); err != nil {
		return err
	}
	// Only a message of this room can be read in it.
	ms, err := h.s.store.MessagesAfter(c, roomID, messageID-1, 1)
	if err != nil {
		return err
	}
	if len(ms) == 0 || ms[0].ID != messageID {
		return signalr.NewHubError("There is no message %d in this room.", messageID)
	}
	moved, err := h.s.store.MarkRead(c, roomID, c.UserID(), messageID)
	if err != nil || !moved {
		return err
	}
	read := store.Read{RoomID: roomID, UserID: c.UserID(), UserName: c.User().Name, MessageID: messageID}
	if err := c.Clients.Group(group(roomID)).Send(c, "ReadReceipt", read); err != nil {
		return err
	}
	return h.s.readUpTo(c, roomID, c.UserID())
}
