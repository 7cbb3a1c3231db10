package store

import "errors"

// Sentinel errors, for errors.Is.
var (
	// ErrNotFound reports a user, room, message or file that does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrExists reports a user or room name that is already taken.
	ErrExists = errors.New("store: already exists")
)
