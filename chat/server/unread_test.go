package server

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/signalr-go/signalr/chat/hub"
	"github.com/signalr-go/signalr/chat/store"
)

// unreadOf returns a person's counts in one room, and whether the room
// was listed at all.
func unreadOf(c *hubClient, roomID int64) (store.Unread, bool) {
	c.t.Helper()
	var us []store.Unread
	c.must(&us, "Unread")
	for _, u := range us {
		if u.RoomID == roomID {
			return u, true
		}
	}
	return store.Unread{}, false
}

func TestUnreadCountsPerPerson(t *testing.T) {
	b := newBench(t, Config{})
	ann, bob, cy := b.login("Ann Lee", ""), b.login("Bob", ""), b.login("Cy", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	ca2, _ := b.dial("/hubs/chat", ann.Token) // Ann's second device
	cb, _ := b.dial("/hubs/chat", bob.Token)
	cc, _ := b.dial("/hubs/chat", cy.Token)
	var general hub.RoomState
	cb.must(&general, "JoinRoom", 1)
	g := general.Room.ID

	var first, second, third store.Message
	cb.must(&first, "SendMessage", g, "morning", "")
	cb.must(&second, "SendMessage", g, "@ann lee, and @cy: look", "")
	cc.must(&third, "SendMessage", g, "@Bob hi", "")
	if fmt.Sprint(second.Mentions) != fmt.Sprintf("[{%s ann lee} {%s cy}]", ann.UserID, cy.UserID) {
		t.Errorf("mentions of %q: %+v", second.Text, second.Mentions)
	}
	// Members receive the mentions with the message.
	var got store.Message
	for got.ID != second.ID {
		ca2.event("MessageReceived", &got)
	}
	if len(got.Mentions) != 2 || got.Mentions[0].UserID != ann.UserID {
		t.Errorf("received mentions: %+v", got.Mentions)
	}

	for _, tc := range []struct {
		who  string
		c    *hubClient
		want store.Unread
	}{
		{"Ann", ca, store.Unread{RoomID: g, Unread: 3, Mentions: 1, FirstUnread: first.ID, Latest: third.ID}},
		{"Bob", cb, store.Unread{RoomID: g, Unread: 1, Mentions: 1, FirstUnread: third.ID, Latest: third.ID}},
		{"Cy", cc, store.Unread{RoomID: g, Unread: 2, Mentions: 1, FirstUnread: first.ID, Latest: third.ID}},
	} {
		if u, ok := unreadOf(tc.c, g); !ok || u != tc.want {
			t.Errorf("%s: %+v (listed %v), want %+v", tc.who, u, ok, tc.want)
		}
	}

	// Reading on one device clears the counts on the other, not on Bob's.
	ca.must(nil, "MarkRead", g, second.ID)
	var up store.Unread
	ca2.event("ReadUpTo", &up)
	if want := (store.Unread{RoomID: g, LastRead: second.ID, Unread: 1, FirstUnread: third.ID, Latest: third.ID}); up != want {
		t.Errorf("ReadUpTo on the other device: %+v, want %+v", up, want)
	}
	if cb.seen("ReadUpTo") {
		t.Error("another person heard of Ann's read mark")
	}
	// A mark that does not move says nothing.
	ca2.events = nil
	ca.must(nil, "MarkRead", g, first.ID)
	if ca2.seen("ReadUpTo") {
		t.Error("ReadUpTo for a mark that did not move")
	}

	// The counts are the server's: a new connection finds them.
	ca3, _ := b.dial("/hubs/chat", ann.Token)
	if u, _ := unreadOf(ca3, g); u.Unread != 1 || u.Mentions != 0 || u.LastRead != second.ID {
		t.Errorf("after reconnecting: %+v", u)
	}
	ca3.must(nil, "MarkRead", g, third.ID)
	if u, _ := unreadOf(ca, g); u.Unread != 0 || u.FirstUnread != 0 {
		t.Errorf("after reading everything: %+v", u)
	}
}

// Only members are mentioned, only members hear of a room's counts.
func TestUnreadOnlyForMembers(t *testing.T) {
	ca, cb, secret, m := bobsRoom(t, "@Ann is not here")
	if len(m.Mentions) != 0 {
		t.Errorf("a non-member was mentioned: %+v", m.Mentions)
	}
	if _, ok := unreadOf(ca, secret.ID); ok {
		t.Error("a non-member got counts of a room")
	}
	if e := ca.call(nil, "MarkRead", secret.ID, m.ID); !strings.Contains(e, "not a member") {
		t.Errorf("MarkRead by a non-member: %q", e)
	}
	if ca.seen("ReadUpTo") || ca.seen("MessageReceived") {
		t.Error("a non-member heard of the room")
	}
	// Once she joins, her mention is counted for the messages after.
	ca.must(nil, "JoinRoom", secret.ID)
	var m2 store.Message
	cb.must(&m2, "SendMessage", secret.ID, "welcome @ann", "")
	if u, ok := unreadOf(ca, secret.ID); !ok || u.Unread != 2 || u.Mentions != 1 {
		t.Errorf("after joining: %+v (listed %v)", u, ok)
	}
	// Leaving ends the counts.
	ca.must(nil, "LeaveRoom", secret.ID)
	if _, ok := unreadOf(ca, secret.ID); ok {
		t.Error("counts of a room left")
	}
}

func TestUnreadRefusesBadInput(t *testing.T) {
	b := newBench(t, Config{})
	ann, bob := b.login("Ann", ""), b.login("Bob", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	cb, _ := b.dial("/hubs/chat", bob.Token)
	var other store.Room
	cb.must(&other, "CreateRoom", "other")
	var m store.Message
	cb.must(&m, "SendMessage", other.ID, "elsewhere", "")
	for _, call := range []struct {
		method string
		args   []any
		want   string
	}{
		{"Unread", []any{"u-bob"}, ""}, // whose counts is never an argument
		{"MarkRead", []any{1, m.ID}, "no message"},
		{"MarkRead", []any{1, "1"}, ""},
		{"MarkRead", []any{1, 1 << 62}, "no message"},
	} {
		e := ca.call(nil, call.method, call.args...)
		if e == "" || !strings.Contains(e, call.want) {
			t.Errorf("%s%v: error %q, want one saying %q", call.method, call.args, e, call.want)
		}
	}
	// Many "@" cost a bounded look-up and mention nobody twice, nor the author.
	var flood store.Message
	cb.must(&flood, "SendMessage", 1, strings.Repeat("@Ann @Bob @nobody ", 200), "")
	if len(flood.Mentions) != 1 || flood.Mentions[0].UserID != ann.UserID {
		t.Errorf("flood mentions: %+v", flood.Mentions)
	}
}

// A shared file's caption mentions as a text does: uploads post through
// the same Service.Post.
func TestUnreadFileCaptionMentions(t *testing.T) {
	b := newBench(t, Config{})
	ann, bob := b.login("Ann", ""), b.login("Bob", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	status, m := b.upload(bob.Token, 1, "plan.txt", []byte("the plan"))
	if status != 200 {
		t.Fatalf("upload: %d", status)
	}
	if u, _ := unreadOf(ca, 1); u.Unread != 1 || u.Mentions != 0 {
		t.Errorf("after an upload without caption: %+v", u)
	}
	captioned := store.Message{RoomID: 1, UserID: bob.UserID, UserName: "Bob", Text: "for @ann", File: m.File}
	if _, err := b.app.chat.Post(context.Background(), captioned); err != nil {
		t.Fatal(err)
	}
	var got store.Message
	for got.Text == "" {
		ca.event("MessageReceived", &got)
	}
	if len(got.Mentions) != 1 || got.Mentions[0].UserID != ann.UserID {
		t.Errorf("caption mentions: %+v", got.Mentions)
	}
	if u, _ := unreadOf(ca, 1); u.Unread != 2 || u.Mentions != 1 {
		t.Errorf("after a captioned file: %+v", u)
	}
}

// Deleted messages are not news; an edit's mentions replace the old ones.
func TestUnreadFollowsEditsAndDeletions(t *testing.T) {
	b := newBench(t, Config{})
	ann, bob := b.login("Ann", ""), b.login("Bob", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	cb, _ := b.dial("/hubs/chat", bob.Token)
	var plain, gone store.Message
	cb.must(&plain, "SendMessage", 1, "hello", "")
	cb.must(&gone, "SendMessage", 1, "@Ann look", "")
	if u, _ := unreadOf(ca, 1); u.Unread != 2 || u.Mentions != 1 {
		t.Fatalf("before: %+v", u)
	}
	var edited store.Message
	cb.must(&edited, "EditMessage", plain.ID, "hello @ann")
	if len(edited.Mentions) != 1 || edited.Mentions[0].Text != "ann" {
		t.Errorf("edited mentions: %+v", edited.Mentions)
	}
	cb.must(nil, "DeleteMessage", gone.ID)
	if u, _ := unreadOf(ca, 1); u.Unread != 1 || u.Mentions != 1 || u.FirstUnread != plain.ID {
		t.Errorf("after editing one and deleting the other: %+v", u)
	}
	var again store.Message
	cb.must(&again, "EditMessage", plain.ID, "hello")
	if u, _ := unreadOf(ca, 1); u.Unread != 1 || u.Mentions != 0 || len(again.Mentions) != 0 {
		t.Errorf("after editing the mention out: %+v, %+v", u, again.Mentions)
	}
	var page []store.Message
	ca.must(&page, "MessagesSince", 1, 0)
	if len(page) != 2 || len(page[1].Mentions) != 0 {
		t.Errorf("history: %+v", page)
	}
}
