package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/signalr-go/signalr/chat/names"
)

// User is a person who signed in. Names are unique by names.Key: no two
// users have names that differ only in case or look-alike characters.
type User struct {
	ID           string
	Name         string
	PasswordHash string // "" when the user chose no password
	At           int64  // creation, Unix milliseconds
	// TokenGen is the generation of the user's tokens: a token issued
	// under an older one has been revoked.
	TokenGen int64
}

// CreateUser adds u, returning ErrExists if its name (or one that looks
// the same) is taken. The caller validates the name (package names).
func (s *Store) CreateUser(ctx context.Context, u User) (User, error) {
	u.Name = strings.TrimSpace(u.Name)
	u.At = time.Now().UnixMilli()
	u.TokenGen = 0
	_, err := s.exec(ctx, "INSERT INTO users (id, name, name_key, name_skel, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
		u.ID, u.Name, nameKey(u.Name), names.Key(u.Name), u.PasswordHash, u.At)
	if isUniqueViolation(err) {
		return User{}, fmt.Errorf("store: user %q: %w", u.Name, ErrExists)
	}
	if err != nil {
		return User{}, fmt.Errorf("store: create user: %w", err)
	}
	return u, nil
}

// UserByName returns the user with the name: the one whose stored name
// is the same but for case, or else the one whose name looks the same
// (names.Key). The first lookup keeps names stored before the look-alike
// rule, which may share a key with an older name, reachable.
func (s *Store) UserByName(ctx context.Context, name string) (User, error) {
	exact := nameKey(name)
	return s.user(ctx, "name_key = ? OR name_skel = ? ORDER BY CASE WHEN name_key = ? THEN 0 ELSE 1 END LIMIT 1",
		exact, names.Key(name), exact)
}

// UserByID returns the user with the id.
func (s *Store) UserByID(ctx context.Context, id string) (User, error) {
	return s.user(ctx, "id = ?", id)
}

func (s *Store) user(ctx context.Context, where string, args ...any) (User, error) {
	var u User
	err := s.queryRow(ctx, "SELECT id, name, password_hash, created_at, token_gen FROM users WHERE "+where, args...).
		Scan(&u.ID, &u.Name, &u.PasswordHash, &u.At, &u.TokenGen)
	if err != nil {
		return User{}, fmt.Errorf("store: user: %w", notFound(err))
	}
	return u, nil
}

// RevokeTokens revokes every token of the user (on every server sharing
// the database) and returns the new generation.
func (s *Store) RevokeTokens(ctx context.Context, userID string) (int64, error) {
	return s.bumpGen(ctx, "", userID)
}

// SetPassword changes the user's password hash ("" for none) and revokes
// every token of the user, returning the new generation.
func (s *Store) SetPassword(ctx context.Context, userID, hash string) (int64, error) {
	return s.bumpGen(ctx, "password_hash = ?, ", userID, hash)
}

func (s *Store) bumpGen(ctx context.Context, set, userID string, args ...any) (int64, error) {
	args = append(args, time.Now().UnixMilli(), userID)
	var gen int64
	err := s.queryRow(ctx, "UPDATE users SET "+set+"token_gen = token_gen + 1, revoked_at = ? WHERE id = ? RETURNING token_gen", args...).Scan(&gen)
	if err != nil {
		return 0, fmt.Errorf("store: revoke tokens: %w", notFound(err))
	}
	return gen, nil
}

// TokenGens returns the token generation of every user whose tokens were
// revoked at or after since (Unix milliseconds, by the revoking server's
// clock).
func (s *Store) TokenGens(ctx context.Context, since int64) (map[string]int64, error) {
	rows, err := s.query(ctx, "SELECT id, token_gen FROM users WHERE revoked_at >= ?", since)
	if err != nil {
		return nil, fmt.Errorf("store: token generations: %w", err)
	}
	defer rows.Close()
	gens := map[string]int64{}
	for rows.Next() {
		var id string
		var gen int64
		if err := rows.Scan(&id, &gen); err != nil {
			return nil, fmt.Errorf("store: token generations: %w", err)
		}
		gens[id] = gen
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: token generations: %w", err)
	}
	return gens, nil
}
