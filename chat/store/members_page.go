package store

import (
	"context"
	"fmt"
)

// FirstMembers returns up to limit members of a room, by name: a page of
// a room that anyone may join, which may have any number of them.
func (s *Store) FirstMembers(ctx context.Context, roomID int64, limit int) ([]RoomMember, error) {
	rows, err := s.query(ctx, "SELECT m.room_id, u.id, u.name, m.joined_at FROM members m JOIN users u ON u.id = m.user_id "+
		"WHERE m.room_id = ? ORDER BY u.name_key, u.id LIMIT ?", roomID, max(limit, 0))
	if err != nil {
		return nil, fmt.Errorf("store: members of room %d: %w", roomID, err)
	}
	byRoom, err := scanMembers(rows)
	if err != nil {
		return nil, fmt.Errorf("store: members of room %d: %w", roomID, err)
	}
	return byRoom[roomID], nil
}
