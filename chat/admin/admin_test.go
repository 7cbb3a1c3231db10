package admin

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/signalr-go/signalr/chat/store"
	"github.com/signalr-go/signalr/transport"
)

func TestOnlyListedNamesWithAPassword(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var err error
	users := map[string]store.User{}
	for _, u := range []store.User{{ID: "u1", Name: "Root", PasswordHash: "x"}, {ID: "u2", Name: "NoPass"}, {ID: "u3", Name: "Eve", PasswordHash: "x"}} {
		if users[u.Name], err = st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(Config{Admins: []string{" root", "NoPass"}, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(ctx)
	for _, c := range []struct {
		p    transport.Principal
		want bool
	}{
		{transport.Principal{ID: users["Root"].ID, Name: "Root"}, true},
		{transport.Principal{ID: users["Root"].ID, Name: "ROOT"}, true},      // names are case-insensitive
		{transport.Principal{ID: users["NoPass"].ID, Name: "NoPass"}, false}, // listed, but anyone could take the name
		{transport.Principal{ID: users["Eve"].ID, Name: "Eve"}, false},       // not listed
		{transport.Principal{ID: users["Eve"].ID, Name: "Root"}, false},      // a name that is not the user's
		{transport.Principal{Name: "Root"}, false},                           // anonymous
	} {
		if got := s.isAdmin(c.p); got != c.want {
			t.Errorf("isAdmin(%+v) = %v, want %v", c.p, got, c.want)
		}
	}
}

// openStore opens a store in a fresh SQLite database, closed when t ends.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "chat.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
