package store

import (
	"context"
	"fmt"
)

// Read is how far a user has read in a room.
type Read struct {
	RoomID    int64  `json:"roomId"`
	UserID    string `json:"userId"`
	UserName  string `json:"userName"`
	MessageID int64  `json:"messageId"` // the last message read
}

// MarkRead records that a user has read a room up to messageID. The mark
// only moves forward: it reports false, changing nothing, when the user
// had already read that far.
func (s *Store) MarkRead(ctx context.Context, roomID int64, userID string, messageID int64) (bool, error) {
	res, err := s.exec(ctx, `INSERT INTO reads (room_id, user_id, message_id) VALUES (?, ?, ?)
		ON CONFLICT (room_id, user_id) DO UPDATE SET message_id = excluded.message_id
		WHERE reads.message_id < excluded.message_id`, roomID, userID, messageID)
	if err != nil {
		return false, fmt.Errorf("store: mark read: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: mark read: %w", err)
	}
	return n > 0, nil
}
