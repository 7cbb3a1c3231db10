package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// The queries a page runs on every sign-in and search, on a history of
// benchMessages messages over benchRooms rooms, all of which the reader
// belongs to and none of which they have read:
//
//	go test -run '^$' -bench 'Search|Unread' -benchmem ./chat/store/
const (
	benchRooms    = 30
	benchMessages = 100_000
)

func BenchmarkSearch(b *testing.B) {
	forEachStore(b, func(b *testing.B, s *Store, reader string) {
		for _, q := range []struct{ name, query string }{
			{"common", "message"},          // in every message: the newest few win
			{"rare", "needle"},             // in one message of 1 000
			{"two-words", "needle room10"}, // in one message of 3 000
			{"absent", "nowhere"},
		} {
			b.Run(q.name, func(b *testing.B) {
				for b.Loop() {
					if _, err := s.Search(context.Background(), reader, q.query, 50); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})
}

func BenchmarkUnread(b *testing.B) {
	forEachStore(b, func(b *testing.B, s *Store, reader string) {
		for b.Loop() {
			u, err := s.Unread(context.Background(), reader)
			if err != nil {
				b.Fatal(err)
			}
			if len(u) != benchRooms+1 || u[1].Unread != UnreadCap {
				b.Fatalf("unread %+v", u[:2])
			}
		}
	})
}

// forEachStore runs f on SQLite and PostgreSQL, each filled once.
func forEachStore(b *testing.B, f func(*testing.B, *Store, string)) {
	b.Run("sqlite", func(b *testing.B) {
		s, err := OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "chat.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		f(b, s, fill(b, s))
	})
	b.Run("postgres", func(b *testing.B) {
		s := openTestPostgres(b)
		reader := fill(b, s)
		// What autovacuum does soon after a bulk load: statistics, and
		// the visibility map that index-only scans need.
		if _, err := s.exec(context.Background(), "VACUUM ANALYZE"); err != nil {
			b.Fatal(err)
		}
		f(b, s, reader)
	})
}

// fill writes the history in one transaction, 500 rows a statement, and
// returns the reader's id.
func fill(b *testing.B, s *Store) string {
	b.Helper()
	ctx := context.Background()
	reader, writer := "u-reader", "u-writer"
	for _, u := range []User{{ID: reader, Name: "Reader"}, {ID: writer, Name: "Writer"}} {
		if _, err := s.CreateUser(ctx, u); err != nil {
			b.Fatal(err)
		}
	}
	rooms := make([]int64, benchRooms)
	for i := range rooms {
		r, err := s.CreateRoom(ctx, fmt.Sprintf("room%d", i), writer)
		if err != nil {
			b.Fatal(err)
		}
		rooms[i] = r.ID
		for _, u := range []string{reader, writer} {
			if err := s.Join(ctx, r.ID, u); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := s.Join(ctx, 1, reader); err != nil { // general, empty
		b.Fatal(err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	const batch = 500
	row := "(?, ?, 'Writer', ?, ?)"
	q := s.d.rebind("INSERT INTO messages (room_id, user_id, user_name, body, created_at) VALUES " +
		strings.TrimSuffix(strings.Repeat(row+", ", batch), ", "))
	args := make([]any, 0, 4*batch)
	for i := range benchMessages {
		room := i % benchRooms
		body := fmt.Sprintf("message %d in room%d about topic %d", i, room, i%97)
		if i%1000 == 0 {
			body += " with the needle"
		}
		args = append(args, rooms[room], writer, body, int64(i))
		if len(args) == cap(args) {
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				b.Fatal(err)
			}
			args = args[:0]
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return reader
}
