package server

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/signalr-go/signalr/chat/hub"
	"github.com/signalr-go/signalr/chat/store"
	"github.com/signalr-go/signalr/protocol"
)

// private is the option of CreateRoomWith that makes a private room.
var private = map[string]bool{"private": true}

// leaks returns the events received so far (after a round trip that
// flushes what is in flight) that are about a room: its messages,
// presence, typing, receipts, membership and announcements.
func (c *hubClient) leaks(roomID int64) []string {
	c.t.Helper()
	c.seen("")
	var out []string
	for _, m := range c.events {
		if len(m.Arguments) == 0 {
			continue
		}
		var arg any
		if err := c.hp.Unmarshal(m.Arguments[0].(protocol.Raw), &arg); err != nil {
			c.t.Fatal(err)
		}
		var id any = arg
		if obj, ok := arg.(map[string]any); ok {
			id = obj["id"] // a room (RoomCreated, RoomAdded, ConversationStarted)
			if _, ok := obj["roomId"]; ok {
				id = obj["roomId"] // a message or a read receipt
			}
		}
		if f, ok := id.(float64); ok && int64(f) == roomID {
			out = append(out, m.Target)
		}
	}
	return out
}

// A private room does not exist for anyone but its members: not in the
// room list, not by id, not through any of its events or files.
func TestPrivateRoomIsHiddenFromNonMembers(t *testing.T) {
	b := newBench(t, Config{})
	ann, bob := b.login("Ann", ""), b.login("Bob", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	cb, _ := b.dial("/hubs/chat", bob.Token)
	cb.must(nil, "JoinRoom", 1) // bob is somewhere, hearing what goes on there

	var secret store.Room
	ca.must(&secret, "CreateRoomWith", "secret", private)
	if secret.Kind != store.KindPrivate || secret.CreatedBy != ann.UserID {
		t.Fatalf("created %+v, want a private room of ann's", secret)
	}
	var pub store.Room
	ca.must(&pub, "CreateRoom", "open")
	if pub.Kind != store.KindPublic {
		t.Errorf("CreateRoom made a %q room", pub.Kind)
	}
	var m store.Message
	ca.must(&m, "SendMessage", secret.ID, "members only", "")
	ca.must(nil, "Typing", secret.ID)
	ca.must(nil, "MarkRead", secret.ID, m.ID)
	_, file := b.upload(ann.Token, secret.ID, "plan.txt", []byte("the plan"))
	time.Sleep(250 * time.Millisecond) // presence news are gathered for 100 ms

	var rooms []hub.RoomInfo
	cb.must(&rooms, "Rooms")
	for _, r := range rooms {
		if r.ID == secret.ID {
			t.Errorf("bob's room list holds the private room: %+v", rooms)
		}
	}
	if len(rooms) != 2 {
		t.Errorf("bob sees %d rooms, want general and open", len(rooms))
	}
	if got := cb.leaks(secret.ID); len(got) != 0 {
		t.Errorf("a non-member received the private room's events %v", got)
	}
	// Joining it is refused exactly like joining a room that does not exist.
	const missing = 987654
	e1, e2 := cb.call(nil, "JoinRoom", secret.ID), cb.call(nil, "JoinRoom", missing)
	if e1 == "" || e1 != strings.Replace(e2, fmt.Sprint(missing), fmt.Sprint(secret.ID), 1) {
		t.Errorf("JoinRoom(private) = %q, JoinRoom(missing) = %q: want the same refusal", e1, e2)
	}
	for _, call := range []struct {
		method string
		args   []any
	}{
		{"History", []any{secret.ID, 0}},
		{"MessagesSince", []any{secret.ID, 0}},
		{"SendMessage", []any{secret.ID, "let me in", ""}},
		{"MarkRead", []any{secret.ID, m.ID}},
		{"Typing", []any{secret.ID}},
		{"RoomMembers", []any{secret.ID}},
		{"InviteToRoom", []any{secret.ID, "Bob"}},
		{"RemoveFromRoom", []any{secret.ID, ann.UserID}},
	} {
		var out any
		if e := cb.call(&out, call.method, call.args...); !strings.Contains(e, "not a member") {
			t.Errorf("%s on a private room: error %q, result %v; want 'not a member'", call.method, e, out)
		}
	}
	if ok, _ := b.app.Store().IsMember(t.Context(), secret.ID, bob.UserID); ok {
		t.Error("bob became a member")
	}
	if res, _ := b.download(bob.Token, "/api/files/"+file.File.ID+"/plan.txt"); res.StatusCode != http.StatusNotFound {
		t.Errorf("non-member download: %d, want 404", res.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, b.url+"/api/rooms/"+itoa(secret.ID)+"/files", nil)
	req.Header.Set("Authorization", "Bearer "+bob.Token)
	if res, _ := b.do(req); res.StatusCode != http.StatusForbidden {
		t.Errorf("non-member file list: %d, want 403", res.StatusCode)
	}
	if status, _ := b.upload(bob.Token, secret.ID, "x.txt", []byte("x")); status != http.StatusForbidden {
		t.Errorf("non-member upload: %d, want 403", status)
	}
	// The owner's other tab hears of it.
	ca2, _ := b.dial("/hubs/chat", ann.Token)
	ca2.must(&rooms, "Rooms")
	if len(rooms) != 3 || rooms[1].ID != secret.ID || !rooms[1].Joined || rooms[1].Kind != store.KindPrivate {
		t.Errorf("ann's room list = %+v, want the private room, joined", rooms)
	}
}

// Members invite people by name; the invited see the room at once; only
// the owner removes members, whose connections leave the room at once.
func TestPrivateRoomInviteAndRemove(t *testing.T) {
	b := newBench(t, Config{})
	ann, bob, cy := b.login("Ann", ""), b.login("Bob", ""), b.login("Cy", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	cb, _ := b.dial("/hubs/chat", bob.Token)
	cc, _ := b.dial("/hubs/chat", cy.Token)
	var secret store.Room
	ca.must(&secret, "CreateRoomWith", "secret", private)
	var m store.Message
	ca.must(&m, "SendMessage", secret.ID, "before bob", "")

	if e := ca.call(nil, "InviteToRoom", secret.ID, "Nobody"); !strings.Contains(e, "nobody named") {
		t.Errorf("inviting an unknown name: %q", e)
	}
	var invited store.RoomMember
	ca.must(&invited, "InviteToRoom", secret.ID, "bob")
	if invited.UserID != bob.UserID || invited.Name != "Bob" {
		t.Errorf("invited %+v", invited)
	}
	var added hub.RoomInfo
	cb.event("RoomAdded", &added)
	if added.ID != secret.ID || added.Name != "secret" || !added.Joined {
		t.Errorf("RoomAdded = %+v", added)
	}
	// Bob is in the room's group already: its messages reach him.
	ca.must(nil, "SendMessage", secret.ID, "hello bob", "")
	var got store.Message
	cb.event("MessageReceived", &got)
	if got.Text != "hello bob" {
		t.Errorf("bob got %+v", got)
	}
	var st hub.RoomState
	cb.must(&st, "JoinRoom", secret.ID)
	if len(st.Messages) != 2 || st.Messages[0].Text != "before bob" {
		t.Errorf("bob's history = %+v", st.Messages)
	}
	// A member invites too; then the member list has everyone.
	cb.must(nil, "InviteToRoom", secret.ID, "Cy")
	cc.event("RoomAdded", &added)
	var members []hub.MemberInfo
	cc.must(&members, "RoomMembers", secret.ID)
	if len(members) != 3 || members[0].Name != "Ann" || !members[0].Owner || members[1].Owner || !members[1].Online {
		t.Errorf("members = %+v, want Ann (owner), Bob (online), Cy", members)
	}

	// Only the owner removes.
	if e := cb.call(nil, "RemoveFromRoom", secret.ID, cy.UserID); !strings.Contains(e, "owner") {
		t.Errorf("a member removing another: %q, want a refusal naming the owner", e)
	}
	if e := ca.call(nil, "RemoveFromRoom", secret.ID, "not-a-user"); !strings.Contains(e, "not a member") {
		t.Errorf("removing a non-member: %q", e)
	}
	if e := ca.call(nil, "RemoveFromRoom", 1, bob.UserID); e == "" {
		t.Error("removing someone from a public room succeeded")
	}
	ca.must(nil, "RemoveFromRoom", secret.ID, bob.UserID)
	var gone int64
	cb.event("RoomRemoved", &gone)
	if gone != secret.ID {
		t.Errorf("RoomRemoved(%d), want %d", gone, secret.ID)
	}
	cb.events = nil
	ca.must(nil, "SendMessage", secret.ID, "after bob", "")
	ca.must(nil, "Typing", secret.ID)
	cc.event("MessageReceived", &got) // delivered to the members by now
	if got := cb.leaks(secret.ID); len(got) != 0 {
		t.Errorf("a removed member still received %v", got)
	}
	if e := cb.call(nil, "History", secret.ID, 0); !strings.Contains(e, "not a member") {
		t.Errorf("History after removal: %q", e)
	}
	if e := cb.call(nil, "JoinRoom", secret.ID); !strings.Contains(e, "There is no room") {
		t.Errorf("JoinRoom after removal: %q", e)
	}
	var rooms []hub.RoomInfo
	cb.must(&rooms, "Rooms")
	if len(rooms) != 1 {
		t.Errorf("bob's rooms after removal: %+v", rooms)
	}
}

// A conversation is one per set of people, seen and read by its members
// only, and appears live in the others' lists.
func TestConversations(t *testing.T) {
	b := newBench(t, Config{})
	ann, bob, cy := b.login("Ann", ""), b.login("Bob", ""), b.login("Cy", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	cb, _ := b.dial("/hubs/chat", bob.Token)
	cc, _ := b.dial("/hubs/chat", cy.Token)

	var dm store.Conversation
	ca.must(&dm, "StartConversation", []string{"bob"})
	if dm.Kind != store.KindDM || dm.Name != "Bob" || len(dm.Members) != 2 {
		t.Fatalf("conversation = %+v", dm)
	}
	var started store.Conversation
	cb.event("ConversationStarted", &started)
	if started.ID != dm.ID || started.Name != "Ann" {
		t.Errorf("bob was told of %+v, want conversation %d named Ann", started, dm.ID)
	}
	var again store.Conversation
	cb.must(&again, "StartConversation", []string{"ANN", "Bob"})
	if again.ID != dm.ID {
		t.Errorf("the same two people got conversation %d and %d", dm.ID, again.ID)
	}
	var group store.Conversation
	cc.must(&group, "StartConversation", []string{"Ann", "Bob"})
	if group.ID == dm.ID || len(group.Members) != 3 || group.Name != "Ann, Bob" {
		t.Errorf("group = %+v", group)
	}

	var m store.Message
	ca.must(&m, "SendMessage", dm.ID, "just us", "")
	cb.event("MessageReceived", &m)
	cb.must(nil, "Typing", dm.ID)
	cb.must(nil, "MarkRead", dm.ID, m.ID)
	_, file := b.upload(ann.Token, dm.ID, "note.txt", []byte("note"))
	time.Sleep(250 * time.Millisecond)
	if got := cc.leaks(dm.ID); len(got) != 0 {
		t.Errorf("cy received the conversation's events %v", got)
	}
	var st hub.RoomState
	cb.must(&st, "JoinRoom", dm.ID)
	if st.Room.Name != "Ann" || len(st.Messages) != 2 {
		t.Errorf("bob's view of the conversation: %+v, %d messages", st.Room, len(st.Messages))
	}
	if e := cc.call(nil, "JoinRoom", dm.ID); !strings.Contains(e, "There is no room") {
		t.Errorf("cy joining: %q", e)
	}
	for _, method := range []string{"History", "MessagesSince"} {
		if e := cc.call(nil, method, dm.ID, 0); !strings.Contains(e, "not a member") {
			t.Errorf("cy %s: %q", method, e)
		}
	}
	if e := cc.call(nil, "SendMessage", dm.ID, "hi", ""); !strings.Contains(e, "not a member") {
		t.Errorf("cy sending: %q", e)
	}
	if res, _ := b.download(cy.Token, "/api/files/"+file.File.ID+"/note.txt"); res.StatusCode != http.StatusNotFound {
		t.Errorf("cy downloading: %d, want 404", res.StatusCode)
	}
	if res, body := b.download(bob.Token, "/api/files/"+file.File.ID+"/note.txt"); res.StatusCode != http.StatusOK || !bytes.Equal(body, []byte("note")) {
		t.Errorf("bob downloading: %d %q", res.StatusCode, body)
	}

	// Lists: conversations apart from rooms.
	var rooms []hub.RoomInfo
	cb.must(&rooms, "Rooms")
	for _, r := range rooms {
		if r.Kind == store.KindDM {
			t.Errorf("a conversation in the room list: %+v", r)
		}
	}
	var cs []store.Conversation
	cb.must(&cs, "Conversations")
	if len(cs) != 2 || cs[0].ID != dm.ID || cs[0].Name != "Ann" || cs[1].Name != "Ann, Cy" {
		t.Errorf("bob's conversations = %+v", cs)
	}
	cc.must(&cs, "Conversations")
	if len(cs) != 1 || cs[0].ID != group.ID {
		t.Errorf("cy's conversations = %+v", cs)
	}
	for _, call := range []struct {
		method string
		args   []any
	}{
		{"InviteToRoom", []any{dm.ID, "Cy"}},
		{"RemoveFromRoom", []any{dm.ID, bob.UserID}},
	} {
		if e := ca.call(nil, call.method, call.args...); e == "" {
			t.Errorf("%s on a conversation succeeded", call.method)
		}
	}
}

// Bad arguments and limits get clear errors.
func TestConversationAndRoomLimits(t *testing.T) {
	b := newBench(t, Config{Limits: Limits{MaxMemberships: 4, MaxConversations: 1, MaxConversationSize: 3}})
	ann, _, _ := b.login("Ann", ""), b.login("Bob", ""), b.login("Cy", "")
	b.login("Dee", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)

	// As many names as fit in a message the server accepts (a longer one
	// closes the connection before any hub method runs).
	huge := make([]string, 2000)
	for i := range huge {
		huge[i] = fmt.Sprint("p", i)
	}
	for _, c := range []struct {
		args []any
		want string
	}{
		{[]any{[]string{}}, "1 to 2 others"},
		{[]any{[]string{"Bob", "Cy", "Dee"}}, "1 to 2 others"},
		{[]any{huge}, "1 to 2 others"},
		{[]any{[]string{"Ann"}}, "other than yourself"},
		{[]any{[]string{"Zed"}}, "nobody named"},
		{[]any{[]string{"a\u0000b"}}, "control"},
		{[]any{"Bob"}, ""},
		{[]any{[]int{1}}, ""},
	} {
		e := ca.call(nil, "StartConversation", c.args...)
		if e == "" || !strings.Contains(e, c.want) {
			t.Errorf("StartConversation(%.40v) = %q, want an error with %q", c.args, e, c.want)
		}
	}
	if e := ca.call(nil, "CreateRoomWith", "x", "yes"); e == "" {
		t.Error("CreateRoomWith with a string option succeeded")
	}
	var dm store.Conversation
	ca.must(&dm, "StartConversation", []string{"Bob", "Cy"})
	if e := ca.call(nil, "StartConversation", []string{"Dee"}); !strings.Contains(e, "1 conversations, the most") {
		t.Errorf("past the conversation limit: %q", e)
	}
	ca.must(nil, "StartConversation", []string{"Cy", "Bob"}) // the existing one still opens
	// general, the conversation, and two rooms: four memberships.
	ca.must(nil, "CreateRoom", "one")
	ca.must(nil, "CreateRoomWith", "two", private)
	if e := ca.call(nil, "CreateRoomWith", "three", private); !strings.Contains(e, "You are in 4 rooms and conversations, the most") {
		t.Errorf("past the membership limit: %q", e)
	}
	var open store.Room
	cc, _ := b.dial("/hubs/chat", b.login("Cy", "").Token)
	cc.must(&open, "CreateRoom", "open")
	if e := ca.call(nil, "JoinRoom", open.ID); !strings.Contains(e, "the most one person may be in") {
		t.Errorf("joining past the limit: %q", e)
	}
	cc.must(nil, "CreateRoom", "cys")
	if e := cc.call(nil, "InviteToRoom", open.ID, "Ann"); !strings.Contains(e, "Ann is in 4 rooms") {
		t.Errorf("inviting someone at the limit: %q", e)
	}
}
