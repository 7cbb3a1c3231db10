package hub

import (
	"context"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/chat/store"
)

// Unread returns where the caller stands in each room they are a member
// of (direct conversations included): how many messages of others came
// after their read mark, how many of those mention them, the first of
// them. A page shows it after (re)connecting and keeps it up to date
// from MessageReceived and ReadUpTo.
func (h Hub) Unread(c *signalr.Context) ([]store.Unread, error) {
	return h.s.store.Unread(c, c.UserID())
}

// readUpTo tells every connection of a user where they now stand in a
// room, after their read mark moved: their other tabs and devices clear
// the room's counts.
func (s *Service) readUpTo(ctx context.Context, roomID int64, userID string) error {
	u, err := s.store.UnreadIn(ctx, roomID, userID)
	if err != nil {
		return err
	}
	return s.srv.Clients().User(userID).Send(ctx, "ReadUpTo", u)
}
