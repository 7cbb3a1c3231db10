package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Message is one post in a room: text, or a shared file with an optional
// caption. IDs grow with time, so they order a room's messages and tell
// a client where it stopped reading.
type Message struct {
	ID       int64  `json:"id"`
	RoomID   int64  `json:"roomId"`
	UserID   string `json:"userId"`
	UserName string `json:"userName"`
	Text     string `json:"text"`
	File     *File  `json:"file,omitempty"`
	// ClientID is the sender's own id for the message, which makes a
	// retried send (after a lost connection) a no-op instead of a copy.
	ClientID string `json:"clientId,omitempty"`
	At       int64  `json:"at"` // Unix milliseconds
	// EditedAt is when the text was last edited (Unix milliseconds), 0
	// if never.
	EditedAt int64 `json:"editedAt,omitempty"`
	// Deleted marks a deleted message: its text and file are gone, its id
	// stays.
	Deleted   bool       `json:"deleted,omitempty"`
	Reactions []Reaction `json:"reactions,omitempty"`
	// ReplyTo is the message this one answers, as it reads now (an
	// edited original shows its new text, a deleted one none).
	ReplyTo *Reply `json:"replyTo,omitempty"`
	// Mentions are the members the text names with "@name" (see mentions.go).
	Mentions []Mention `json:"mentions,omitempty"`
}

// Reply is the message another one answers: enough to quote it and to
// jump to it.
type Reply struct {
	ID       int64  `json:"id"`
	UserName string `json:"userName"`
	Excerpt  string `json:"excerpt"` // the start of its text, on one line
}

// Quote returns what a reply to m shows of it.
func (m Message) Quote() *Reply {
	return &Reply{ID: m.ID, UserName: m.UserName, Excerpt: excerpt(m.Text, MaxExcerpt)}
}

// MaxExcerpt is how many characters of a replied-to message a reply
// quotes.
const MaxExcerpt = 120

// AddMessage stores m and returns it with its id and time. A message
// whose sender already stored one with the same non-empty ClientID is not
// stored again: the first one is returned, with created false.
func (s *Store) AddMessage(ctx context.Context, m Message) (msg Message, created bool, err error) {
	m.At = time.Now().UnixMilli()
	var fileID, clientID sql.NullString
	var replyTo sql.NullInt64
	if m.ReplyTo != nil {
		replyTo = sql.NullInt64{Int64: m.ReplyTo.ID, Valid: true}
	}
	if m.File != nil {
		fileID = sql.NullString{String: m.File.ID, Valid: true}
	}
	if m.ClientID != "" {
		clientID = sql.NullString{String: m.ClientID, Valid: true}
	}
	err = s.queryRow(ctx, `INSERT INTO messages (room_id, user_id, user_name, body, file_id, client_id, created_at, reply_to)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.RoomID, m.UserID, m.UserName, m.Text, fileID, clientID, m.At, replyTo).Scan(&m.ID)
	if isUniqueViolation(err) {
		old, err := s.messageByClientID(ctx, m.UserID, m.ClientID)
		return old, false, err
	}
	if err != nil {
		return Message{}, false, fmt.Errorf("store: add message: %w", err)
	}
	return m, true, nil
}

const messageColumns = `SELECT m.id, m.room_id, m.user_id, m.user_name, m.body, COALESCE(m.client_id, ''), m.created_at,
	m.edited_at, m.deleted_at, f.id, f.name, f.content_type, f.size, f.created_at, q.id, q.user_name, q.body
	FROM messages m LEFT JOIN files f ON f.id = m.file_id LEFT JOIN messages q ON q.id = m.reply_to `

func (s *Store) messageByClientID(ctx context.Context, userID, clientID string) (Message, error) {
	ms, err := s.messages(ctx, messageColumns+"WHERE m.user_id = ? AND m.client_id = ?", userID, clientID)
	if err != nil {
		return Message{}, err
	}
	if len(ms) == 0 {
		return Message{}, fmt.Errorf("store: message %q: %w", clientID, ErrNotFound)
	}
	return ms[0], nil
}

// MessagesBefore returns up to limit messages of a room with ids below
// before (0: the newest), oldest first: a page of history.
func (s *Store) MessagesBefore(ctx context.Context, roomID, before int64, limit int) ([]Message, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	ms, err := s.messages(ctx, messageColumns+"WHERE m.room_id = ? AND m.id < ? ORDER BY m.id DESC LIMIT ?", roomID, before, limit)
	slices.Reverse(ms)
	return ms, err
}

// MessagesAfter returns up to limit messages of a room with ids above
// after, oldest first: what a client missed.
func (s *Store) MessagesAfter(ctx context.Context, roomID, after int64, limit int) ([]Message, error) {
	return s.messages(ctx, messageColumns+"WHERE m.room_id = ? AND m.id > ? ORDER BY m.id LIMIT ?", roomID, after, limit)
}

func (s *Store) messages(ctx context.Context, q string, args ...any) ([]Message, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: messages: %w", err)
	}
	defer rows.Close()
	ms := []Message{}
	for rows.Next() {
		var m Message
		var fID, fName, fType sql.NullString
		var fSize, fAt, qID sql.NullInt64
		var qName, qBody sql.NullString
		var deletedAt int64
		if err := rows.Scan(&m.ID, &m.RoomID, &m.UserID, &m.UserName, &m.Text, &m.ClientID, &m.At,
			&m.EditedAt, &deletedAt, &fID, &fName, &fType, &fSize, &fAt, &qID, &qName, &qBody); err != nil {
			return nil, fmt.Errorf("store: messages: %w", err)
		}
		m.Deleted = deletedAt != 0
		if fID.Valid {
			m.File = &File{ID: fID.String, RoomID: m.RoomID, UserID: m.UserID, Name: fName.String,
				ContentType: fType.String, Size: fSize.Int64, At: fAt.Int64}
		}
		if qID.Valid {
			m.ReplyTo = &Reply{ID: qID.Int64, UserName: qName.String, Excerpt: excerpt(qBody.String, MaxExcerpt)}
		}
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: messages: %w", err)
	}
	rows.Close() // SQLite has one connection: free it for the reactions
	if err := s.addReactions(ctx, ms); err != nil {
		return nil, err
	}
	return ms, s.loadMentions(ctx, ms)
}

// excerpt returns the start of text, at most n characters, its runs of
// white space (new lines included) made single spaces; a cut text ends
// with an ellipsis.
func excerpt(text string, n int) string {
	words := strings.Fields(text)
	var b strings.Builder
	count := 0
	for i, w := range words {
		if i > 0 {
			w = " " + w
		}
		for _, r := range w {
			if count == n {
				return strings.TrimSpace(b.String()) + "…"
			}
			b.WriteRune(r)
			count++
		}
	}
	return b.String()
}
