package store

import (
	"context"
	"fmt"
)

// UnreadCap bounds each count of [Unread]: a room with more unread
// messages (or mentions) than that reports UnreadCap, "that many or
// more", so that counting never walks a long history.
const UnreadCap = 100

// Unread is where a person stands in a room they are a member of.
type Unread struct {
	RoomID   int64 `json:"roomId"`
	LastRead int64 `json:"lastRead"` // the person's read mark; 0: none
	// Unread counts the messages after the read mark written by others,
	// deleted ones left out.
	Unread int `json:"unread"`
	// Mentions counts those of them that mention the person.
	Mentions int `json:"mentions"`
	// FirstUnread is the id of the oldest of them; 0: none.
	FirstUnread int64 `json:"firstUnread"`
	// Latest is the id of the room's newest message when counted: a
	// client adds to the counts only the messages it receives after it.
	Latest int64 `json:"latest"`
}

// unreadQuery counts, per room of a user, what came after their read
// mark. Each subquery walks the index in id order and stops early (ORDER
// BY with LIMIT), and the user is a parameter rather than mb.user_id: with
// either missing, PostgreSQL's plan reads every unread row. Parameters:
// user, cap, cap, user, user.
const unreadQuery = `SELECT mb.room_id, COALESCE(r.message_id, 0),
	(SELECT COUNT(*) FROM (SELECT 1 FROM messages m WHERE m.room_id = mb.room_id
		AND m.id > COALESCE(r.message_id, 0) AND m.user_id <> ? AND m.deleted_at = 0 ORDER BY m.id LIMIT ?) u),
	(SELECT COUNT(*) FROM (SELECT 1 FROM mentions x WHERE x.user_id = mb.user_id AND x.room_id = mb.room_id
		AND x.message_id > COALESCE(r.message_id, 0) ORDER BY x.message_id LIMIT ?) n),
	COALESCE((SELECT m.id FROM messages m WHERE m.room_id = mb.room_id
		AND m.id > COALESCE(r.message_id, 0) AND m.user_id <> ? AND m.deleted_at = 0 ORDER BY m.id LIMIT 1), 0),
	COALESCE((SELECT MAX(m.id) FROM messages m WHERE m.room_id = mb.room_id), 0)
	FROM members mb LEFT JOIN reads r ON r.room_id = mb.room_id AND r.user_id = mb.user_id
	WHERE mb.user_id = ?`

// Unread returns where a user stands in each room they are a member of,
// by room id.
func (s *Store) Unread(ctx context.Context, userID string) ([]Unread, error) {
	return s.unread(ctx, unreadQuery+" ORDER BY mb.room_id", userID, UnreadCap, UnreadCap, userID, userID)
}

// UnreadIn returns where a user stands in one room, ErrNotFound if they
// are not a member of it.
func (s *Store) UnreadIn(ctx context.Context, roomID int64, userID string) (Unread, error) {
	us, err := s.unread(ctx, unreadQuery+" AND mb.room_id = ?", userID, UnreadCap, UnreadCap, userID, userID, roomID)
	if err != nil {
		return Unread{}, err
	}
	if len(us) == 0 {
		return Unread{}, fmt.Errorf("store: unread of room %d: %w", roomID, ErrNotFound)
	}
	return us[0], nil
}

func (s *Store) unread(ctx context.Context, q string, args ...any) ([]Unread, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: unread: %w", err)
	}
	defer rows.Close()
	us := []Unread{}
	for rows.Next() {
		var u Unread
		if err := rows.Scan(&u.RoomID, &u.LastRead, &u.Unread, &u.Mentions, &u.FirstUnread, &u.Latest); err != nil {
			return nil, fmt.Errorf("store: unread: %w", err)
		}
		us = append(us, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: unread: %w", err)
	}
	return us, nil
}
