package hub

import (
	"errors"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/chat/names"
	"github.com/signalr-go/signalr/chat/store"
)

// RoomOptions are the choices of CreateRoomWith.
type RoomOptions struct {
	// Private rooms are listed to, and entered by, their members only;
	// members invite others.
	Private bool `json:"private"`
}

// CreateRoomWith creates a room as CreateRoom does, private if asked: then
// only the caller hears of it, and it exists for no one else until they
// invite them.
func (h Hub) CreateRoomWith(c *signalr.Context, name string, opts RoomOptions) (store.Room, error) {
	kind := store.KindPublic
	if opts.Private {
		kind = store.KindPrivate
	}
	return h.create(c, name, kind)
}

// InviteToRoom makes the person named a member of a room the caller is a
// member of: their connections enter it, and their pages list it at once
// (RoomAdded). Inviting a member again does nothing. A conversation takes
// no one in: a new set of people is a new conversation.
func (h Hub) InviteToRoom(c *signalr.Context, roomID int64, name string) (store.RoomMember, error) {
	if err := h.s.mustBeMember(c, roomID, c.UserID()); err != nil {
		return store.RoomMember{}, err
	}
	r, err := h.s.store.Room(c, roomID)
	if err != nil {
		return store.RoomMember{}, err
	}
	if r.Kind == store.KindDM {
		return store.RoomMember{}, signalr.NewHubError("No one joins a conversation: start one with everyone instead.")
	}
	u, err := h.s.userNamed(c, name)
	if err != nil {
		return store.RoomMember{}, err
	}
	m := store.RoomMember{UserID: u.ID, Name: u.Name}
	if ok, err := h.s.store.IsMember(c, roomID, u.ID); err != nil || ok {
		return m, err
	}
	if err := h.s.roomForOneMore(c, u.ID, u.Name, false); err != nil {
		return store.RoomMember{}, err
	}
	if err := h.s.store.Join(c, roomID, u.ID); err != nil {
		return store.RoomMember{}, err
	}
	if err := h.s.enterAll(c, roomID, Member{UserID: u.ID, Name: u.Name}); err != nil {
		return store.RoomMember{}, err
	}
	to := c.Clients.User(u.ID)
	if err := to.Send(c, "RoomAdded", RoomInfo{Room: r, Joined: true}); err != nil {
		return store.RoomMember{}, err
	}
	if err := to.Send(c, "MembershipChanged", roomID, true); err != nil {
		return store.RoomMember{}, err
	}
	return m, h.s.membersChanged(c, roomID, joined(r, Member{UserID: u.ID, Name: u.Name}, false))
}

// RemoveFromRoom ends a member's membership of a private room: only its
// owner (its creator) may. The member's connections leave the room at
// once and their pages drop it (MembershipChanged, RoomRemoved).
func (h Hub) RemoveFromRoom(c *signalr.Context, roomID int64, userID string) error {
	if err := h.s.mustBeMember(c, roomID, c.UserID()); err != nil {
		return err
	}
	r, err := h.s.store.Room(c, roomID)
	if err != nil {
		return err
	}
	switch {
	case r.Kind != store.KindPrivate:
		return signalr.NewHubError("Only a private room's members can be removed: anyone may join a public room, and a conversation is its set of people.")
	case r.CreatedBy != c.UserID():
		return signalr.NewHubError("Only the room's owner, who created it, removes members.")
	case userID == c.UserID():
		return signalr.NewHubError("To leave the room, leave it.")
	}
	if ok, err := h.s.store.IsMember(c, roomID, userID); err != nil || !ok {
		if err == nil {
			err = signalr.NewHubError("That person is not a member of this room.")
		}
		return err
	}
	if err := h.s.expel(c, roomID, userID); err != nil {
		return err
	}
	return h.s.membersChanged(c, roomID, left(userID))
}

// userNamed returns the user with a name, or a hub error saying there is
// none.
func (s *Service) userNamed(c *signalr.Context, name string) (store.User, error) {
	n, err := names.User(name)
	if err != nil {
		return store.User{}, signalr.NewHubError("%s", names.Explain(err))
	}
	u, err := s.store.UserByName(c, n)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, signalr.NewHubError("There is nobody named %q.", n)
	}
	return u, err
}
