package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Reaction is one emoji on a message: how many reacted with it, and the
// first MaxReactors of them. Every change of a message goes to everyone
// in its room: listing all of a big room's people under each emoji would
// make each reaction cost the room's size squared.
type Reaction struct {
	Emoji string    `json:"emoji"`
	Count int       `json:"count"`
	Users []Reactor `json:"users"`
}

// MaxReactors bounds the people a Reaction lists.
const MaxReactors = 20

// Reactor is a person who reacted.
type Reactor struct {
	UserID string `json:"userId"`
	Name   string `json:"name"`
}

// React adds a user's reaction to a message; reacting twice with the same
// emoji does nothing. It reports whether the reaction is new, and returns
// ErrDeleted for a deleted (or missing) message. The caller validates the
// emoji.
func (s *Store) React(ctx context.Context, messageID int64, userID, emoji string) (bool, error) {
	// The message's existence is checked in the same statement, so a
	// reaction never outlives a deletion that ran meanwhile. The casts
	// type the parameters for PostgreSQL, which cannot infer them here.
	res, err := s.exec(ctx, `INSERT INTO reactions (message_id, user_id, emoji, created_at)
		SELECT CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT) WHERE EXISTS (SELECT 1 FROM messages WHERE id = ? AND deleted_at = 0)
		ON CONFLICT DO NOTHING`, messageID, userID, emoji, time.Now().UnixMilli(), messageID)
	if err != nil {
		return false, fmt.Errorf("store: react: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return n == 1, err
	}
	m, err := s.Message(ctx, messageID)
	if err != nil {
		return false, err
	}
	if m.Deleted {
		return false, fmt.Errorf("store: react to message %d: %w", messageID, ErrDeleted)
	}
	return false, nil
}

// Unreact removes a user's reaction from a message, reporting whether
// there was one.
func (s *Store) Unreact(ctx context.Context, messageID int64, userID, emoji string) (bool, error) {
	res, err := s.exec(ctx, "DELETE FROM reactions WHERE message_id = ? AND user_id = ? AND emoji = ?", messageID, userID, emoji)
	if err != nil {
		return false, fmt.Errorf("store: unreact: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: unreact: %w", err)
	}
	return n > 0, nil
}

// addReactions fills in the reactions of ms with one query for all of
// them: each emoji in the order it was first used, its people in the
// order they reacted.
func (s *Store) addReactions(ctx context.Context, ms []Message) error {
	if len(ms) == 0 {
		return nil
	}
	at := make(map[int64]*Message, len(ms))
	args := make([]any, len(ms))
	for i := range ms {
		at[ms[i].ID] = &ms[i]
		args[i] = ms[i].ID
	}
	marks := strings.Repeat("?, ", len(ms)-1) + "?"
	rows, err := s.query(ctx, `SELECT r.message_id, r.emoji, r.user_id, COALESCE(u.name, '')
		FROM reactions r LEFT JOIN users u ON u.id = r.user_id
		WHERE r.message_id IN (`+marks+`) ORDER BY r.message_id, r.created_at, r.user_id`, args...)
	if err != nil {
		return fmt.Errorf("store: reactions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var emoji string
		var who Reactor
		if err := rows.Scan(&id, &emoji, &who.UserID, &who.Name); err != nil {
			return fmt.Errorf("store: reactions: %w", err)
		}
		at[id].Reactions = addReactor(at[id].Reactions, emoji, who)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: reactions: %w", err)
	}
	return nil
}

func addReactor(rs []Reaction, emoji string, who Reactor) []Reaction {
	for i := range rs {
		if rs[i].Emoji == emoji {
			if len(rs[i].Users) < MaxReactors {
				rs[i].Users = append(rs[i].Users, who)
			}
			rs[i].Count++
			return rs
		}
	}
	return append(rs, Reaction{Emoji: emoji, Count: 1, Users: []Reactor{who}})
}
