package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/signalr-go/signalr/chat/names"
)

func TestUnreadSQLite(t *testing.T) {
	s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "chat.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runUnreadSuite(t, s)
}

func TestUnreadPostgres(t *testing.T) { runUnreadSuite(t, openTestPostgres(t)) }

// runUnreadSuite checks the mention and unread queries.
func runUnreadSuite(t *testing.T, s *Store) {
	ctx := context.Background()
	for _, u := range []User{{ID: "u-ann", Name: "Ann Lee"}, {ID: "u-bob", Name: "Bob"}, {ID: "u-cy", Name: "Cy"}} {
		if _, err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	room, err := s.CreateRoom(ctx, "Dev", "u-ann")
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.CreateRoom(ctx, "Other", "u-ann")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"u-ann", "u-bob"} {
		if err := s.Join(ctx, room.ID, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Join(ctx, other.ID, "u-bob"); err != nil {
		t.Fatal(err)
	}

	// Only members are found by their key; Cy is not in the room.
	found, err := s.MembersByKey(ctx, room.ID, []string{names.Key("ANN LEE"), names.Key("cy"), names.Key("nobody")})
	if err != nil || len(found) != 1 || found[names.Key("Ann Lee")] != "u-ann" {
		t.Errorf("MembersByKey = %v, %v; want only Ann Lee", found, err)
	}
	if found, err := s.MembersByKey(ctx, room.ID, nil); err != nil || len(found) != 0 {
		t.Errorf("MembersByKey(none) = %v, %v", found, err)
	}

	post := func(roomID int64, userID, text string, mentions ...Mention) Message {
		t.Helper()
		m, _, err := s.AddMessage(ctx, Message{RoomID: roomID, UserID: userID, UserName: userID, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AddMentions(ctx, m, mentions); err != nil {
			t.Fatal(err)
		}
		return m
	}
	bobSays := post(room.ID, "u-bob", "hello")
	mention := post(room.ID, "u-bob", "hi @ann lee", Mention{UserID: "u-ann", Text: "ann lee"})
	post(room.ID, "u-ann", "@Bob and @Cy", Mention{UserID: "u-bob", Text: "Bob"}, Mention{UserID: "u-cy", Text: "Cy"})
	post(other.ID, "u-bob", "elsewhere")
	// Recording a mention again changes nothing.
	if err := s.AddMentions(ctx, mention, []Mention{{UserID: "u-ann", Text: "ann lee"}}); err != nil {
		t.Errorf("AddMentions again: %v", err)
	}

	ms, err := s.MessagesAfter(ctx, room.ID, 0, 10)
	if err != nil || len(ms) != 3 {
		t.Fatalf("MessagesAfter = %v, %v", ms, err)
	}
	if len(ms[0].Mentions) != 0 || fmt.Sprint(ms[1].Mentions) != "[{u-ann ann lee}]" ||
		fmt.Sprint(ms[2].Mentions) != "[{u-bob Bob} {u-cy Cy}]" {
		t.Errorf("mentions of the messages: %v %v %v", ms[0].Mentions, ms[1].Mentions, ms[2].Mentions)
	}
	if ms, err := s.MessagesBefore(ctx, room.ID, 0, 1); err != nil || len(ms) != 1 || len(ms[0].Mentions) != 2 {
		t.Errorf("MessagesBefore = %+v, %v; want the last message with its 2 mentions", ms, err)
	}

	latest := ms[2].ID
	want := func(userID string, w ...Unread) {
		t.Helper()
		got, err := s.Unread(ctx, userID)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("Unread(%s) = %+v, %v; want %+v", userID, got, err, w)
		}
		for _, u := range w {
			if one, err := s.UnreadIn(ctx, u.RoomID, userID); err != nil || one != u {
				t.Errorf("UnreadIn(%d, %s) = %+v, %v; want %+v", u.RoomID, userID, one, err, u)
			}
		}
	}
	// Ann's own messages do not count.
	want("u-ann", Unread{RoomID: room.ID, Unread: 2, Mentions: 1, FirstUnread: bobSays.ID, Latest: latest})
	// Bob is mentioned by Ann; the other room has only his own message.
	want("u-bob",
		Unread{RoomID: room.ID, Unread: 1, Mentions: 1, FirstUnread: latest, Latest: latest},
		Unread{RoomID: other.ID, Latest: latest + 1})
	want("u-cy")
	if _, err := s.UnreadIn(ctx, room.ID, "u-cy"); !errors.Is(err, ErrNotFound) {
		t.Errorf("UnreadIn of a non-member = %v, want ErrNotFound", err)
	}

	// Reading moves the counts; a mark past the mention clears it.
	if _, err := s.MarkRead(ctx, room.ID, "u-ann", bobSays.ID); err != nil {
		t.Fatal(err)
	}
	want("u-ann", Unread{RoomID: room.ID, LastRead: bobSays.ID, Unread: 1, Mentions: 1, FirstUnread: mention.ID, Latest: latest})
	if _, err := s.MarkRead(ctx, room.ID, "u-ann", latest); err != nil {
		t.Fatal(err)
	}
	want("u-ann", Unread{RoomID: room.ID, LastRead: latest, Latest: latest})

	// SetMentions replaces a message's mentions; a deleted message is not news.
	extra := post(room.ID, "u-bob", "@ann lee again", Mention{UserID: "u-ann", Text: "ann lee"})
	want("u-ann", Unread{RoomID: room.ID, LastRead: latest, Unread: 1, Mentions: 1, FirstUnread: extra.ID, Latest: extra.ID})
	if err := s.SetMentions(ctx, extra, nil); err != nil {
		t.Fatal(err)
	}
	want("u-ann", Unread{RoomID: room.ID, LastRead: latest, Unread: 1, FirstUnread: extra.ID, Latest: extra.ID})
	if err := s.SetMentions(ctx, extra, []Mention{{UserID: "u-bob", Text: "bob"}}); err != nil {
		t.Fatal(err)
	}
	if m, err := s.Message(ctx, extra.ID); err != nil || fmt.Sprint(m.Mentions) != "[{u-bob bob}]" {
		t.Errorf("after SetMentions: %+v, %v", m.Mentions, err)
	}
	if _, _, err := s.DeleteMessage(ctx, extra.ID); err != nil {
		t.Fatal(err)
	}
	want("u-ann", Unread{RoomID: room.ID, LastRead: latest, Latest: extra.ID})

	// Counts stop at UnreadCap.
	// (Written in two statements: a message at a time takes seconds.)
	if _, err := s.exec(ctx, `INSERT INTO messages (room_id, user_id, user_name, body, created_at)
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		SELECT ?, 'u-bob', 'Bob', '@ann lee', 0 FROM n`, UnreadCap+2, room.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.exec(ctx, `INSERT INTO mentions (message_id, room_id, user_id, text)
		SELECT id, room_id, 'u-ann', 'ann lee' FROM messages WHERE room_id = ? AND id > ?`, room.ID, latest); err != nil {
		t.Fatal(err)
	}
	u, err := s.UnreadIn(ctx, room.ID, "u-ann")
	if err != nil || u.Unread != UnreadCap || u.Mentions != UnreadCap || u.FirstUnread <= latest {
		t.Errorf("after %d more: %+v, %v; want both counts at %d", UnreadCap+2, u, err, UnreadCap)
	}
}
