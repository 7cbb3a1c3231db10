package store

import (
	"context"
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

// AddFile stores f's metadata, setting its time.
func (s *Store) AddFile(ctx context.Context, f File) (File, error) {
	f.At = time.Now().UnixMilli()
	_, err := s.exec(ctx, "INSERT INTO files (id, room_id, user_id, name, content_type, size, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		f.ID, f.RoomID, f.UserID, f.Name, f.ContentType, f.Size, f.At)
	if err != nil {
		return File{}, fmt.Errorf("store: add file: %w", err)
	}
	return f, nil
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
