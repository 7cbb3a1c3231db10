package hub

import (
	"context"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/chat/store"
)

// Reactions are the emoji a message can be reacted with, space-separated.
// A fixed set keeps reactions readable and bounded: a person has at most
// one of each on a message.
const Reactions = "👍 👎 ❤️ 😂 🎉 😮 😢 🙏 👀 ✅"

// The events that tell a room's members a message changed; each carries
// the message as it now is.
const (
	EventEdited    = "MessageEdited"
	EventDeleted   = "MessageDeleted"
	EventReactions = "ReactionsChanged"
)

// EditMessage replaces the text of one of the caller's messages, under
// the rules of SendMessage, and tells the room.
func (h Hub) EditMessage(c *signalr.Context, messageID int64, text string) (store.Message, error) {
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > MaxTextLength {
		return store.Message{}, signalr.NewHubError("A message has 1 to %d characters.", MaxTextLength)
	}
	m, err := h.s.visibleMessage(c, messageID, c.UserID())
	if err != nil {
		return store.Message{}, err
	}
	if m.UserID != c.UserID() {
		return store.Message{}, signalr.NewHubError("Only its author can edit a message.")
	}
	if m, err = h.s.store.EditMessage(c, messageID, c.UserID(), text); err != nil {
		return store.Message{}, gone(err)
	}
	m = h.s.remention(c, m) // mentions.go
	h.s.announce(c, EventEdited, m)
	return m, nil
}

// DeleteMessage deletes a message of the caller, or any message of a room
// the caller owns (created), and tells the room. The text is gone from
// the database; a shared file is gone too, its bytes included.
func (h Hub) DeleteMessage(c *signalr.Context, messageID int64) (store.Message, error) {
	m, err := h.s.visibleMessage(c, messageID, c.UserID())
	if err != nil {
		return store.Message{}, err
	}
	if m.UserID != c.UserID() {
		r, err := h.s.store.Room(c, m.RoomID)
		if err != nil {
			return store.Message{}, err
		}
		// The default room has no owner (CreatedBy is empty), nor has a
		// conversation: CreatedBy is only who started it.
		if r.Kind == store.KindDM || r.CreatedBy == "" || r.CreatedBy != c.UserID() {
			return store.Message{}, signalr.NewHubError("Only its author or the room's owner can delete a message.")
		}
	}
	m, fileID, err := h.s.store.DeleteMessage(c, messageID)
	if err != nil {
		return store.Message{}, gone(err)
	}
	if fileID != "" && h.s.removeFile != nil {
		if err := h.s.removeFile(fileID); err != nil {
			h.s.log.Warn("chat: remove the file of a deleted message", "file", fileID, "err", err)
		}
	}
	m = h.s.remention(c, m) // mentions.go
	h.s.announce(c, EventDeleted, m)
	return m, nil
}

// React adds the caller's reaction (one of Reactions) to a message and
// tells the room; reacting again with the same emoji changes nothing.
func (h Hub) React(c *signalr.Context, messageID int64, emoji string) (store.Message, error) {
	return h.react(c, messageID, emoji, h.s.store.React)
}

// Unreact takes the caller's reaction off a message and tells the room.
func (h Hub) Unreact(c *signalr.Context, messageID int64, emoji string) (store.Message, error) {
	return h.react(c, messageID, emoji, h.s.store.Unreact)
}

func (h Hub) react(c *signalr.Context, messageID int64, emoji string,
	change func(ctx context.Context, messageID int64, userID, emoji string) (bool, error)) (store.Message, error) {
	if !slices.Contains(strings.Fields(Reactions), emoji) {
		return store.Message{}, signalr.NewHubError("A reaction is one of %s.", Reactions)
	}
	m, err := h.s.visibleMessage(c, messageID, c.UserID())
	if err != nil {
		return store.Message{}, err
	}
	if m.Deleted {
		return store.Message{}, gone(store.ErrDeleted)
	}
	changed, err := change(c, messageID, c.UserID(), emoji)
	if err != nil {
		return store.Message{}, gone(err)
	}
	if !changed {
		return m, nil
	}
	if m, err = h.s.store.Message(c, messageID); err != nil {
		return store.Message{}, err
	}
	h.s.announce(c, EventReactions, m)
	return m, nil
}

// gone turns the store's answer for a deleted message into the client's.
func gone(err error) error {
	if errors.Is(err, store.ErrDeleted) {
		return signalr.NewHubError("This message was deleted.")
	}
	return err
}

// visibleMessage returns a message of a room the user is a member of.
// Any other message is answered as a missing one, so that ids cannot be
// probed.
func (s *Service) visibleMessage(ctx context.Context, messageID int64, userID string) (store.Message, error) {
	none := signalr.NewHubError("There is no message %d.", messageID)
	m, err := s.store.Message(ctx, messageID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Message{}, none
	}
	if err != nil {
		return store.Message{}, err
	}
	ok, err := s.store.IsMember(ctx, m.RoomID, userID)
	if err != nil {
		return store.Message{}, err
	}
	if !ok {
		return store.Message{}, none
	}
	return m, nil
}

// announce sends a changed message to its room's connected members. The
// change is stored: a failed broadcast is logged, and the clients catch
// up at the next resync, as with Post.
func (s *Service) announce(ctx context.Context, event string, m store.Message) {
	if err := s.srv.Clients().Group(group(m.RoomID)).Send(ctx, event, m); err != nil {
		s.lost.Store(true)
		s.log.Warn("chat: broadcast a changed message", "room", m.RoomID, "event", event, "err", err)
	}
}
