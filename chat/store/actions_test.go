package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

func TestActionsSQLite(t *testing.T) {
	s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "chat.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runActionsSuite(t, s)
}

func TestActionsPostgres(t *testing.T) { runActionsSuite(t, openTestPostgres(t)) }

// runActionsSuite checks edits, deletions and reactions; both databases
// must pass it.
func runActionsSuite(t *testing.T, s *Store) {
	ctx := context.Background()
	for _, u := range []User{{ID: "u-ann", Name: "Ann"}, {ID: "u-bob", Name: "Bob"}} {
		if _, err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	room, err := s.CreateRoom(ctx, "dev", "u-ann")
	if err != nil {
		t.Fatal(err)
	}
	add := func(user, text string) Message {
		t.Helper()
		m, _, err := s.AddMessage(ctx, Message{RoomID: room.ID, UserID: user, UserName: user, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m1, m2 := add("u-ann", "first"), add("u-bob", "second")

	// Edits: only the author's, never of a deleted message.
	got, err := s.EditMessage(ctx, m1.ID, "u-ann", "first, edited")
	if err != nil || got.Text != "first, edited" || got.EditedAt == 0 || got.ID != m1.ID {
		t.Errorf("EditMessage = %+v, %v", got, err)
	}
	if _, err := s.EditMessage(ctx, m1.ID, "u-bob", "hijacked"); !errors.Is(err, ErrNotFound) {
		t.Errorf("edit by another user: %v, want ErrNotFound", err)
	}
	if _, err := s.EditMessage(ctx, 99999, "u-ann", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("edit of an unknown message: %v, want ErrNotFound", err)
	}
	if m, _ := s.Message(ctx, m1.ID); m.Text != "first, edited" {
		t.Errorf("after a refused edit: %q", m.Text)
	}
	if _, err := s.Message(ctx, 99999); !errors.Is(err, ErrNotFound) {
		t.Errorf("Message(unknown) = %v", err)
	}

	// Reactions: once per person and emoji, loaded with the page.
	for _, r := range []struct {
		user, emoji string
		added       bool
	}{{"u-ann", "👍", true}, {"u-bob", "🎉", true}, {"u-bob", "👍", true}, {"u-ann", "👍", false}} {
		if added, err := s.React(ctx, m2.ID, r.user, r.emoji); added != r.added || err != nil {
			t.Errorf("React(%s, %s) = %v, %v; want %v", r.user, r.emoji, added, err, r.added)
		}
	}
	if _, err := s.React(ctx, m1.ID, "u-bob", "👀"); err != nil {
		t.Fatal(err)
	}
	page, err := s.MessagesBefore(ctx, room.ID, 0, 10)
	if err != nil || len(page) != 2 {
		t.Fatalf("page = %+v, %v", page, err)
	}
	want := []Reaction{
		{Emoji: "👍", Count: 2, Users: []Reactor{{"u-ann", "Ann"}, {"u-bob", "Bob"}}},
		{Emoji: "🎉", Count: 1, Users: []Reactor{{"u-bob", "Bob"}}},
	}
	if !sameReactions(page[1].Reactions, want) {
		t.Errorf("reactions of m2 = %+v, want %+v", page[1].Reactions, want)
	}
	if len(page[0].Reactions) != 1 || page[0].Reactions[0].Emoji != "👀" {
		t.Errorf("reactions of m1 = %+v", page[0].Reactions)
	}
	if after, _ := s.MessagesAfter(ctx, room.ID, m1.ID, 10); len(after) != 1 || !sameReactions(after[0].Reactions, want) {
		t.Errorf("MessagesAfter reactions = %+v", after)
	}
	if removed, err := s.Unreact(ctx, m2.ID, "u-ann", "👍"); !removed || err != nil {
		t.Errorf("Unreact = %v, %v", removed, err)
	}
	if removed, _ := s.Unreact(ctx, m2.ID, "u-ann", "👍"); removed {
		t.Error("second Unreact removed something")
	}
	if m, _ := s.Message(ctx, m2.ID); len(m.Reactions) != 2 || m.Reactions[0].Count != 1 {
		t.Errorf("after Unreact: %+v", m.Reactions)
	}
	if _, err := s.React(ctx, 99999, "u-ann", "👍"); !errors.Is(err, ErrNotFound) {
		t.Errorf("React(unknown message) = %v, want ErrNotFound", err)
	}

	// Deletion keeps the row, drops the text, reactions and file.
	f, err := s.AddFileWithin(ctx, File{ID: "f-del", RoomID: room.ID, UserID: "u-ann", Name: "a.png", Size: 10}, 100)
	if err != nil {
		t.Fatal(err)
	}
	fm, _, err := s.AddMessage(ctx, Message{RoomID: room.ID, UserID: "u-ann", UserName: "Ann", Text: "caption", File: &f})
	if err != nil {
		t.Fatal(err)
	}
	del, fileID, err := s.DeleteMessage(ctx, fm.ID)
	if err != nil || !del.Deleted || del.Text != "" || del.File != nil || fileID != "f-del" {
		t.Errorf("DeleteMessage = %+v, %q, %v", del, fileID, err)
	}
	if _, err := s.File(ctx, "f-del"); !errors.Is(err, ErrNotFound) {
		t.Errorf("file of a deleted message: %v, want ErrNotFound", err)
	}
	if fs, _ := s.RoomFiles(ctx, room.ID, 10); len(fs) != 0 {
		t.Errorf("RoomFiles after deletion = %+v", fs)
	}
	if used, _ := s.UploadedBytes(ctx, "u-ann"); used != 0 {
		t.Errorf("quota still counts %d bytes of a deleted file", used)
	}
	del, fileID, err = s.DeleteMessage(ctx, m2.ID)
	if err != nil || !del.Deleted || del.Text != "" || len(del.Reactions) != 0 || fileID != "" {
		t.Errorf("DeleteMessage(m2) = %+v, %q, %v", del, fileID, err)
	}
	if _, _, err := s.DeleteMessage(ctx, m2.ID); !errors.Is(err, ErrDeleted) {
		t.Errorf("deleting twice: %v, want ErrDeleted", err)
	}
	if _, _, err := s.DeleteMessage(ctx, 99999); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting an unknown message: %v, want ErrNotFound", err)
	}
	if _, err := s.EditMessage(ctx, m2.ID, "u-bob", "back"); !errors.Is(err, ErrDeleted) {
		t.Errorf("editing a deleted message: %v, want ErrDeleted", err)
	}
	if _, err := s.React(ctx, m2.ID, "u-ann", "👍"); !errors.Is(err, ErrDeleted) {
		t.Errorf("reacting to a deleted message: %v, want ErrDeleted", err)
	}
	// The text is gone from the database itself, not just hidden.
	var body string
	if err := s.queryRow(ctx, "SELECT body FROM messages WHERE id = ?", m2.ID).Scan(&body); err != nil || body != "" {
		t.Errorf("stored body of a deleted message = %q, %v", body, err)
	}
	page, _ = s.MessagesBefore(ctx, room.ID, 0, 10)
	if len(page) != 3 || !page[1].Deleted || page[1].Text != "" || page[0].Deleted {
		t.Errorf("history after deletion = %+v", page)
	}
}

func sameReactions(a, b []Reaction) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Emoji != b[i].Emoji || a[i].Count != b[i].Count || len(a[i].Users) != len(b[i].Users) {
			return false
		}
		for j := range a[i].Users {
			if a[i].Users[j] != b[i].Users[j] {
				return false
			}
		}
	}
	return true
}
