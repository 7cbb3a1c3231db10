package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/signalr-go/signalr/chat/names"
)

// Room is a place where messages are posted. Names are unique by
// names.Key.
type Room struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	CreatedBy string `json:"createdBy"` // user id; "" for the default room
	At        int64  `json:"at"`        // creation, Unix milliseconds
}

// CreateRoom adds a room, returning ErrExists if the name (or one that
// looks the same, names.Key) is taken. The caller validates the name.
func (s *Store) CreateRoom(ctx context.Context, name, createdBy string) (Room, error) {
	r := Room{Name: strings.TrimSpace(name), CreatedBy: createdBy, At: time.Now().UnixMilli()}
	err := s.queryRow(ctx, "INSERT INTO rooms (name, name_key, name_skel, created_by, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
		r.Name, nameKey(r.Name), names.Key(r.Name), r.CreatedBy, r.At).Scan(&r.ID)
	if isUniqueViolation(err) {
		return Room{}, fmt.Errorf("store: room %q: %w", r.Name, ErrExists)
	}
	if err != nil {
		return Room{}, fmt.Errorf("store: create room: %w", err)
	}
	return r, nil
}

// Room returns the room with the id.
func (s *Store) Room(ctx context.Context, id int64) (Room, error) {
	var r Room
	err := s.queryRow(ctx, "SELECT id, name, created_by, created_at FROM rooms WHERE id = ?", id).
		Scan(&r.ID, &r.Name, &r.CreatedBy, &r.At)
	if err != nil {
		return Room{}, fmt.Errorf("store: room %d: %w", id, notFound(err))
	}
	return r, nil
}

// DefaultRoom returns the room every database starts with.
func (s *Store) DefaultRoom(ctx context.Context) (Room, error) {
	var r Room
	err := s.queryRow(ctx, "SELECT id, name, created_by, created_at FROM rooms WHERE name_key = ?", DefaultRoomName).
		Scan(&r.ID, &r.Name, &r.CreatedBy, &r.At)
	if err != nil {
		return Room{}, fmt.Errorf("store: default room: %w", notFound(err))
	}
	return r, nil
}

// Rooms returns every room, oldest first.
func (s *Store) Rooms(ctx context.Context) ([]Room, error) {
	rows, err := s.query(ctx, "SELECT id, name, created_by, created_at FROM rooms ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("store: rooms: %w", err)
	}
	defer rows.Close()
	var rooms []Room
	for rows.Next() {
		var r Room
		if err := rows.Scan(&r.ID, &r.Name, &r.CreatedBy, &r.At); err != nil {
			return nil, fmt.Errorf("store: rooms: %w", err)
		}
		rooms = append(rooms, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: rooms: %w", err)
	}
	return rooms, nil
}
