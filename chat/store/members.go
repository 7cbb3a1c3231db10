package store

import (
	"context"
	"fmt"
	"time"
)

// Join makes a user a member of a room; joining again does nothing.
func (s *Store) Join(ctx context.Context, roomID int64, userID string) error {
	_, err := s.exec(ctx, "INSERT INTO members (room_id, user_id, joined_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
		roomID, userID, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("store: join room %d: %w", roomID, err)
	}
	return nil
}

// Leave ends a user's membership of a room; leaving a room one is not
// in does nothing.
func (s *Store) Leave(ctx context.Context, roomID int64, userID string) error {
	if _, err := s.exec(ctx, "DELETE FROM members WHERE room_id = ? AND user_id = ?", roomID, userID); err != nil {
		return fmt.Errorf("store: leave room %d: %w", roomID, err)
	}
	return nil
}

// IsMember reports whether a user is a member of a room.
func (s *Store) IsMember(ctx context.Context, roomID int64, userID string) (bool, error) {
	var n int
	err := s.queryRow(ctx, "SELECT COUNT(*) FROM members WHERE room_id = ? AND user_id = ?", roomID, userID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: membership: %w", err)
	}
	return n > 0, nil
}

// RoomsOf returns the ids of the rooms a user is a member of, ascending.
func (s *Store) RoomsOf(ctx context.Context, userID string) ([]int64, error) {
	rows, err := s.query(ctx, "SELECT room_id FROM members WHERE user_id = ? ORDER BY room_id", userID)
	if err != nil {
		return nil, fmt.Errorf("store: rooms of user: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: rooms of user: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: rooms of user: %w", err)
	}
	return ids, nil
}
