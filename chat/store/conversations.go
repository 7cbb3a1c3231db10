package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Conversation is a room of kind KindDM and its members.
type Conversation struct {
	Room
	Members []RoomMember `json:"members"`
}

// dmKey is the name key of the conversation of a set of people: "\x01dm:"
// and their sorted ids. The rooms' unique name_key (and name_skel) so
// make a set's conversation unique, and no room name can take it: room
// names have no control characters (package names).
func dmKey(userIDs []string) string {
	ids := slices.Clone(userIDs)
	slices.Sort(ids)
	return "\x01dm:" + strings.Join(slices.Compact(ids), ",")
}

// ConversationOf returns the conversation of exactly the users userIDs
// (in any order, repeats ignored), or ErrNotFound.
func (s *Store) ConversationOf(ctx context.Context, userIDs []string) (Room, error) {
	r, err := scanRoom(s.queryRow(ctx, "SELECT "+roomCols+" FROM rooms WHERE name_key = ? AND kind = ?", dmKey(userIDs), KindDM))
	if err != nil {
		return Room{}, fmt.Errorf("store: conversation: %w", notFound(err))
	}
	return r, nil
}

// StartConversation returns the conversation of exactly the users
// userIDs, creating it, with all of them as members, if there is none
// (created reports which). createdBy is recorded as its creator. The
// caller checks that the users exist.
func (s *Store) StartConversation(ctx context.Context, createdBy string, userIDs []string) (r Room, created bool, err error) {
	r, err = s.ConversationOf(ctx, userIDs)
	if !errors.Is(err, ErrNotFound) {
		return r, false, err
	}
	r, err = s.createConversation(ctx, createdBy, userIDs)
	if errors.Is(err, ErrExists) { // started at the same moment by someone else
		r, err = s.ConversationOf(ctx, userIDs)
		return r, false, err
	}
	return r, err == nil, err
}

func (s *Store) createConversation(ctx context.Context, createdBy string, userIDs []string) (Room, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Room{}, fmt.Errorf("store: start conversation: %w", err)
	}
	defer tx.Rollback()
	key := dmKey(userIDs)
	r := Room{CreatedBy: createdBy, At: time.Now().UnixMilli(), Kind: KindDM}
	err = tx.QueryRowContext(ctx, s.d.rebind("INSERT INTO rooms (name, name_key, name_skel, created_by, created_at, kind) VALUES (?, ?, ?, ?, ?, ?) RETURNING id"),
		"", key, key, createdBy, r.At, KindDM).Scan(&r.ID)
	if isUniqueViolation(err) {
		return Room{}, fmt.Errorf("store: start conversation: %w", ErrExists)
	}
	if err != nil {
		return Room{}, fmt.Errorf("store: start conversation: %w", err)
	}
	ids := slices.Clone(userIDs)
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		if _, err := tx.ExecContext(ctx, s.d.rebind("INSERT INTO members (room_id, user_id, joined_at) VALUES (?, ?, ?)"), r.ID, id, r.At); err != nil {
			return Room{}, fmt.Errorf("store: start conversation: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return Room{}, fmt.Errorf("store: start conversation: %w", err)
	}
	return r, nil
}

// Conversations returns the conversations a user is a member of, with
// their members (by name), oldest first.
func (s *Store) Conversations(ctx context.Context, userID string) ([]Conversation, error) {
	rooms, err := s.rooms(ctx, "SELECT "+roomCols+" FROM rooms WHERE kind = ? AND id IN "+
		"(SELECT room_id FROM members WHERE user_id = ?) ORDER BY id", KindDM, userID)
	if err != nil || len(rooms) == 0 {
		return nil, err
	}
	rows, err := s.query(ctx, "SELECT m.room_id, u.id, u.name, m.joined_at FROM members m JOIN users u ON u.id = m.user_id "+
		"WHERE m.room_id IN (SELECT mm.room_id FROM members mm JOIN rooms r ON r.id = mm.room_id WHERE mm.user_id = ? AND r.kind = ?) "+
		"ORDER BY u.name_key, u.id", userID, KindDM)
	if err != nil {
		return nil, fmt.Errorf("store: conversations: %w", err)
	}
	byRoom, err := scanMembers(rows)
	if err != nil {
		return nil, fmt.Errorf("store: conversations: %w", err)
	}
	out := make([]Conversation, len(rooms))
	for i, r := range rooms {
		out[i] = Conversation{Room: r, Members: byRoom[r.ID]}
	}
	return out, nil
}
