package store

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
)

func TestPrivateSQLite(t *testing.T) {
	s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "chat.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runPrivateSuite(t, s)
}

func TestPrivatePostgres(t *testing.T) { runPrivateSuite(t, openTestPostgres(t)) }

// runPrivateSuite checks private rooms, conversations and member lists;
// both databases must pass it.
func runPrivateSuite(t *testing.T, s *Store) {
	ctx := context.Background()
	for _, u := range []User{{ID: "u-ann", Name: "Ann"}, {ID: "u-bob", Name: "bob"}, {ID: "u-cy", Name: "Cy"}} {
		if _, err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	def, err := s.DefaultRoom(ctx)
	if err != nil || def.Kind != KindPublic {
		t.Fatalf("default room %+v, %v; want a public room", def, err)
	}
	priv, err := s.AddRoom(ctx, Room{Name: "Secret", CreatedBy: "u-ann", Kind: KindPrivate})
	if err != nil || priv.Kind != KindPrivate {
		t.Fatalf("AddRoom private = %+v, %v", priv, err)
	}
	if _, err := s.AddRoom(ctx, Room{Name: "secret", CreatedBy: "u-bob", Kind: KindPublic}); !errors.Is(err, ErrExists) {
		t.Errorf("public room named like a private one: %v, want ErrExists", err)
	}
	if _, err := s.AddRoom(ctx, Room{Name: "x", CreatedBy: "u-bob", Kind: KindDM}); err == nil {
		t.Error("AddRoom made a conversation")
	}
	if r, err := s.Room(ctx, priv.ID); err != nil || r != priv {
		t.Errorf("Room = %+v, %v; want %+v", r, err, priv)
	}
	if err := s.Join(ctx, priv.ID, "u-ann"); err != nil {
		t.Fatal(err)
	}

	// Conversations: one per set of people, whatever the order.
	ab, created, err := s.StartConversation(ctx, "u-ann", []string{"u-ann", "u-bob"})
	if err != nil || !created || ab.Kind != KindDM || ab.CreatedBy != "u-ann" {
		t.Fatalf("StartConversation = %+v, %v, %v", ab, created, err)
	}
	again, created, err := s.StartConversation(ctx, "u-bob", []string{"u-bob", "u-ann", "u-bob"})
	if err != nil || created || again.ID != ab.ID {
		t.Errorf("same set again = %+v, created %v, %v; want room %d, not created", again, created, err, ab.ID)
	}
	abc, created, err := s.StartConversation(ctx, "u-cy", []string{"u-cy", "u-bob", "u-ann"})
	if err != nil || !created || abc.ID == ab.ID {
		t.Errorf("group of three = %+v, created %v, %v; want a new room", abc, created, err)
	}
	if r, err := s.ConversationOf(ctx, []string{"u-bob", "u-ann"}); err != nil || r.ID != ab.ID {
		t.Errorf("ConversationOf = %+v, %v", r, err)
	}
	if _, err := s.ConversationOf(ctx, []string{"u-bob", "u-cy"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("ConversationOf(no such set) = %v, want ErrNotFound", err)
	}
	for _, id := range []string{"u-ann", "u-bob"} {
		if ok, err := s.IsMember(ctx, ab.ID, id); err != nil || !ok {
			t.Errorf("%s not a member of their conversation: %v", id, err)
		}
	}
	if ok, _ := s.IsMember(ctx, ab.ID, "u-cy"); ok {
		t.Error("cy is a member of ann and bob's conversation")
	}

	// The room list: public rooms, and private ones to their members only.
	names := func(rs []Room) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Name)
		}
		return out
	}
	if rs, err := s.VisibleRooms(ctx, "u-ann"); err != nil || !slices.Equal(names(rs), []string{"general", "Secret"}) {
		t.Errorf("ann's rooms = %v, %v", names(rs), err)
	}
	if rs, err := s.VisibleRooms(ctx, "u-bob"); err != nil || !slices.Equal(names(rs), []string{"general"}) {
		t.Errorf("bob's rooms = %v, %v; want general only", names(rs), err)
	}
	if rs, _ := s.Rooms(ctx); len(rs) != 4 {
		t.Errorf("all rooms = %d, want 4 (general, Secret, two conversations)", len(rs))
	}

	cs, err := s.Conversations(ctx, "u-bob")
	if err != nil || len(cs) != 2 || cs[0].ID != ab.ID || cs[1].ID != abc.ID {
		t.Fatalf("bob's conversations = %+v, %v", cs, err)
	}
	var who []string
	for _, m := range cs[1].Members {
		who = append(who, m.Name)
	}
	if !slices.Equal(who, []string{"Ann", "bob", "Cy"}) {
		t.Errorf("members of the group = %v, want Ann, bob, Cy (by name)", who)
	}
	if cs, err := s.Conversations(ctx, "u-cy"); err != nil || len(cs) != 1 || cs[0].ID != abc.ID || len(cs[0].Members) != 3 {
		t.Errorf("cy's conversations = %+v, %v", cs, err)
	}

	// Member lists and counts.
	if err := s.Join(ctx, priv.ID, "u-cy"); err != nil {
		t.Fatal(err)
	}
	ms, err := s.Members(ctx, priv.ID)
	if err != nil || len(ms) != 2 || ms[0].UserID != "u-ann" || ms[1].UserID != "u-cy" || ms[0].JoinedAt == 0 {
		t.Errorf("Members = %+v, %v", ms, err)
	}
	if n, err := s.MemberCount(ctx, abc.ID); err != nil || n != 3 {
		t.Errorf("MemberCount = %d, %v; want 3", n, err)
	}
	if all, dms, err := s.Memberships(ctx, "u-ann"); err != nil || all != 3 || dms != 2 {
		t.Errorf("ann's memberships = %d, %d, %v; want 3, 2", all, dms, err)
	}
	if all, dms, err := s.Memberships(ctx, "nobody"); err != nil || all != 0 || dms != 0 {
		t.Errorf("memberships of nobody = %d, %d, %v", all, dms, err)
	}
	if err := s.Leave(ctx, priv.ID, "u-cy"); err != nil {
		t.Fatal(err)
	}
	if rs, _ := s.VisibleRooms(ctx, "u-cy"); len(rs) != 1 {
		t.Errorf("cy still sees %v after leaving", names(rs))
	}
}
