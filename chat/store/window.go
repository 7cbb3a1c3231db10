package store

import (
	"context"
	"fmt"
)

// Window is a stretch of a room's history around one message.
type Window struct {
	Messages []Message `json:"messages"` // oldest first, the message among them
	HasOlder bool      `json:"hasOlder"` // whether the room has messages before the first
	HasNewer bool      `json:"hasNewer"` // whether it has messages after the last
}

// MessagesAround returns message id of a room with up to n messages on
// each side of it. It returns ErrNotFound if the room has no such
// message.
func (s *Store) MessagesAround(ctx context.Context, roomID, id int64, n int) (Window, error) {
	before, err := s.MessagesBefore(ctx, roomID, id, n+1)
	if err != nil {
		return Window{}, err
	}
	after, err := s.MessagesAfter(ctx, roomID, id-1, n+2)
	if err != nil {
		return Window{}, err
	}
	if len(after) == 0 || after[0].ID != id {
		return Window{}, fmt.Errorf("store: message %d of room %d: %w", id, roomID, ErrNotFound)
	}
	w := Window{HasOlder: len(before) > n, HasNewer: len(after) > n+1}
	if w.HasOlder {
		before = before[1:]
	}
	if w.HasNewer {
		after = after[:n+1]
	}
	w.Messages = append(before, after...)
	return w, nil
}
