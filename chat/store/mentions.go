package store

import (
	"context"
	"fmt"
	"strings"
)

// Mention is a member of a room named in one of its messages with
// "@name", never its author. Which names mention whom is the hub's rule;
// the store keeps the result so that mention counts and highlights
// survive a reload.
type Mention struct {
	UserID string `json:"userId"`
	// Text is the name as the message writes it, after the "@": what a
	// page highlights.
	Text string `json:"text"`
}

// MembersByKey returns, of the name keys given (package names' Key),
// those that name a member of a room, mapped to the member's user id.
func (s *Store) MembersByKey(ctx context.Context, roomID int64, keys []string) (map[string]string, error) {
	found := make(map[string]string)
	if len(keys) == 0 {
		return found, nil
	}
	args := []any{roomID}
	for _, k := range keys {
		args = append(args, k)
	}
	rows, err := s.query(ctx, `SELECT u.name_skel, u.id FROM users u JOIN members m ON m.user_id = u.id AND m.room_id = ?
		WHERE u.name_skel IN (?`+strings.Repeat(", ?", len(keys)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: members by name: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, id string
		if err := rows.Scan(&key, &id); err != nil {
			return nil, fmt.Errorf("store: members by name: %w", err)
		}
		found[key] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: members by name: %w", err)
	}
	return found, nil
}

// AddMentions records who a stored message mentions. Recording one
// again changes nothing.
func (s *Store) AddMentions(ctx context.Context, m Message, mentions []Mention) error {
	if len(mentions) == 0 {
		return nil
	}
	var args []any
	for _, x := range mentions {
		args = append(args, m.ID, m.RoomID, x.UserID, x.Text)
	}
	values := strings.Repeat(", (?, ?, ?, ?)", len(mentions))[2:]
	if _, err := s.exec(ctx, "INSERT INTO mentions (message_id, room_id, user_id, text) VALUES "+values+
		" ON CONFLICT DO NOTHING", args...); err != nil {
		return fmt.Errorf("store: add mentions of message %d: %w", m.ID, err)
	}
	return nil
}

// SetMentions replaces who a message mentions: after an edit, the new
// text's mentions; after a deletion, none.
func (s *Store) SetMentions(ctx context.Context, m Message, mentions []Mention) error {
	if _, err := s.exec(ctx, "DELETE FROM mentions WHERE message_id = ?", m.ID); err != nil {
		return fmt.Errorf("store: set mentions of message %d: %w", m.ID, err)
	}
	return s.AddMentions(ctx, m, mentions)
}

// loadMentions fills in the mentions of messages (at most a page or a
// catch-up's worth), in one query.
func (s *Store) loadMentions(ctx context.Context, ms []Message) error {
	if len(ms) == 0 {
		return nil
	}
	at := make(map[int64]int, len(ms))
	args := make([]any, len(ms))
	for i, m := range ms {
		at[m.ID] = i
		args[i] = m.ID
	}
	rows, err := s.query(ctx, "SELECT message_id, user_id, text FROM mentions WHERE message_id IN (?"+
		strings.Repeat(", ?", len(ms)-1)+") ORDER BY message_id, text, user_id", args...)
	if err != nil {
		return fmt.Errorf("store: mentions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var x Mention
		if err := rows.Scan(&id, &x.UserID, &x.Text); err != nil {
			return fmt.Errorf("store: mentions: %w", err)
		}
		if i, ok := at[id]; ok {
			ms[i].Mentions = append(ms[i].Mentions, x)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: mentions: %w", err)
	}
	return nil
}
