package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// File is the metadata of a file shared in a room; its bytes live
// outside the database.
type File struct {
	ID          string `json:"id"`
	RoomID      int64  `json:"roomId"`
	UserID      string `json:"userId"`
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
	At          int64  `json:"at"` // Unix milliseconds
}

// ErrQuota reports a file that would take its owner over their upload
// quota.
var ErrQuota = errors.New("store: upload quota exceeded")

// AddFileWithin stores f's metadata, setting its time, unless the sizes of
// the files its user already shared plus f's exceed quota bytes
// (ErrQuota). The check and the insert are one transaction, serialized
// per user, so servers sharing a database cannot together go over.
func (s *Store) AddFileWithin(ctx context.Context, f File, quota int64) (File, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return File{}, fmt.Errorf("store: add file: %w", err)
	}
	defer tx.Rollback()
	if s.d == postgresDialect {
		// SQLite transactions here already take the write lock at BEGIN.
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(726158, hashtext($1))", f.UserID); err != nil {
			return File{}, fmt.Errorf("store: add file: lock: %w", err)
		}
	}
	var used int64
	if err := tx.QueryRowContext(ctx, s.d.rebind("SELECT COALESCE(SUM(size), 0) FROM files WHERE user_id = ?"), f.UserID).Scan(&used); err != nil {
		return File{}, fmt.Errorf("store: add file: %w", err)
	}
	if used+f.Size > quota {
		return File{}, fmt.Errorf("store: %d of %d bytes used: %w", used, quota, ErrQuota)
	}
	f.At = time.Now().UnixMilli()
	if _, err := tx.ExecContext(ctx, s.d.rebind("INSERT INTO files (id, room_id, user_id, name, content_type, size, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
		f.ID, f.RoomID, f.UserID, f.Name, f.ContentType, f.Size, f.At); err != nil {
		return File{}, fmt.Errorf("store: add file: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return File{}, fmt.Errorf("store: add file: %w", err)
	}
	return f, nil
}

// UploadedBytes returns the total size of the files a user has shared.
func (s *Store) UploadedBytes(ctx context.Context, userID string) (int64, error) {
	var used int64
	if err := s.queryRow(ctx, "SELECT COALESCE(SUM(size), 0) FROM files WHERE user_id = ?", userID).Scan(&used); err != nil {
		return 0, fmt.Errorf("store: uploaded bytes: %w", err)
	}
	return used, nil
}

// File returns the metadata of the file with the id.
func (s *Store) File(ctx context.Context, id string) (File, error) {
	var f File
	err := s.queryRow(ctx, "SELECT id, room_id, user_id, name, content_type, size, created_at FROM files WHERE id = ?", id).
		Scan(&f.ID, &f.RoomID, &f.UserID, &f.Name, &f.ContentType, &f.Size, &f.At)
	if err != nil {
		return File{}, fmt.Errorf("store: file: %w", notFound(err))
	}
	return f, nil
}

// RoomFiles returns the metadata of a room's files, newest first (in
// the order of the messages that announced them), at most limit of them.
func (s *Store) RoomFiles(ctx context.Context, roomID int64, limit int) ([]File, error) {
	rows, err := s.query(ctx, "SELECT f.id, f.room_id, f.user_id, f.name, f.content_type, f.size, f.created_at FROM files f JOIN messages m ON m.file_id = f.id WHERE f.room_id = ? ORDER BY m.id DESC LIMIT ?",
		roomID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: room files: %w", err)
	}
	defer rows.Close()
	files := []File{}
	for rows.Next() {
		var f File
		if err := rows.Scan(&f.ID, &f.RoomID, &f.UserID, &f.Name, &f.ContentType, &f.Size, &f.At); err != nil {
			return nil, fmt.Errorf("store: room files: %w", err)
		}
		files = append(files, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: room files: %w", err)
	}
	return files, nil
}
