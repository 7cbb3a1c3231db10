package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// User is a person who signed in. Names are unique, case-insensitively.
type User struct {
	ID           string
	Name         string
	PasswordHash string // "" when the user chose no password
	At           int64  // creation, Unix milliseconds
}

// CreateUser adds u, returning ErrExists if its name is taken.
func (s *Store) CreateUser(ctx context.Context, u User) (User, error) {
	u.Name = strings.TrimSpace(u.Name)
	u.At = time.Now().UnixMilli()
	_, err := s.exec(ctx, "INSERT INTO users (id, name, name_key, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
		u.ID, u.Name, nameKey(u.Name), u.PasswordHash, u.At)
	if isUniqueViolation(err) {
		return User{}, fmt.Errorf("store: user %q: %w", u.Name, ErrExists)
	}
	if err != nil {
		return User{}, fmt.Errorf("store: create user: %w", err)
	}
	return u, nil
}

// UserByName returns the user with the name, compared case-insensitively.
func (s *Store) UserByName(ctx context.Context, name string) (User, error) {
	return s.user(ctx, "name_key", nameKey(name))
}

// UserByID returns the user with the id.
func (s *Store) UserByID(ctx context.Context, id string) (User, error) {
	return s.user(ctx, "id", id)
}

func (s *Store) user(ctx context.Context, column, v string) (User, error) {
	var u User
	err := s.queryRow(ctx, "SELECT id, name, password_hash, created_at FROM users WHERE "+column+" = ?", v).
		Scan(&u.ID, &u.Name, &u.PasswordHash, &u.At)
	if err != nil {
		return User{}, fmt.Errorf("store: user: %w", notFound(err))
	}
	return u, nil
}
