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
