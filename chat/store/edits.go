package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrDeleted reports a message that was deleted: it can no longer be
// edited or reacted to.
var ErrDeleted = errors.New("store: message deleted")

// Message returns the message with the id, with its reactions, whatever
// its room: callers check that the room is one the reader may see.
func (s *Store) Message(ctx context.Context, id int64) (Message, error) {
	ms, err := s.messages(ctx, messageColumns+"WHERE m.id = ?", id)
	if err != nil {
		return Message{}, err
	}
	if len(ms) == 0 {
		return Message{}, fmt.Errorf("store: message %d: %w", id, ErrNotFound)
	}
	return ms[0], nil
}

// EditMessage replaces the text of a message of userID and returns the
// message as it now is: ErrNotFound if userID has no message with the id,
// ErrDeleted if it was deleted. The caller validates the text.
func (s *Store) EditMessage(ctx context.Context, id int64, userID, text string) (Message, error) {
	// The author and the deletion are part of the update, so an edit
	// racing a deletion cannot bring the text back.
	res, err := s.exec(ctx, "UPDATE messages SET body = ?, edited_at = ? WHERE id = ? AND user_id = ? AND deleted_at = 0",
		text, time.Now().UnixMilli(), id, userID)
	if err != nil {
		return Message{}, fmt.Errorf("store: edit message %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		if err != nil {
			return Message{}, fmt.Errorf("store: edit message %d: %w", id, err)
		}
		return s.Message(ctx, id)
	}
	m, err := s.Message(ctx, id)
	switch {
	case err != nil:
		return Message{}, err
	case m.UserID != userID:
		return Message{}, fmt.Errorf("store: message %d of user %s: %w", id, userID, ErrNotFound)
	default:
		return Message{}, fmt.Errorf("store: edit message %d: %w", id, ErrDeleted)
	}
}

// DeleteMessage deletes a message: its row stays, so that its id keeps
// the room's order and what points at it, but its text, its reactions and
// its file (the metadata row, which also gives its bytes back to the
// uploader's quota) are gone. It returns the message as it now is and the
// id of the file whose bytes the caller should remove ("" if none).
// Deleting a deleted message returns ErrDeleted.
func (s *Store) DeleteMessage(ctx context.Context, id int64) (m Message, fileID string, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Message{}, "", fmt.Errorf("store: delete message %d: %w", id, err)
	}
	defer tx.Rollback()
	var file sql.NullString
	var deletedAt int64
	err = tx.QueryRowContext(ctx, s.d.rebind("SELECT file_id, deleted_at FROM messages WHERE id = ?"), id).Scan(&file, &deletedAt)
	if err != nil {
		return Message{}, "", fmt.Errorf("store: delete message %d: %w", id, notFound(err))
	}
	if deletedAt != 0 {
		return Message{}, "", fmt.Errorf("store: delete message %d: %w", id, ErrDeleted)
	}
	exec := func(q string, args ...any) error {
		_, err := tx.ExecContext(ctx, s.d.rebind(q), args...)
		return err
	}
	err = exec("UPDATE messages SET body = '', file_id = NULL, deleted_at = ? WHERE id = ?", time.Now().UnixMilli(), id)
	if err == nil {
		err = exec("DELETE FROM reactions WHERE message_id = ?", id)
	}
	if err == nil && file.Valid {
		err = exec("DELETE FROM files WHERE id = ?", file.String)
	}
	if err != nil {
		return Message{}, "", fmt.Errorf("store: delete message %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return Message{}, "", fmt.Errorf("store: delete message %d: %w", id, err)
	}
	m, err = s.Message(ctx, id)
	return m, file.String, err
}
