package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

func TestLatestReadsSQLite(t *testing.T) {
	s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "chat.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runLatestReadsSuite(t, s)
}

func TestLatestReadsPostgres(t *testing.T) { runLatestReadsSuite(t, openTestPostgres(t)) }

// runLatestReadsSuite checks the bounded read marks; both databases must
// pass it.
func runLatestReadsSuite(t *testing.T, s *Store) {
	ctx := context.Background()
	r, err := s.DefaultRoom(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range 3 {
		m, _, err := s.AddMessage(ctx, Message{RoomID: r.ID, UserID: "u-x", UserName: "x", Text: fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	// Read up to: eve and Bob the newest, dee the second, ann and Cy the first.
	for name, at := range map[string]int{"eve": 2, "Bob": 2, "dee": 1, "ann": 0, "Cy": 0} {
		if _, err := s.CreateUser(ctx, User{ID: "u-" + name, Name: name}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.MarkRead(ctx, r.ID, "u-"+name, ids[at]); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		limit int
		want  string
	}{{3, "[Bob dee eve]"}, {4, "[ann Bob dee eve]"}, {10, "[ann Bob Cy dee eve]"}, {0, "[]"}, {-5, "[]"}} {
		rs, err := s.LatestReads(ctx, r.ID, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		names := []string{}
		for _, rd := range rs {
			names = append(names, rd.UserName)
		}
		if got := fmt.Sprint(names); got != c.want {
			t.Errorf("LatestReads(%d) = %s, want %s", c.limit, got, c.want)
		}
	}
}
