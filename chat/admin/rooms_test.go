package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/signalr-go/signalr/chat/store"
)

// The status lists public and private rooms with people online, the most
// first, at most maxListed; conversations are only counted, never listed
// or named; each status asks the presence of at most maxLookups rooms,
// the next ones in turn, so that all are asked within a few statuses.
func TestStatusRooms(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var err error
	users := map[string]store.User{}
	for _, name := range []string{"Ann", "Bob", "Cy"} {
		if users[name], err = st.CreateUser(ctx, store.User{ID: "id-" + name, Name: name, PasswordHash: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	user := func(name string) User { return User{ID: users[name].ID, Name: name} }
	online := map[int64][]User{}
	var public []store.Room
	for i := range 2*maxLookups + 10 {
		r, err := st.CreateRoom(ctx, fmt.Sprintf("room-%03d", i), users["Cy"].ID)
		if err != nil {
			t.Fatal(err)
		}
		public = append(public, r)
		if i < maxListed+5 {
			online[r.ID] = []User{user("Cy")}
		}
	}
	online[public[maxListed+2].ID] = []User{user("Cy"), user("Ann")} // the most online: listed first
	secret, err := st.AddRoom(ctx, store.Room{Name: "clubhouse", CreatedBy: users["Cy"].ID, Kind: store.KindPrivate})
	if err != nil {
		t.Fatal(err)
	}
	online[secret.ID] = []User{user("Cy")}
	dm, _, err := st.StartConversation(ctx, users["Ann"].ID, []string{users["Ann"].ID, users["Bob"].ID})
	if err != nil {
		t.Fatal(err)
	}
	online[dm.ID] = []User{user("Ann"), user("Bob")}
	all, err := st.Rooms(ctx)
	if err != nil {
		t.Fatal(err)
	}

	asked := map[int64]int{}
	s, err := New(Config{Store: st, Members: func(_ context.Context, id int64) ([]User, error) {
		asked[id]++
		return online[id], nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(ctx)
	var got Status
	statuses := (len(all) + maxLookups - 1) / maxLookups
	for range statuses {
		before := len(asked)
		if got, err = s.status(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(asked) - before; n > maxLookups {
			t.Fatalf("one status asked %d rooms, at most %d", n, maxLookups)
		}
	}
	if len(asked) != len(all) {
		t.Fatalf("%d statuses asked %d of the %d rooms", statuses, len(asked), len(all))
	}

	want := RoomCounts{Public: len(all) - 2, Private: 1, Conversations: 1, RoomsOnline: maxListed + 6, ConversationsOnline: 1}
	if got.RoomCounts != want {
		t.Errorf("counts %+v, want %+v", got.RoomCounts, want)
	}
	if len(got.Rooms) != maxListed || got.Rooms[0].ID != public[maxListed+2].ID || got.Rooms[0].Online != 2 {
		t.Fatalf("%d rooms listed, first %+v; want %d, the first %q with 2 online", len(got.Rooms), got.Rooms[0], maxListed, public[maxListed+2].Name)
	}
	kinds := map[string]string{}
	for _, r := range got.Rooms {
		if r.Name == "" || r.ID == dm.ID || r.Online == 0 {
			t.Errorf("listed %+v: a conversation, a blank row or nobody online", r)
		}
		kinds[r.Name] = r.Kind
	}
	if kinds["clubhouse"] != store.KindPrivate || kinds["room-000"] != store.KindPublic {
		t.Errorf("kinds %v, want clubhouse private and room-000 public", kinds)
	}
	rooms, _ := json.Marshal([]any{got.Rooms, got.RoomCounts})
	for _, name := range []string{"Ann", "Bob"} {
		if strings.Contains(string(rooms), name) {
			t.Errorf("the rooms name %s, a member of a conversation: %s", name, rooms)
		}
	}
	// The people online are everyone, wherever they are (an administrator
	// may disconnect anyone), without saying where.
	if fmt.Sprint(got.People) != fmt.Sprint([]User{user("Ann"), user("Bob"), user("Cy")}) {
		t.Errorf("people %v, want Ann, Bob and Cy", got.People)
	}
}
