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
	// Kind is KindPublic, KindPrivate or KindDM.
	Kind string `json:"kind"`
}

// The kinds of room. Anyone may see and join a public room; a private
// room is seen and entered by its members only, who invite others; a
// conversation (direct messages) is the room of a fixed set of people,
// listed apart from rooms and titled by its members' names.
const (
	KindPublic  = "public"
	KindPrivate = "private"
	KindDM      = "dm"
)

// roomCols are the columns scanRoom reads.
const roomCols = "id, name, created_by, created_at, kind"

type scanner interface{ Scan(dest ...any) error }

func scanRoom(row scanner) (Room, error) {
	var r Room
	err := row.Scan(&r.ID, &r.Name, &r.CreatedBy, &r.At, &r.Kind)
	return r, err
}

// CreateRoom adds a public room, returning ErrExists if the name (or one
// that looks the same, names.Key) is taken. The caller validates the name.
func (s *Store) CreateRoom(ctx context.Context, name, createdBy string) (Room, error) {
	return s.AddRoom(ctx, Room{Name: name, CreatedBy: createdBy, Kind: KindPublic})
}

// AddRoom adds a public or private room named r.Name, created by
// r.CreatedBy, returning ErrExists if the name (or one that looks the
// same) is taken: private rooms share the public ones' names, so that a
// name never means two rooms. Conversations are made by StartConversation.
func (s *Store) AddRoom(ctx context.Context, r Room) (Room, error) {
	if r.Kind != KindPublic && r.Kind != KindPrivate {
		return Room{}, fmt.Errorf("store: create room: kind %q is not public or private", r.Kind)
	}
	r.Name, r.At = strings.TrimSpace(r.Name), time.Now().UnixMilli()
	err := s.queryRow(ctx, "INSERT INTO rooms (name, name_key, name_skel, created_by, created_at, kind) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
		r.Name, nameKey(r.Name), names.Key(r.Name), r.CreatedBy, r.At, r.Kind).Scan(&r.ID)
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
	r, err := scanRoom(s.queryRow(ctx, "SELECT "+roomCols+" FROM rooms WHERE id = ?", id))
	if err != nil {
		return Room{}, fmt.Errorf("store: room %d: %w", id, notFound(err))
	}
	return r, nil
}

// DefaultRoom returns the room every database starts with.
func (s *Store) DefaultRoom(ctx context.Context) (Room, error) {
	r, err := scanRoom(s.queryRow(ctx, "SELECT "+roomCols+" FROM rooms WHERE name_key = ?", DefaultRoomName))
	if err != nil {
		return Room{}, fmt.Errorf("store: default room: %w", notFound(err))
	}
	return r, nil
}

// Rooms returns every room, conversations included, oldest first: the
// status page's list. People see VisibleRooms.
func (s *Store) Rooms(ctx context.Context) ([]Room, error) {
	return s.rooms(ctx, "SELECT "+roomCols+" FROM rooms ORDER BY id")
}

// VisibleRooms returns the rooms a user may see in the room list, oldest
// first: every public room and the private rooms the user is a member
// of; not conversations.
func (s *Store) VisibleRooms(ctx context.Context, userID string) ([]Room, error) {
	return s.rooms(ctx, "SELECT "+roomCols+" FROM rooms WHERE kind = ? OR (kind = ? AND id IN "+
		"(SELECT room_id FROM members WHERE user_id = ?)) ORDER BY id", KindPublic, KindPrivate, userID)
}

func (s *Store) rooms(ctx context.Context, q string, args ...any) ([]Room, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: rooms: %w", err)
	}
	defer rows.Close()
	var rooms []Room
	for rows.Next() {
		r, err := scanRoom(rows)
		if err != nil {
			return nil, fmt.Errorf("store: rooms: %w", err)
		}
		rooms = append(rooms, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: rooms: %w", err)
	}
	return rooms, nil
}
