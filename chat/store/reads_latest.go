package store

import (
	"context"
	"fmt"
)

// LatestReads returns the read marks of a room furthest forward, up to
// limit of them, by name: in a room of thousands, those who read the
// newest messages, the only ones a page shows.
func (s *Store) LatestReads(ctx context.Context, roomID int64, limit int) ([]Read, error) {
	rows, err := s.query(ctx, `SELECT room_id, user_id, name, message_id FROM (
		SELECT r.room_id, r.user_id, u.name, u.name_key, r.message_id
		FROM reads r JOIN users u ON u.id = r.user_id WHERE r.room_id = ?
		ORDER BY r.message_id DESC, u.name_key LIMIT ?) latest ORDER BY name_key`, roomID, max(limit, 0))
	if err != nil {
		return nil, fmt.Errorf("store: reads: %w", err)
	}
	defer rows.Close()
	reads := []Read{}
	for rows.Next() {
		var r Read
		if err := rows.Scan(&r.RoomID, &r.UserID, &r.UserName, &r.MessageID); err != nil {
			return nil, fmt.Errorf("store: reads: %w", err)
		}
		reads = append(reads, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: reads: %w", err)
	}
	return reads, nil
}
