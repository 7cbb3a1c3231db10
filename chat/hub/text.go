package hub

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/chat/store"
)

// Limits of replies, windows and searches.
const (
	AroundPage     = 25  // messages on each side of the one MessagesAround shows
	MaxQueryLength = 200 // characters of a search query
	SearchPage     = 50  // results of one search
)

// SendReply posts text to a room as the caller, in answer to message
// replyTo of the same room; clientID is as for SendMessage.
func (h Hub) SendReply(c *signalr.Context, roomID int64, text, clientID string, replyTo int64) (store.Message, error) {
	m, err := h.newMessage(c, roomID, text, clientID)
	if err != nil {
		return store.Message{}, err
	}
	orig, err := h.s.store.Message(c, replyTo)
	if errors.Is(err, store.ErrNotFound) || (err == nil && orig.RoomID != roomID) {
		// The same answer either way: the caller learns nothing of
		// other rooms.
		return store.Message{}, signalr.NewHubError("There is no message %d in this room to reply to.", replyTo)
	}
	if err != nil {
		return store.Message{}, err
	}
	m.ReplyTo = orig.Quote()
	return h.s.Post(c, m)
}

// MessagesAround returns the messages of a room around one of them, so
// that the page can show it in context (a search result, a quoted
// message): up to AroundPage on each side.
func (h Hub) MessagesAround(c *signalr.Context, roomID, messageID int64) (store.Window, error) {
	if err := h.s.mustBeMember(c, roomID, c.UserID()); err != nil {
		return store.Window{}, err
	}
	w, err := h.s.store.MessagesAround(c, roomID, messageID, AroundPage)
	if errors.Is(err, store.ErrNotFound) {
		return store.Window{}, signalr.NewHubError("There is no message %d in this room.", messageID)
	}
	return w, err
}

// Search finds, newest first, up to SearchPage messages holding every
// word of query in the rooms and conversations the caller is a member
// of, within Options.SearchTime.
func (h Hub) Search(c *signalr.Context, query string) ([]store.SearchHit, error) {
	query = strings.TrimSpace(query)
	if query == "" || utf8.RuneCountInString(query) > MaxQueryLength {
		return nil, signalr.NewHubError("A search has 1 to %d characters.", MaxQueryLength)
	}
	ctx, cancel := context.WithTimeout(c, h.s.searchTime)
	defer cancel()
	hits, err := h.s.store.Search(ctx, c.UserID(), query, SearchPage)
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, signalr.NewHubError("This search takes too long: add a rarer word.")
	}
	return hits, err
}
