package hub

import (
	"errors"
	"slices"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/chat/store"
)

// StartConversation returns the conversation of the caller and the people
// named, creating it if there is none: a set of people has one
// conversation, whoever starts it. Its members are the caller and 1 to
// Limits.MaxConversationSize-1 others. A new conversation appears at once
// in every member's list (ConversationStarted). Each member sees it named
// after the others. Those of the set who left it come back, as to a new
// one, within their limits.
func (h Hub) StartConversation(c *signalr.Context, people []string) (store.Conversation, error) {
	most := h.s.limits.MaxConversationSize - 1
	if len(people) == 0 || len(people) > most {
		return store.Conversation{}, signalr.NewHubError("A conversation is between you and 1 to %d others; %d names were given.", most, len(people))
	}
	ids := []string{c.UserID()}
	byID := map[string]string{c.UserID(): c.User().Name}
	for _, name := range people {
		u, err := h.s.userNamed(c, name)
		if err != nil {
			return store.Conversation{}, err
		}
		if !slices.Contains(ids, u.ID) {
			ids = append(ids, u.ID)
			byID[u.ID] = u.Name
		}
	}
	if len(ids) == 1 {
		return store.Conversation{}, signalr.NewHubError("Name someone other than yourself.")
	}
	if r, err := h.s.store.ConversationOf(c, ids); err == nil {
		return h.s.rejoin(c, r, ids, byID)
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.Conversation{}, err
	}
	if err := h.s.roomForAll(c, ids, byID); err != nil {
		return store.Conversation{}, err
	}
	r, created, err := h.s.store.StartConversation(c, c.UserID(), ids)
	if err != nil {
		return store.Conversation{}, err
	}
	if created {
		for _, id := range ids {
			if err := h.s.announceConversation(c, r, Member{UserID: id, Name: byID[id]}); err != nil {
				return store.Conversation{}, err
			}
		}
	}
	return h.s.conversation(c, r, c.UserID())
}

// roomForAll returns a hub error unless each of ids (their names in byID)
// may be in one more conversation.
func (s *Service) roomForAll(c *signalr.Context, ids []string, byID map[string]string) error {
	for _, id := range ids {
		name := byID[id]
		if id == c.UserID() {
			name = ""
		}
		if err := s.roomForOneMore(c, id, name, true); err != nil {
			return err
		}
	}
	return nil
}

// rejoin returns the existing conversation of ids, bringing back those
// of them who left it, as if it were new to them.
func (s *Service) rejoin(c *signalr.Context, r store.Room, ids []string, byID map[string]string) (store.Conversation, error) {
	ms, err := s.store.Members(c, r.ID)
	if err != nil {
		return store.Conversation{}, err
	}
	var back []string
	for _, id := range ids {
		if !slices.ContainsFunc(ms, func(m store.RoomMember) bool { return m.UserID == id }) {
			back = append(back, id)
		}
	}
	if len(back) == 0 {
		return s.conversation(c, r, c.UserID())
	}
	if err := s.roomForAll(c, back, byID); err != nil {
		return store.Conversation{}, err
	}
	for _, id := range back {
		if err := s.store.Join(c, r.ID, id); err != nil {
			return store.Conversation{}, err
		}
	}
	for _, id := range back {
		who := Member{UserID: id, Name: byID[id]}
		if err := s.announceConversation(c, r, who); err != nil {
			return store.Conversation{}, err
		}
		if err := s.membersChanged(c, r.ID, joined(r, who, false)); err != nil {
			return store.Conversation{}, err
		}
	}
	return s.conversation(c, r, c.UserID())
}

// Conversations returns the caller's conversations, oldest first, each
// named after its other members.
func (h Hub) Conversations(c *signalr.Context) ([]store.Conversation, error) {
	cs, err := h.s.store.Conversations(c, c.UserID())
	if err != nil {
		return nil, err
	}
	for i := range cs {
		cs[i].Name = title(cs[i].Members, c.UserID())
	}
	if cs == nil {
		cs = []store.Conversation{}
	}
	return cs, nil
}

// conversation returns a conversation with its members, as userID sees it.
func (s *Service) conversation(c *signalr.Context, r store.Room, userID string) (store.Conversation, error) {
	ms, err := s.store.Members(c, r.ID)
	if err != nil {
		return store.Conversation{}, err
	}
	r.Name = title(ms, userID)
	return store.Conversation{Room: r, Members: ms}, nil
}

// announceConversation brings a member's connections into a new
// conversation and tells their pages of it.
func (s *Service) announceConversation(c *signalr.Context, r store.Room, who Member) error {
	var extra []string
	if who.UserID == c.UserID() {
		extra = []string{c.ConnectionID()}
	}
	if err := s.enterAll(c, r.ID, who, extra...); err != nil {
		return err
	}
	conv, err := s.conversation(c, r, who.UserID)
	if err != nil {
		return err
	}
	return c.Clients.User(who.UserID).Send(c, "ConversationStarted", conv)
}
