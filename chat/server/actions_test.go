package server

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signalr-go/signalr/chat/hub"
	"github.com/signalr-go/signalr/chat/store"
)

// Only the author edits; every member sees the edit live and in history;
// the length rules of a new message hold.
func TestEditMessage(t *testing.T) {
	b := newBench(t, Config{})
	ann, bob := b.login("Ann", ""), b.login("Bob", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	cb, _ := b.dial("/hubs/chat", bob.Token)
	var general hub.RoomState
	ca.must(&general, "JoinRoom", 1)
	cb.must(nil, "JoinRoom", 1)
	var m store.Message
	ca.must(&m, "SendMessage", general.Room.ID, "helo", "")

	if e := cb.call(nil, "EditMessage", m.ID, "bob was here"); !strings.Contains(e, "Only its author") {
		t.Errorf("edit by another member: %q", e)
	}
	for _, text := range []string{"", "   ", strings.Repeat("x", hub.MaxTextLength+1)} {
		if e := ca.call(nil, "EditMessage", m.ID, text); !strings.Contains(e, "1 to 4000 characters") {
			t.Errorf("edit to %d characters: %q", len(text), e)
		}
	}
	var edited store.Message
	ca.must(&edited, "EditMessage", m.ID, " hello ")
	if edited.Text != "hello" || edited.EditedAt == 0 || edited.ID != m.ID {
		t.Errorf("EditMessage = %+v", edited)
	}
	var live store.Message
	cb.event(hub.EventEdited, &live)
	if live.ID != m.ID || live.Text != "hello" || live.EditedAt == 0 {
		t.Errorf("bob saw %+v", live)
	}
	var page []store.Message
	cb.must(&page, "History", general.Room.ID, 0)
	if len(page) != 1 || page[0].Text != "hello" || page[0].EditedAt != edited.EditedAt {
		t.Errorf("history after the edit: %+v", page)
	}
}

// The author deletes, and so does the owner of the room; nobody else, and
// nobody in the default room, which has no owner. The text is gone from
// history, the id stays.
func TestDeleteMessage(t *testing.T) {
	b := newBench(t, Config{})
	ann, bob, cat := b.login("Ann", ""), b.login("Bob", ""), b.login("Cat", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	cb, _ := b.dial("/hubs/chat", bob.Token)
	cc, _ := b.dial("/hubs/chat", cat.Token)
	var dev store.Room
	ca.must(&dev, "CreateRoom", "dev") // ann owns dev
	cb.must(nil, "JoinRoom", dev.ID)
	cc.must(nil, "JoinRoom", dev.ID)
	var byBob, byCat, byBob2 store.Message
	cb.must(&byBob, "SendMessage", dev.ID, "bob's secret", "")
	cc.must(&byCat, "SendMessage", dev.ID, "cat's", "")
	cb.must(&byBob2, "SendMessage", dev.ID, "bob's second", "")

	if e := cc.call(nil, "DeleteMessage", byBob.ID); !strings.Contains(e, "Only its author or the room's owner") {
		t.Errorf("a member deletes another's message: %q", e)
	}
	var del store.Message
	cb.must(&del, "DeleteMessage", byBob.ID) // the author
	if !del.Deleted || del.Text != "" || del.ID != byBob.ID {
		t.Errorf("DeleteMessage = %+v", del)
	}
	var live store.Message
	cc.event(hub.EventDeleted, &live)
	if live.ID != byBob.ID || !live.Deleted || live.Text != "" {
		t.Errorf("cat saw %+v", live)
	}
	ca.must(nil, "DeleteMessage", byCat.ID) // the room's owner
	if e := cb.call(nil, "DeleteMessage", byBob.ID); !strings.Contains(e, "deleted") {
		t.Errorf("deleting twice: %q", e)
	}
	if e := cb.call(nil, "EditMessage", byBob.ID, "back again"); !strings.Contains(e, "deleted") {
		t.Errorf("editing a deleted message: %q", e)
	}
	var page []store.Message
	cc.must(&page, "History", dev.ID, 0)
	if len(page) != 3 || !page[0].Deleted || page[0].Text != "" || !page[1].Deleted || page[2].Deleted || page[2].Text != "bob's second" {
		t.Errorf("history after deletions: %+v", page)
	}
	var st hub.RoomState
	cc.must(&st, "JoinRoom", dev.ID)
	for _, m := range st.Messages {
		if strings.Contains(m.Text, "secret") {
			t.Errorf("JoinRoom still shows the deleted text: %+v", m)
		}
	}

	// The default room has no owner: only authors delete there.
	var general hub.RoomState
	cb.must(&general, "JoinRoom", 1)
	ca.must(nil, "JoinRoom", 1)
	var inGeneral store.Message
	cb.must(&inGeneral, "SendMessage", general.Room.ID, "in general", "")
	if e := ca.call(nil, "DeleteMessage", inGeneral.ID); !strings.Contains(e, "Only its author") {
		t.Errorf("deleting another's message in the default room: %q", e)
	}
}

// A deleted file message takes its file along: no longer listed, no
// longer downloadable, its bytes gone from the disk.
func TestDeleteFileMessage(t *testing.T) {
	dir := t.TempDir()
	b := newBench(t, Config{DataDir: dir, MaxUploadBytes: 1 << 16})
	ann := b.login("Ann", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	var general hub.RoomState
	ca.must(&general, "JoinRoom", 1)
	status, m := b.upload(ann.Token, general.Room.ID, "a.txt", []byte("the bytes"))
	if status != http.StatusOK || m.File == nil {
		t.Fatalf("upload: %d %+v", status, m)
	}
	onDisk := filepath.Join(dir, "files", m.File.ID)
	if _, err := os.Stat(onDisk); err != nil {
		t.Fatalf("uploaded file not at %s: %v", onDisk, err)
	}
	var del store.Message
	ca.must(&del, "DeleteMessage", m.ID)
	if del.File != nil {
		t.Errorf("deleted message still has its file: %+v", del.File)
	}
	if res, _ := b.download(ann.Token, "/api/files/"+m.File.ID+"/a.txt"); res.StatusCode != http.StatusNotFound {
		t.Errorf("download of a deleted file: %d, want 404", res.StatusCode)
	}
	if _, err := os.Stat(onDisk); !os.IsNotExist(err) {
		t.Errorf("the deleted file's bytes are still on disk: %v", err)
	}
}

// Reactions come from a fixed set, once per person and emoji; every
// member sees them live and in history, with who reacted.
func TestReactions(t *testing.T) {
	b := newBench(t, Config{})
	ann, bob := b.login("Ann", ""), b.login("Bob", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	cb, _ := b.dial("/hubs/chat", bob.Token)
	var general hub.RoomState
	ca.must(&general, "JoinRoom", 1)
	cb.must(nil, "JoinRoom", 1)
	var m store.Message
	ca.must(&m, "SendMessage", general.Room.ID, "react to me", "")

	for _, bogus := range []string{"", "x", "👍👍", "<b>", strings.Repeat("🎉", 1000), "👍\u200d"} {
		if e := cb.call(nil, "React", m.ID, bogus); !strings.Contains(e, "A reaction is one of") {
			t.Errorf("React(%.20q): %q", bogus, e)
		}
	}
	var got store.Message
	cb.must(&got, "React", m.ID, "👍")
	cb.must(&got, "React", m.ID, "👍") // again: no change
	ca.must(&got, "React", m.ID, "👍")
	if len(got.Reactions) != 1 || got.Reactions[0].Count != 2 ||
		got.Reactions[0].Users[0].Name != "Bob" || got.Reactions[0].Users[1].UserID != ann.UserID {
		t.Errorf("reactions = %+v", got.Reactions)
	}
	var live store.Message
	ca.event(hub.EventReactions, &live) // bob's
	ca.event(hub.EventReactions, &live) // ann's own
	if len(live.Reactions) != 1 || live.Reactions[0].Count != 2 {
		t.Errorf("ann saw %+v", live.Reactions)
	}
	cb.must(&got, "Unreact", m.ID, "👍")
	for range 3 { // bob's reaction, ann's, bob's removal
		cb.event(hub.EventReactions, &live)
	}
	if len(live.Reactions) != 1 || live.Reactions[0].Count != 1 || live.Reactions[0].Users[0].Name != "Ann" {
		t.Errorf("after Unreact bob saw %+v", live.Reactions)
	}
	var page []store.Message
	cb.must(&page, "MessagesSince", general.Room.ID, 0)
	if len(page) != 1 || len(page[0].Reactions) != 1 || page[0].Reactions[0].Users[0].Name != "Ann" {
		t.Errorf("history reactions: %+v", page)
	}
	ca.must(nil, "DeleteMessage", m.ID)
	if e := cb.call(nil, "React", m.ID, "🎉"); !strings.Contains(e, "deleted") {
		t.Errorf("reacting to a deleted message: %q", e)
	}
}

// A non-member can neither act on a room's messages nor learn whether
// an id exists: the answer is the one for a missing message.
func TestActionsNeedMembership(t *testing.T) {
	ca, cb, secret, m := bobsRoom(t, "for members only")
	missing := m.ID + 1000

	for _, call := range []struct {
		method string
		args   []any
	}{
		{"EditMessage", []any{"changed"}},
		{"DeleteMessage", nil},
		{"React", []any{"👍"}},
		{"Unreact", []any{"👍"}},
	} {
		var out store.Message
		real := ca.call(&out, call.method, append([]any{m.ID}, call.args...)...)
		none := ca.call(nil, call.method, append([]any{missing}, call.args...)...)
		want := strings.ReplaceAll(none, itoa(missing), itoa(m.ID))
		if real == "" || real != want || !strings.Contains(real, "There is no message") {
			t.Errorf("%s by a non-member: %q; for a missing id: %q", call.method, real, none)
		}
		if out.Text != "" {
			t.Errorf("%s leaked the message: %+v", call.method, out)
		}
	}
	var page []store.Message
	cb.must(&page, "MessagesSince", secret.ID, 0)
	if len(page) != 1 || page[0].Text != "for members only" || page[0].Deleted || len(page[0].Reactions) != 0 {
		t.Errorf("the message after a non-member's attempts: %+v", page)
	}
	if ca.seen(hub.EventEdited) || ca.seen(hub.EventReactions) {
		t.Error("a non-member received a room's event")
	}
}

// Wrong argument types and counts are refused with an error, not a panic.
func TestActionsBadArguments(t *testing.T) {
	b := newBench(t, Config{})
	ann := b.login("Ann", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	for _, call := range []struct {
		method string
		args   []any
	}{
		{"EditMessage", []any{"one", "text"}},
		{"EditMessage", []any{1}},
		{"DeleteMessage", []any{map[string]any{"id": 1}}},
		{"React", []any{1, 2}},
		{"Unreact", []any{1.5, "👍"}},
		{"React", []any{1, "👍", "extra"}},
	} {
		if e := ca.call(nil, call.method, call.args...); e == "" {
			t.Errorf("%s%v succeeded", call.method, call.args)
		}
	}
	ca.must(nil, "Rooms") // the connection is still fine
}
