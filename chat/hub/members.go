package hub

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/chat/store"
)

// MemberInfo is a member of a room as its member list shows them.
type MemberInfo struct {
	store.RoomMember
	Online bool `json:"online"` // has a connection in the room now
	Owner  bool `json:"owner"`  // created the room, and may remove members
}

// MaxListedMembers bounds the member list of a room RoomMembers returns:
// a public room may have any number of members.
const MaxListedMembers = 200

// MaxListedReads bounds the read marks JoinRoom returns, those furthest
// forward: a page shows the readers of the newest messages.
const MaxListedReads = 100

// RoomMembers returns the members of a room, by name, the first
// MaxListedMembers of them, with who is online in it now; members only.
func (h Hub) RoomMembers(c *signalr.Context, roomID int64) ([]MemberInfo, error) {
	if err := h.s.mustBeMember(c, roomID, c.UserID()); err != nil {
		return nil, err
	}
	r, err := h.s.store.Room(c, roomID)
	if err != nil {
		return nil, err
	}
	ms, err := h.s.store.FirstMembers(c, roomID, MaxListedMembers)
	if err != nil {
		return nil, err
	}
	online, err := h.s.pres.members(c, roomID)
	if err != nil {
		h.s.log.Warn("chat: presence of a room, this server's part only", "room", roomID, "err", err)
	}
	out := make([]MemberInfo, len(ms))
	for i, m := range ms {
		out[i] = MemberInfo{RoomMember: m, Owner: r.Kind != store.KindDM && m.UserID == r.CreatedBy,
			Online: slices.ContainsFunc(online, func(o Member) bool { return o.UserID == m.UserID })}
	}
	return out, nil
}

// roomForOneMore returns a hub error if a user may not become a member of
// one more room (a conversation when dm). name is the user's name when
// the user is not the caller.
func (s *Service) roomForOneMore(ctx context.Context, userID, name string, dm bool) error {
	all, dms, err := s.store.Memberships(ctx, userID)
	if err != nil {
		return err
	}
	who, be := "You are", "leave one first"
	if name != "" {
		who, be = name+" is", "they have to leave one first"
	}
	if all >= s.limits.MaxMemberships {
		return signalr.NewHubError("%s in %d rooms and conversations, the most one person may be in: %s.", who, all, be)
	}
	if dm && dms >= s.limits.MaxConversations {
		return signalr.NewHubError("%s in %d conversations, the most one person may have.", who, dms)
	}
	return nil
}

// titled returns a room as a user sees it: a conversation is named after
// its other members.
func (s *Service) titled(ctx context.Context, r store.Room, userID string) (store.Room, error) {
	if r.Kind != store.KindDM {
		return r, nil
	}
	ms, err := s.store.Members(ctx, r.ID)
	if err != nil {
		return store.Room{}, err
	}
	r.Name = title(ms, userID)
	return r, nil
}

// title names a conversation for one of its members: the others' names.
func title(ms []store.RoomMember, userID string) string {
	var others []string
	for _, m := range ms {
		if m.UserID != userID {
			others = append(others, m.Name)
		}
	}
	return strings.Join(others, ", ")
}

// MembersChange is how a room's member list changed: who joined, the ids
// of who left.
type MembersChange struct {
	Joined []MemberInfo `json:"joined"`
	Left   []string     `json:"left"`
}

// membersChanged tells a room's connected members how its member list
// changed. The change itself, not a call to fetch the list again: one
// person joining and leaving in a loop would make every member fetch
// every member, each time.
func (s *Service) membersChanged(ctx context.Context, roomID int64, ch MembersChange) error {
	if ch.Joined == nil {
		ch.Joined = []MemberInfo{}
	}
	if ch.Left == nil {
		ch.Left = []string{}
	}
	return s.srv.Clients().Group(group(roomID)).Send(ctx, "MembersChanged", roomID, ch)
}

// joined is the change of a room that one person joined; online when
// they have a connection in it already.
func joined(r store.Room, who Member, online bool) MembersChange {
	return MembersChange{Joined: []MemberInfo{{
		RoomMember: store.RoomMember{UserID: who.UserID, Name: who.Name, JoinedAt: time.Now().UnixMilli()},
		Online:     online,
		Owner:      r.Kind != store.KindDM && r.CreatedBy == who.UserID,
	}}}
}

// left is the change of a room that people left.
func left(userIDs ...string) MembersChange { return MembersChange{Left: userIDs} }

// enterAll brings every connection of a user, on any server, into a
// room's group; extra are connections of theirs the lifetime manager may
// not list yet (the caller's own).
func (s *Service) enterAll(ctx context.Context, roomID int64, who Member, extra ...string) error {
	conns, err := s.srv.UserConnections(ctx, who.UserID)
	if err != nil {
		return err
	}
	for _, c := range extra {
		if !slices.Contains(conns, c) {
			conns = append(conns, c)
		}
	}
	for _, conn := range conns {
		if err := s.enter(ctx, roomID, who, conn); err != nil && !errors.Is(err, signalr.ErrConnectionNotFound) {
			return err
		}
	}
	return nil
}

// expel ends a user's membership of a room at once: every connection of
// theirs leaves its group, so that nothing more of the room reaches
// them, and their pages drop the room (RoomRemoved).
func (s *Service) expel(ctx context.Context, roomID int64, userID string) error {
	if err := s.store.Leave(ctx, roomID, userID); err != nil {
		return err
	}
	conns, err := s.srv.UserConnections(ctx, userID)
	if err != nil {
		return err
	}
	for _, conn := range conns {
		if err := s.exit(ctx, roomID, conn, userID); err != nil {
			return err
		}
	}
	to := s.srv.Clients().User(userID)
	if err := to.Send(ctx, "MembershipChanged", roomID, false); err != nil {
		return err
	}
	return to.Send(ctx, "RoomRemoved", roomID)
}
