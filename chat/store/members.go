package store

import (
	"context"
	"database/sql"
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

// RoomMember is a member of a room.
type RoomMember struct {
	UserID   string `json:"userId"`
	Name     string `json:"name"`
	JoinedAt int64  `json:"joinedAt"` // Unix milliseconds
}

// Members returns the members of a room, by name.
func (s *Store) Members(ctx context.Context, roomID int64) ([]RoomMember, error) {
	rows, err := s.query(ctx, "SELECT m.room_id, u.id, u.name, m.joined_at FROM members m JOIN users u ON u.id = m.user_id "+
		"WHERE m.room_id = ? ORDER BY u.name_key, u.id", roomID)
	if err != nil {
		return nil, fmt.Errorf("store: members of room %d: %w", roomID, err)
	}
	byRoom, err := scanMembers(rows)
	if err != nil {
		return nil, fmt.Errorf("store: members of room %d: %w", roomID, err)
	}
	return byRoom[roomID], nil
}

// scanMembers reads rows of (room id, user id, name, joined at) and
// closes them.
func scanMembers(rows *sql.Rows) (map[int64][]RoomMember, error) {
	defer rows.Close()
	out := make(map[int64][]RoomMember)
	for rows.Next() {
		var id int64
		var m RoomMember
		if err := rows.Scan(&id, &m.UserID, &m.Name, &m.JoinedAt); err != nil {
			return nil, err
		}
		out[id] = append(out[id], m)
	}
	return out, rows.Err()
}

// MemberCount returns how many members a room has.
func (s *Store) MemberCount(ctx context.Context, roomID int64) (int, error) {
	var n int
	if err := s.queryRow(ctx, "SELECT COUNT(*) FROM members WHERE room_id = ?", roomID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: member count of room %d: %w", roomID, err)
	}
	return n, nil
}

// Memberships counts the rooms a user is a member of, conversations
// included (all), and the conversations alone (dms).
func (s *Store) Memberships(ctx context.Context, userID string) (all, dms int, err error) {
	err = s.queryRow(ctx, "SELECT COUNT(*), COALESCE(SUM(CASE WHEN r.kind = ? THEN 1 ELSE 0 END), 0) "+
		"FROM members m JOIN rooms r ON r.id = m.room_id WHERE m.user_id = ?", KindDM, userID).Scan(&all, &dms)
	if err != nil {
		return 0, 0, fmt.Errorf("store: memberships: %w", err)
	}
	return all, dms, nil
}
