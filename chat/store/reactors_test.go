package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

func TestReactorsSQLite(t *testing.T) {
	s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "chat.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runReactorsSuite(t, s)
}

func TestReactorsPostgres(t *testing.T) { runReactorsSuite(t, openTestPostgres(t)) }

// runReactorsSuite checks that a reaction of many people counts them all
// and lists the first MaxReactors; both databases must pass it.
func runReactorsSuite(t *testing.T, s *Store) {
	ctx := context.Background()
	m, _, err := s.AddMessage(ctx, Message{RoomID: 1, UserID: "u-x", UserName: "x", Text: "popular"})
	if err != nil {
		t.Fatal(err)
	}
	n := MaxReactors + 5
	for i := range n {
		id := fmt.Sprintf("u-%02d", i)
		if _, err := s.CreateUser(ctx, User{ID: id, Name: fmt.Sprint("p", i)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.React(ctx, m.ID, id, "👍"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.React(ctx, m.ID, "u-00", "🎉"); err != nil {
		t.Fatal(err)
	}
	for _, get := range []func() (Message, error){
		func() (Message, error) { return s.Message(ctx, m.ID) },
		func() (Message, error) {
			ms, err := s.MessagesBefore(ctx, 1, 0, 10)
			if err != nil || len(ms) != 1 {
				return Message{}, fmt.Errorf("history %+v: %w", ms, err)
			}
			return ms[0], nil
		},
	} {
		got, err := get()
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Reactions) != 2 {
			t.Fatalf("reactions %+v", got.Reactions)
		}
		up := got.Reactions[0]
		if up.Emoji != "👍" || up.Count != n || len(up.Users) != MaxReactors || up.Users[0].UserID != "u-00" {
			t.Errorf("👍 of %d people: count %d, %d listed, first %+v", n, up.Count, len(up.Users), up.Users[0])
		}
		if tada := got.Reactions[1]; tada.Count != 1 || len(tada.Users) != 1 {
			t.Errorf("🎉 = %+v", tada)
		}
	}
}
