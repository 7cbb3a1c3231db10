package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestTextSQLite(t *testing.T) {
	runTextSuite(t, func(t *testing.T) *Store {
		s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "chat.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestTextPostgres(t *testing.T) {
	runTextSuite(t, func(t *testing.T) *Store { return openTestPostgres(t) })
}

// textBench is a store with two people and three rooms: ann is in
// "open" and "secret", bob only in "open".
type textBench struct {
	t                testing.TB
	s                *Store
	open, secret, dm Room
	ann, bob, carol  string
}

func newTextBench(t testing.TB, s *Store) *textBench {
	ctx := context.Background()
	b := &textBench{t: t, s: s, ann: "u-ann", bob: "u-bob", carol: "u-carol"}
	for _, u := range []User{{ID: b.ann, Name: "Ann"}, {ID: b.bob, Name: "Bob"}, {ID: b.carol, Name: "Carol"}} {
		if _, err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	for _, r := range []struct {
		dst     *Room
		name    string
		members []string
	}{{&b.open, "open", []string{b.ann, b.bob}}, {&b.secret, "secret", []string{b.ann}}, {&b.dm, "ann-carol", []string{b.ann, b.carol}}} {
		if *r.dst, err = s.CreateRoom(ctx, r.name, b.ann); err != nil {
			t.Fatal(err)
		}
		for _, u := range r.members {
			if err := s.Join(ctx, r.dst.ID, u); err != nil {
				t.Fatal(err)
			}
		}
	}
	return b
}

func (b *textBench) post(room Room, user, text string) Message {
	b.t.Helper()
	m, _, err := b.s.AddMessage(context.Background(), Message{RoomID: room.ID, UserID: user, UserName: user, Text: text})
	if err != nil {
		b.t.Fatal(err)
	}
	return m
}

// ids returns the ids of hits, in order.
func ids(hits []SearchHit) []int64 {
	out := make([]int64, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func snippetText(h SearchHit) string {
	var b strings.Builder
	for _, f := range h.Snippet {
		b.WriteString(f.Text)
	}
	return b.String()
}

func (b *textBench) search(user, q string) []SearchHit {
	b.t.Helper()
	hits, err := b.s.Search(context.Background(), user, q, 50)
	if err != nil {
		b.t.Fatalf("Search(%s, %q): %v", user, q, err)
	}
	return hits
}

// runTextSuite checks search, replies and windows, each on a fresh
// store from open; both databases must pass it.
func runTextSuite(t *testing.T, open func(*testing.T) *Store) {
	t.Run("search", func(t *testing.T) { testSearch(t, newTextBench(t, open(t))) })
	t.Run("hostile queries", func(t *testing.T) { testHostileQueries(t, open(t)) })
	t.Run("replies and windows", func(t *testing.T) { testRepliesAndWindows(t, open(t)) })
}

func testSearch(t *testing.T, b *textBench) {
	ctx := context.Background()
	old := b.post(b.open, b.ann, "The Quarterly *report* is due on Friday")
	for i := range 120 {
		b.post(b.open, b.bob, fmt.Sprint("filler message ", i))
	}
	secret := b.post(b.secret, b.ann, "the secret report draft")
	dm := b.post(b.dm, b.carol, "my report, privately")
	newest := b.post(b.open, b.bob, "REPORT sent")

	// Old messages are found; newest first; case does not matter.
	if got := ids(b.search(b.ann, "report")); fmt.Sprint(got) != fmt.Sprint([]int64{newest.ID, dm.ID, secret.ID, old.ID}) {
		t.Errorf("ann's search = %v, want %v", got, []int64{newest.ID, dm.ID, secret.ID, old.ID})
	}
	// Membership: bob never sees the rooms he is not in; carol only hers.
	if got := ids(b.search(b.bob, "report")); fmt.Sprint(got) != fmt.Sprint([]int64{newest.ID, old.ID}) {
		t.Errorf("bob's search = %v, want only the open room's %v", got, []int64{newest.ID, old.ID})
	}
	if got := ids(b.search(b.carol, "report")); fmt.Sprint(got) != fmt.Sprint([]int64{dm.ID}) {
		t.Errorf("carol's search = %v, want only the conversation's %d", got, dm.ID)
	}
	if got := b.search(b.bob, "secret draft"); len(got) != 0 {
		t.Errorf("bob found the secret room's message: %+v", got)
	}
	// Leaving a room ends seeing it.
	if err := b.s.Leave(ctx, b.secret.ID, b.ann); err != nil {
		t.Fatal(err)
	}
	if got := b.search(b.ann, "secret draft"); len(got) != 0 {
		t.Errorf("a former member found the room's message: %+v", got)
	}
	// Every word must be in the message; the hit says where it is.
	hits := b.search(b.ann, "friday quarterly")
	if len(hits) != 1 || hits[0].ID != old.ID || hits[0].RoomName != "open" || hits[0].UserName != b.ann || hits[0].At != old.At {
		t.Fatalf("two-word search = %+v, want message %d of room open", hits, old.ID)
	}
	var marked []string
	for _, f := range hits[0].Snippet {
		if f.Match {
			marked = append(marked, f.Text)
		}
	}
	if text := snippetText(hits[0]); text != old.Text || fmt.Sprint(marked) != "[Quarterly Friday]" {
		t.Errorf("snippet %q with marks %v, want the whole text with Quarterly and Friday marked", text, marked)
	}
	// The limit bounds the answer.
	if got, _ := b.s.Search(ctx, b.bob, "filler", 7); len(got) != 7 || snippetText(got[0]) != "filler message 119" || snippetText(got[6]) != "filler message 113" {
		t.Errorf("limited search = %d hits, want the 7 newest", len(got))
	}

	// Edits and deletions, by whatever code does them, are followed.
	if _, err := b.s.exec(ctx, "UPDATE messages SET body = ? WHERE id = ?", "The yearly summary is due", old.ID); err != nil {
		t.Fatal(err)
	}
	if got := ids(b.search(b.bob, "quarterly")); len(got) != 0 {
		t.Errorf("the edited-out word still finds %v", got)
	}
	if got := ids(b.search(b.bob, "yearly")); fmt.Sprint(got) != fmt.Sprint([]int64{old.ID}) {
		t.Errorf("the edited-in word finds %v, want %d", got, old.ID)
	}
	if _, err := b.s.exec(ctx, "UPDATE messages SET body = '' WHERE id = ?", newest.ID); err != nil {
		t.Fatal(err)
	}
	if got := ids(b.search(b.bob, "report")); len(got) != 0 {
		t.Errorf("deleted or edited messages still found: %v", got)
	}
	if _, err := b.s.exec(ctx, "DELETE FROM messages WHERE id = ?", dm.ID); err != nil {
		t.Fatal(err)
	}
	if got := ids(b.search(b.carol, "privately")); len(got) != 0 {
		t.Errorf("a removed row is still found: %v", got)
	}
}

func testHostileQueries(t *testing.T, s *Store) {
	b := newTextBench(t, s)
	m := b.post(b.open, b.ann, `say "hello" to NEAR(the) world OR moon -x col:umn`)
	for _, q := range []string{`"`, `*`, `NEAR(`, `OR`, `-`, `:`, ``, `   `, `"""`, `hello"`, `hello*`, `NEAR(hello world)`,
		`hello OR`, `-hello`, `col:umn`, `body:hello`, `'; DROP TABLE messages; --`, `(`, `)`, `^hello`, `{hello}`, `hello AND`,
		`\`, "\x00", strings.Repeat("x", 10000), strings.Repeat(`" `, 5000), strings.Repeat("a ", 5000), "\xff\xfe"} {
		if _, err := s.Search(context.Background(), b.ann, q, 10); err != nil {
			t.Errorf("Search(%.40q): %v", q, err)
		}
	}
	// Operators are words like any other, or nothing at all.
	for q, want := range map[string]int{`"hello"`: 1, `hello*`: 1, `NEAR(the)`: 1, `world OR moon`: 1, `-x`: 1, `col:umn`: 1,
		`hello OR nothing`: 0, `*`: 0, `"`: 0} {
		if got := b.search(b.ann, q); len(got) != want || (want == 1 && got[0].ID != m.ID) {
			t.Errorf("Search(%q) = %v, want %d hit(s)", q, ids(got), want)
		}
	}
}

func testRepliesAndWindows(t *testing.T, s *Store) {
	ctx := context.Background()
	b := newTextBench(t, s)
	var room []Message
	for i := range 30 {
		room = append(room, b.post(b.open, b.bob, fmt.Sprint("line ", i)))
	}
	orig := b.post(b.open, b.ann, "What do you think\nof  this "+strings.Repeat("long ", 60)+"idea?")
	reply, _, err := s.AddMessage(ctx, Message{RoomID: b.open.ID, UserID: b.bob, UserName: "Bob", Text: "yes", ReplyTo: &Reply{ID: orig.ID}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Message(ctx, reply.ID)
	if err != nil || got.ReplyTo == nil || got.ReplyTo.ID != orig.ID || got.ReplyTo.UserName != b.ann {
		t.Fatalf("Message(reply) = %+v, %v", got, err)
	}
	if ex := got.ReplyTo.Excerpt; !strings.HasPrefix(ex, "What do you think of this long") || !strings.HasSuffix(ex, "…") || len([]rune(ex)) != MaxExcerpt+1 {
		t.Errorf("excerpt %q: want the text's start on one line, %d characters and an ellipsis", ex, MaxExcerpt)
	}
	if ms, _ := s.MessagesAfter(ctx, b.open.ID, orig.ID, 1); len(ms) != 1 || ms[0].ReplyTo == nil || ms[0].ReplyTo.ID != orig.ID {
		t.Errorf("history loses the reply: %+v", ms)
	}
	// The quote reads as the original does now.
	if _, err := s.exec(ctx, "UPDATE messages SET body = '' WHERE id = ?", orig.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Message(ctx, reply.ID); got.ReplyTo == nil || got.ReplyTo.Excerpt != "" {
		t.Errorf("reply to a deleted message quotes %+v", got.ReplyTo)
	}
	if _, err := s.Message(ctx, 1<<40); !errors.Is(err, ErrNotFound) {
		t.Errorf("Message(unknown) = %v, want ErrNotFound", err)
	}

	// A window: n on each side, and whether more lie beyond.
	w, err := s.MessagesAround(ctx, b.open.ID, room[10].ID, 5)
	if err != nil || len(w.Messages) != 11 || w.Messages[0].ID != room[5].ID || w.Messages[10].ID != room[15].ID || !w.HasOlder || !w.HasNewer {
		t.Errorf("MessagesAround(middle) = %d messages, %+v, %v", len(w.Messages), w, err)
	}
	w, err = s.MessagesAround(ctx, b.open.ID, room[2].ID, 5)
	if err != nil || len(w.Messages) != 8 || w.Messages[0].ID != room[0].ID || w.HasOlder || !w.HasNewer {
		t.Errorf("MessagesAround(near the start) = %+v, %v", w, err)
	}
	w, err = s.MessagesAround(ctx, b.open.ID, reply.ID, 5)
	if err != nil || len(w.Messages) != 6 || w.Messages[5].ID != reply.ID || !w.HasOlder || w.HasNewer {
		t.Errorf("MessagesAround(the newest) = %+v, %v", w, err)
	}
	other := b.post(b.secret, b.ann, "elsewhere")
	if _, err := s.MessagesAround(ctx, b.open.ID, other.ID, 5); !errors.Is(err, ErrNotFound) {
		t.Errorf("MessagesAround(another room's message) = %v, want ErrNotFound", err)
	}
}

// A database made before search holds messages: the migration indexes
// them.
func TestSearchIndexesOldMessages(t *testing.T) {
	ctx := context.Background()
	s := upgraded(t, 2,
		"INSERT INTO users (id, name, name_key, created_at) VALUES ('u1', 'Ann', 'ann', 1)",
		"INSERT INTO members (room_id, user_id, joined_at) VALUES (1, 'u1', 1)",
		"INSERT INTO messages (room_id, user_id, user_name, body, created_at) VALUES (1, 'u1', 'Ann', 'from before the index', 1)",
	)
	if hits, err := s.Search(ctx, "u1", "before", 10); err != nil || len(hits) != 1 {
		t.Errorf("old message after the migration: %+v, %v", hits, err)
	}
}
