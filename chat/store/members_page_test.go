package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

func TestFirstMembersSQLite(t *testing.T) {
	s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "chat.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runFirstMembersSuite(t, s)
}

func TestFirstMembersPostgres(t *testing.T) { runFirstMembersSuite(t, openTestPostgres(t)) }

// runFirstMembersSuite checks the bounded member list; both databases
// must pass it.
func runFirstMembersSuite(t *testing.T, s *Store) {
	ctx := context.Background()
	r, err := s.DefaultRoom(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"dee", "Bob", "ann", "Cy", "eve"} {
		u, err := s.CreateUser(ctx, User{ID: "u-" + name, Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Join(ctx, r.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		limit int
		want  string
	}{{3, "[ann Bob Cy]"}, {10, "[ann Bob Cy dee eve]"}, {0, "[]"}, {-1, "[]"}} {
		ms, err := s.FirstMembers(ctx, r.ID, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		names := []string{}
		for _, m := range ms {
			names = append(names, m.Name)
		}
		if got := fmt.Sprint(names); got != c.want {
			t.Errorf("FirstMembers(%d) = %s, want %s", c.limit, got, c.want)
		}
	}
	if ms, err := s.FirstMembers(ctx, 999, 10); err != nil || len(ms) != 0 {
		t.Errorf("members of a missing room: %v, %v", ms, err)
	}
}
