package server

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signalr-go/signalr/chat/hub"
	"github.com/signalr-go/signalr/chat/store"
)

// These tests attack the chat from outside, over real connections, as a
// hostile client would: ids of rooms and messages it may not know of,
// ids of the wrong kind, malformed arguments, and floods.

// withoutIDs replaces the decimal numbers of an error, so that the
// answers for different ids compare.
func withoutIDs(e string) string { return digits.ReplaceAllString(e, "#") }

var digits = regexp.MustCompile(`[0-9]+`)

// A non-member leaving a private room, a conversation or a room that does
// not exist gets the same answer, and none of them hears of it: leaving
// is no oracle of what exists, and no way to make other people's pages
// refetch their member lists.
func TestLeaveRoomIsNoOracle(t *testing.T) {
	b := newBench(t, Config{})
	ann, bob, eve := b.login("Ann", ""), b.login("Bob", ""), b.login("Eve", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	b.dial("/hubs/chat", bob.Token)
	ce, _ := b.dial("/hubs/chat", eve.Token)

	var secret store.Room
	ca.must(&secret, "CreateRoomWith", "secret", private)
	var dm store.Conversation
	ca.must(&dm, "StartConversation", []string{"Bob"})
	time.Sleep(250 * time.Millisecond) // presence news are gathered for 100 ms
	ca.seen("")                        // flush ann's own events
	ca.events = nil

	answers := map[string]int64{"private": secret.ID, "conversation": dm.ID, "missing": 999_999}
	got := map[string]string{}
	for what, id := range answers {
		got[what] = withoutIDs(ce.call(nil, "LeaveRoom", id))
	}
	if got["private"] != got["missing"] || got["conversation"] != got["missing"] {
		t.Errorf("LeaveRoom answers differ by what exists: %q", got)
	}
	for _, id := range []int64{secret.ID, dm.ID} {
		if leaks := ce.leaks(id); len(leaks) != 0 {
			t.Errorf("eve leaving room %d was told %v", id, leaks)
		}
		if leaks := ca.leaks(id); len(leaks) != 0 {
			t.Errorf("eve leaving room %d made ann's page hear %v", id, leaks)
		}
	}
	ce.must(nil, "Rooms") // still connected
}

// A conversation has no owner: whoever started it cannot delete what the
// others wrote in it.
func TestConversationStarterCannotDeleteOthersMessages(t *testing.T) {
	b := newBench(t, Config{})
	ann, bob := b.login("Ann", ""), b.login("Bob", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	cb, _ := b.dial("/hubs/chat", bob.Token)
	var dm store.Conversation
	ca.must(&dm, "StartConversation", []string{"Bob"})
	var m store.Message
	cb.must(&m, "SendMessage", dm.ID, "mine, not ann's to delete", "")
	if e := ca.call(nil, "DeleteMessage", m.ID); !strings.Contains(e, "Only its author") {
		t.Errorf("the starter deleting bob's message: %q, want a refusal", e)
	}
	var st hub.RoomState
	cb.must(&st, "JoinRoom", dm.ID)
	if n := len(st.Messages); n != 1 || st.Messages[0].Deleted {
		t.Errorf("bob's message after ann's attempt: %+v", st.Messages)
	}
}

// Every new method answers malformed arguments with a hub error, and the
// connection stays usable.
func TestMalformedArguments(t *testing.T) {
	b := newBench(t, Config{})
	ann := b.login("Ann", "")
	b.login("Bob", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	var secret store.Room
	ca.must(&secret, "CreateRoomWith", "secret", private)
	var m store.Message
	ca.must(&m, "SendMessage", secret.ID, "hello", "")

	nested := map[string]any{"a": []any{map[string]any{"b": nil}}}
	bad := []struct {
		method string
		args   []any
	}{
		{"CreateRoomWith", []any{"x", nil, "extra"}},
		{"CreateRoomWith", []any{nested, map[string]any{"private": "yes"}}},
		{"CreateRoomWith", []any{"x"}},
		{"InviteToRoom", []any{"1", "Bob"}},
		{"InviteToRoom", []any{secret.ID, nested}},
		{"InviteToRoom", []any{secret.ID}},
		{"InviteToRoom", []any{secret.ID, strings.Repeat("B", 10_000)}},
		{"InviteToRoom", []any{math.MaxInt64, "Bob"}},
		{"RemoveFromRoom", []any{secret.ID, 42}},
		{"RemoveFromRoom", []any{-1, "x"}},
		{"RemoveFromRoom", []any{secret.ID, strings.Repeat("x", 10_000)}},
		{"StartConversation", []any{nil}},
		{"StartConversation", []any{[]any{nil, nested}}},
		{"StartConversation", []any{[]string{"Bob"}, "extra"}},
		{"StartConversation", []any{}},
		{"RoomMembers", []any{"1"}},
		{"RoomMembers", []any{math.MinInt64}},
		{"RoomMembers", []any{1e300}},
		{"Conversations", []any{1}},
		{"Unread", []any{nested}},
		{"SendReply", []any{secret.ID, "hi", "", "1"}},
		{"SendReply", []any{secret.ID, "hi", "", nil, 5}},
		{"SendReply", []any{secret.ID, "hi", ""}},
		{"SendReply", []any{secret.ID, "hi", "", math.MinInt64}},
		{"SendReply", []any{secret.ID, "hi", "", -1}},
		{"MessagesAround", []any{secret.ID, "x"}},
		{"MessagesAround", []any{secret.ID, math.MinInt64}},
		{"MessagesAround", []any{secret.ID, math.MaxInt64}},
		{"MessagesAround", []any{secret.ID}},
		{"Search", []any{nested}},
		{"Search", []any{strings.Repeat("é", 201)}},
		{"Search", []any{" \t\n "}},
		{"Search", []any{"a", "b"}},
		{"MarkRead", []any{secret.ID, math.MinInt64}},
		{"History", []any{secret.ID, "0"}},
		{"EditMessage", []any{m.ID, nil}},
		{"EditMessage", []any{math.MaxInt64, "x"}},
		{"React", []any{m.ID, strings.Repeat("👍", 1000)}},
		{"React", []any{m.ID, "👍 "}},
		{"React", []any{m.ID, nil}},
		{"DeleteMessage", []any{math.MinInt64}},
		{"LeaveRoom", []any{"general"}},
		{"JoinRoom", []any{nil, nil}},
	}
	for _, c := range bad {
		e := ca.call(nil, c.method, c.args...)
		if e == "" {
			t.Errorf("%s(%.60v) succeeded", c.method, c.args)
		}
		if strings.Contains(strings.ToLower(e), "panic") || strings.Contains(e, "store:") || strings.Contains(e, "sql") {
			t.Errorf("%s(%.60v) = %q: internals leak", c.method, c.args, e)
		}
	}
	var rooms []hub.RoomInfo
	ca.must(&rooms, "Rooms")
	var after hub.RoomState
	ca.must(&after, "JoinRoom", secret.ID)
	if len(after.Messages) != 1 || after.Messages[0].Text != "hello" || len(after.Messages[0].Reactions) != 0 {
		t.Errorf("the room after the bad calls: %+v", after.Messages)
	}
}

// Every hub call costs the server at least one query; none is free of a
// limit, so one client cannot keep the database busy with reads the page
// makes once per room switch.
func TestEveryCallIsLimited(t *testing.T) {
	b := newBench(t, Config{Limits: Limits{CallsPerUser: Rate{time.Hour, 5}}})
	ann, bob := b.login("Ann", ""), b.login("Bob", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	ca2, _ := b.dial("/hubs/chat", ann.Token)
	for _, method := range []string{"Rooms", "Conversations", "Rooms", "Conversations", "Rooms"} {
		ca.must(nil, method)
	}
	for _, method := range []string{"Conversations", "Rooms"} {
		if e := ca2.call(nil, method); !strings.Contains(e, "Too many requests: try again in ") {
			t.Errorf("%s past the limit: %q", method, e)
		}
	}
	for _, c := range [][]any{{"JoinRoom", 1}, {"LeaveRoom", 1}, {"RoomMembers", 1}, {"MarkRead", 1, 1}} {
		if e := ca.call(nil, c[0].(string), c[1:]...); !strings.Contains(e, "Too many requests") {
			t.Errorf("%v past the limit: %q", c, e)
		}
	}
	cb, _ := b.dial("/hubs/chat", bob.Token)
	cb.must(nil, "Rooms") // bob has his own allowance
}

// The calls that return pages of messages, or counts over every room,
// have a tighter limit of their own: 500 messages of 4 000 characters
// are 4 MB and 150 ms.
func TestPagesAreLimited(t *testing.T) {
	b := newBench(t, Config{Limits: Limits{PagesPerUser: Rate{time.Hour, 4}}})
	ann := b.login("Ann", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	ca.must(nil, "JoinRoom", 1)
	var m store.Message
	ca.must(&m, "SendMessage", 1, "hello", "")
	ca.must(nil, "MessagesSince", 1, 0)
	ca.must(nil, "History", 1, 0)
	ca.must(nil, "MessagesAround", 1, m.ID)
	ca.must(nil, "Unread")
	for _, c := range [][]any{{"MessagesSince", 1, 0}, {"History", 1, 0}, {"MessagesAround", 1, m.ID}, {"Unread"}} {
		if e := ca.call(nil, c[0].(string), c[1:]...); !strings.Contains(e, "Too many pages of messages: try again in ") {
			t.Errorf("%v past the limit: %q", c, e)
		}
	}
	ca.must(nil, "JoinRoom", 1) // other calls go on
}

// Typing notices go to every other member of a room: a client that sends
// them in a loop is refused, past a pace no page comes near.
func TestTypingIsLimited(t *testing.T) {
	b := newBench(t, Config{Limits: Limits{TypingPerUser: Rate{time.Hour, 3}}})
	ann := b.login("Ann", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	ca.must(nil, "JoinRoom", 1)
	for range 3 {
		ca.must(nil, "Typing", 1)
	}
	if e := ca.call(nil, "Typing", 1); !strings.Contains(e, "Too many typing notices") {
		t.Errorf("4th typing notice: %q", e)
	}
}

// Searching finds what messages say now: not the text an edit replaced,
// not the text of a deleted message.
func TestSearchForgetsEditedAndDeletedText(t *testing.T) {
	b := newBench(t, Config{})
	ann := b.login("Ann", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	var room store.Room
	ca.must(&room, "CreateRoomWith", "secret", private)
	var edited, deleted store.Message
	ca.must(&edited, "SendMessage", room.ID, "the password is hunter2", "")
	ca.must(&deleted, "SendMessage", room.ID, "my pin is swordfish", "")
	ca.must(nil, "EditMessage", edited.ID, "oops, nothing here")
	ca.must(nil, "DeleteMessage", deleted.ID)
	for _, q := range []string{"hunter2", "swordfish"} {
		var hits []store.SearchHit
		ca.must(&hits, "Search", q)
		if len(hits) != 0 {
			t.Errorf("search %q found %+v", q, hits)
		}
	}
	var hits []store.SearchHit
	ca.must(&hits, "Search", "nothing")
	if len(hits) != 1 || hits[0].ID != edited.ID {
		t.Errorf("search for the new text: %+v", hits)
	}
}

// The worst texts and queries a client may send cost little: a message of
// 4000 mention signs, markup and links; searches of the longest query,
// of many distinct terms and of terms matching every message.
func TestWorstInputsAreCheap(t *testing.T) {
	b := newBench(t, Config{Limits: Limits{MessagesPerUser: Rate{Burst: -1}, SearchesPerUser: Rate{Burst: -1},
		InvitesPerUser: Rate{Burst: -1}, SignInPerAddress: Rate{Burst: -1}, NewAccountsPerAddress: Rate{Burst: -1}}})
	ann := b.login("Ann", "")
	for i := range 30 {
		b.login(fmt.Sprint("a", i), "") // members whose names are prefixes of the texts below
	}
	ca, _ := b.dial("/hubs/chat", ann.Token)
	var room store.Room
	ca.must(&room, "CreateRoom", "big")
	for i := range 30 {
		ca.must(nil, "InviteToRoom", room.ID, fmt.Sprint("a", i))
	}
	texts := []string{
		strings.Repeat("@", hub.MaxTextLength),
		strings.Repeat("@a ", hub.MaxTextLength/3),
		strings.Repeat("@a1", hub.MaxTextLength/3),
		strings.Repeat("@"+strings.Repeat("a", 39)+" ", hub.MaxTextLength/41),
		strings.Repeat("**`", hub.MaxTextLength/3),
		strings.Repeat("http://a.b/", hub.MaxTextLength/11),
	}
	for _, text := range texts {
		start := time.Now()
		var m store.Message
		ca.must(&m, "SendMessage", room.ID, text, "")
		d := time.Since(start)
		if d > time.Second {
			t.Errorf("sending %.20q… took %v", text, d)
		}
		t.Logf("sending %.12q…: %v, %d mentions", text, d, len(m.Mentions))
		if len(m.Mentions) > 20 {
			t.Errorf("%.20q… mentions %d people", text, len(m.Mentions))
		}
	}
	for range 200 {
		ca.must(nil, "SendMessage", room.ID, "a a a a common word", "")
	}
	queries := []string{
		strings.Repeat("a ", hub.MaxQueryLength/2),
		strings.Repeat("é", hub.MaxQueryLength),
		"common",
		`"a" OR NEAR(a b) * ^a -a a:b`,
		strings.Repeat("x", 99) + " common",
	}
	var many []string // more distinct words than a search takes
	for i := range 40 {
		many = append(many, fmt.Sprint("w", i))
	}
	queries = append(queries, strings.Join(many, " "), "common "+strings.Join(many[:15], " "))
	for _, q := range queries {
		start := time.Now()
		var hits []store.SearchHit
		if e := ca.call(&hits, "Search", q); e != "" {
			t.Errorf("search %.20q…: %s", q, e)
		}
		d := time.Since(start)
		if d > time.Second {
			t.Errorf("search %.20q… took %v", q, d)
		}
		t.Logf("search %.12q…: %v, %d hits", q, d, len(hits))
	}
}

// Conversations started by someone else count against a person's limit
// of conversations: they must be able to leave them, or anyone could use
// their allowance up for good, with conversations of sets that hold them
// and a few others. Starting a conversation again with someone who left
// it brings them back, within their limits.
func TestOthersCannotUseUpYourConversations(t *testing.T) {
	b := newBench(t, Config{Limits: Limits{MaxConversations: 2}})
	ann, bob, eve := b.login("Ann", ""), b.login("Bob", ""), b.login("Eve", "")
	b.login("Cy", "")
	b.login("Dee", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	cb, _ := b.dial("/hubs/chat", bob.Token)
	ce, _ := b.dial("/hubs/chat", eve.Token)
	var first store.Conversation
	ce.must(&first, "StartConversation", []string{"Bob"})
	ce.must(nil, "StartConversation", []string{"Bob", "Cy"})
	if e := ce.call(nil, "StartConversation", []string{"Bob", "Dee"}); !strings.Contains(e, "in 2 conversations") {
		t.Errorf("eve past her own limit: %q", e)
	}
	if e := cb.call(nil, "StartConversation", []string{"Ann"}); !strings.Contains(e, "You are in 2 conversations") {
		t.Fatalf("bob at his limit: %q", e)
	}
	cb.must(nil, "LeaveRoom", first.ID)
	var removed int64
	cb.event("RoomRemoved", &removed)
	if removed != first.ID {
		t.Errorf("bob's pages were told to drop room %d, want %d", removed, first.ID)
	}
	var cs []store.Conversation
	cb.must(&cs, "Conversations")
	if len(cs) != 1 {
		t.Errorf("bob's conversations after leaving one: %+v", cs)
	}
	if e := cb.call(nil, "SendMessage", first.ID, "still here?", ""); !strings.Contains(e, "not a member") {
		t.Errorf("bob writing to the conversation he left: %q", e)
	}
	var withAnn store.Conversation
	cb.must(&withAnn, "StartConversation", []string{"Ann"})
	var started store.Conversation
	ca.event("ConversationStarted", &started)
	if started.ID != withAnn.ID {
		t.Errorf("ann was told of %d, want %d", started.ID, withAnn.ID)
	}
	// Bob is at his limit again: eve cannot bring him back.
	if e := ce.call(nil, "StartConversation", []string{"Bob"}); !strings.Contains(e, "Bob is in 2 conversations") {
		t.Errorf("eve bringing bob back past his limit: %q", e)
	}
	// Once he has room, starting the conversation again brings him back.
	cb.must(nil, "LeaveRoom", withAnn.ID)
	var again store.Conversation
	ce.must(&again, "StartConversation", []string{"Bob"})
	if again.ID != first.ID || len(again.Members) != 2 {
		t.Errorf("eve starting again: %+v, want conversation %d with both", again, first.ID)
	}
	for started.ID != first.ID { // skip the news of bob's own with ann
		cb.event("ConversationStarted", &started)
	}
	if started.Name != "Eve" {
		t.Errorf("bob was told of %+v", started)
	}
	cb.must(nil, "SendMessage", first.ID, "back", "")
}

// A change of a room's members reaches its connected members as the
// change itself, not as a call to fetch the whole list again: otherwise
// one person joining and leaving a big room in a loop makes every member's
// page fetch every member (5000 members: 450 kB and 56 ms for each page,
// for each join).
func TestMembersChangedCarriesTheChange(t *testing.T) {
	b := newBench(t, Config{})
	ann, bob := b.login("Ann", ""), b.login("Bob", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	cb, _ := b.dial("/hubs/chat", bob.Token)
	var room store.Room
	ca.must(&room, "CreateRoom", "open")
	change := func() (int64, hub.MembersChange) {
		t.Helper()
		var id int64
		var ch hub.MembersChange
		ca.event("MembersChanged", &id, &ch)
		return id, ch
	}
	cb.must(nil, "JoinRoom", room.ID)
	id, ch := change()
	if id != room.ID || len(ch.Joined) != 1 || ch.Joined[0].UserID != bob.UserID || ch.Joined[0].Name != "Bob" ||
		!ch.Joined[0].Online || ch.Joined[0].Owner || len(ch.Left) != 0 {
		t.Errorf("bob joining: room %d, %+v", id, ch)
	}
	cb.must(nil, "LeaveRoom", room.ID)
	if id, ch = change(); id != room.ID || len(ch.Joined) != 0 || len(ch.Left) != 1 || ch.Left[0] != bob.UserID {
		t.Errorf("bob leaving: room %d, %+v", id, ch)
	}
	ca.must(nil, "InviteToRoom", room.ID, "Bob")
	if id, ch = change(); len(ch.Joined) != 1 || ch.Joined[0].UserID != bob.UserID {
		t.Errorf("bob invited: room %d, %+v", id, ch)
	}
}

// A public room may have any number of members: its member list is a
// bounded page of them, by name.
func TestRoomMembersIsBounded(t *testing.T) {
	b := newBench(t, Config{})
	ann := b.login("Ann", "")
	ctx, st := context.Background(), b.app.Store()
	for i := range hub.MaxListedMembers + 50 {
		u, err := st.CreateUser(ctx, store.User{ID: fmt.Sprint("u", i), Name: fmt.Sprint("user", i)})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Join(ctx, 1, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	ca, _ := b.dial("/hubs/chat", ann.Token)
	ca.must(nil, "JoinRoom", 1)
	var ms []hub.MemberInfo
	ca.must(&ms, "RoomMembers", 1)
	if len(ms) != hub.MaxListedMembers || ms[0].Name != "Ann" {
		t.Errorf("RoomMembers of a room of %d: %d members, first %+v", hub.MaxListedMembers+51, len(ms), ms[0])
	}
}

// A person who is not a member gets the same answer about a private
// room, a conversation and a room that does not exist, from every method
// that takes a room id; and the same about a message of any of them and
// a message that does not exist, from every method that takes a message
// id: no method tells what exists.
func TestNoExistenceOracle(t *testing.T) {
	b := newBench(t, Config{})
	ann, eve := b.login("Ann", ""), b.login("Eve", "")
	b.login("Bob", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	ce, _ := b.dial("/hubs/chat", eve.Token)
	var secret store.Room
	ca.must(&secret, "CreateRoomWith", "secret", private)
	var dm store.Conversation
	ca.must(&dm, "StartConversation", []string{"Bob"})
	var inSecret, inDM store.Message
	ca.must(&inSecret, "SendMessage", secret.ID, "secret", "")
	ca.must(&inDM, "SendMessage", dm.ID, "dm", "")
	missingRoom, missingMsg := dm.ID+100, inDM.ID+100
	time.Sleep(250 * time.Millisecond) // presence news are gathered for 100 ms
	ca.seen("")                        // flush ann's own events
	ca.events = nil

	var general hub.RoomState
	ce.must(&general, "JoinRoom", 1)
	var own store.Message
	ce.must(&own, "SendMessage", 1, "eve's", "")

	rooms := map[string]int64{"private": secret.ID, "conversation": dm.ID, "missing": missingRoom}
	for _, call := range []struct {
		method string
		args   func(id int64) []any
	}{
		{"JoinRoom", func(id int64) []any { return []any{id} }},
		{"History", func(id int64) []any { return []any{id, 0} }},
		{"MessagesSince", func(id int64) []any { return []any{id, 0} }},
		{"SendMessage", func(id int64) []any { return []any{id, "x", ""} }},
		{"SendReply", func(id int64) []any { return []any{id, "x", "", own.ID} }},
		{"Typing", func(id int64) []any { return []any{id} }},
		{"MarkRead", func(id int64) []any { return []any{id, own.ID} }},
		{"InviteToRoom", func(id int64) []any { return []any{id, "Bob"} }},
		{"RemoveFromRoom", func(id int64) []any { return []any{id, ann.UserID} }},
		{"RoomMembers", func(id int64) []any { return []any{id} }},
		{"MessagesAround", func(id int64) []any { return []any{id, inSecret.ID} }},
		{"LeaveRoom", func(id int64) []any { return []any{id} }},
	} {
		got := map[string]string{}
		for what, id := range rooms {
			got[what] = withoutIDs(ce.call(nil, call.method, call.args(id)...))
		}
		if got["private"] != got["missing"] || got["conversation"] != got["missing"] {
			t.Errorf("%s tells what exists: %q", call.method, got)
		}
	}
	// Message ids of rooms eve cannot read, with a room she is in.
	msgs := map[string]int64{"private": inSecret.ID, "conversation": inDM.ID, "missing": missingMsg}
	for _, call := range []struct {
		method string
		args   func(id int64) []any
	}{
		{"EditMessage", func(id int64) []any { return []any{id, "x"} }},
		{"DeleteMessage", func(id int64) []any { return []any{id} }},
		{"React", func(id int64) []any { return []any{id, "👍"} }},
		{"Unreact", func(id int64) []any { return []any{id, "👍"} }},
		{"SendReply", func(id int64) []any { return []any{1, "x", "", id} }},
		{"MarkRead", func(id int64) []any { return []any{1, id} }},
		{"MessagesAround", func(id int64) []any { return []any{1, id} }},
	} {
		got := map[string]string{}
		for what, id := range msgs {
			got[what] = withoutIDs(ce.call(nil, call.method, call.args(id)...))
		}
		if got["private"] != got["missing"] || got["conversation"] != got["missing"] || got["missing"] == "" {
			t.Errorf("%s tells what exists: %q", call.method, got)
		}
	}
	// The files of a room, over HTTP.
	got := map[string]string{}
	for what, id := range rooms {
		res, body := b.download(eve.Token, fmt.Sprintf("/api/rooms/%d/files", id))
		got[what] = fmt.Sprint(res.StatusCode, " ", withoutIDs(string(body)))
	}
	if got["private"] != got["missing"] || got["conversation"] != got["missing"] {
		t.Errorf("the file list tells what exists: %q", got)
	}
	if leaks := ca.leaks(secret.ID); len(leaks) != 0 {
		t.Errorf("eve's probing reached ann's page: %v", leaks)
	}
}

// Joining a room returns a bounded number of read marks, those furthest
// forward: a room of 5000 readers made each JoinRoom 328 kB and 26 ms,
// and a page calls it at every room switch.
func TestJoinRoomReadsAreBounded(t *testing.T) {
	b := newBench(t, Config{})
	ann := b.login("Ann", "")
	ctx, st := context.Background(), b.app.Store()
	old, _, err := st.AddMessage(ctx, store.Message{RoomID: 1, UserID: "x", UserName: "x", Text: "old"})
	if err != nil {
		t.Fatal(err)
	}
	newest, _, err := st.AddMessage(ctx, store.Message{RoomID: 1, UserID: "x", UserName: "x", Text: "new"})
	if err != nil {
		t.Fatal(err)
	}
	n := hub.MaxListedReads + 20
	for i := range n {
		u, err := st.CreateUser(ctx, store.User{ID: fmt.Sprint("u", i), Name: fmt.Sprintf("user%03d", i)})
		if err != nil {
			t.Fatal(err)
		}
		at := old.ID
		if i >= n-5 { // the last five read the newest
			at = newest.ID
		}
		if _, err := st.MarkRead(ctx, 1, u.ID, at); err != nil {
			t.Fatal(err)
		}
	}
	ca, _ := b.dial("/hubs/chat", ann.Token)
	var rs hub.RoomState
	ca.must(&rs, "JoinRoom", 1)
	if len(rs.Reads) != hub.MaxListedReads {
		t.Fatalf("JoinRoom returned %d read marks of %d", len(rs.Reads), n)
	}
	latest := 0
	for _, r := range rs.Reads {
		if r.MessageID == newest.ID {
			latest++
		}
	}
	if latest != 5 {
		t.Errorf("%d of the 5 marks furthest forward are among the reads", latest)
	}
}

// A search has a time budget: a common word that is everywhere but in
// the caller's rooms made the database go through every match (100 000
// messages: 110 ms on SQLite, 700 ms on PostgreSQL, per search; see
// BenchmarkSearchOutsider). Past it, a clear error, and the connection
// goes on.
func TestSearchHasATimeBudget(t *testing.T) {
	b := newBench(t, Config{Limits: Limits{SearchTime: time.Nanosecond}})
	ann := b.login("Ann", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	ca.must(nil, "JoinRoom", 1)
	ca.must(nil, "SendMessage", 1, "a common word", "")
	if e := ca.call(nil, "Search", "common"); !strings.Contains(e, "This search takes too long") {
		t.Errorf("a search past its budget: %q", e)
	}
	ca.must(nil, "Rooms")

	b = newBench(t, Config{})
	ann = b.login("Ann", "")
	ca, _ = b.dial("/hubs/chat", ann.Token)
	ca.must(nil, "JoinRoom", 1)
	ca.must(nil, "SendMessage", 1, "a common word", "")
	var hits []store.SearchHit
	ca.must(&hits, "Search", "common")
	if len(hits) != 1 {
		t.Errorf("a search within the default budget: %+v", hits)
	}
}

// A reaction lists a bounded number of its people, whatever their number:
// every reaction sends the message to the whole room, which made each
// one cost the room's size squared.
func TestReactionsListFewPeople(t *testing.T) {
	b := newBench(t, Config{Limits: Limits{SignInPerAddress: Rate{Burst: -1}, NewAccountsPerAddress: Rate{Burst: -1}}})
	ann := b.login("Ann", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	ca.must(nil, "JoinRoom", 1)
	var m store.Message
	ca.must(&m, "SendMessage", 1, "react to this", "")
	n := store.MaxReactors + 3
	for i := range n {
		c, _ := b.dial("/hubs/chat", b.login(fmt.Sprint("p", i), "").Token)
		c.must(nil, "JoinRoom", 1)
		c.must(&m, "React", m.ID, "👍")
	}
	if r := m.Reactions[0]; r.Count != n || len(r.Users) != store.MaxReactors {
		t.Errorf("👍 of %d people: count %d, %d listed", n, r.Count, len(r.Users))
	}
}

// Hub method names match whatever their case; so do the limits.
func TestLimitsIgnoreTheCaseOfMethodNames(t *testing.T) {
	b := newBench(t, Config{Limits: Limits{MessagesPerUser: Rate{time.Hour, 2}, SearchesPerUser: Rate{time.Hour, 1}}})
	ann := b.login("Ann", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	ca.must(nil, "JoinRoom", 1)
	ca.must(nil, "sendmessage", 1, "one", "")
	ca.must(nil, "SENDMESSAGE", 1, "two", "")
	if e := ca.call(nil, "sendMessage", 1, "three", ""); !strings.Contains(e, "Too many messages") {
		t.Errorf("a third message, named in another case: %q", e)
	}
	ca.must(nil, "search", "one")
	if e := ca.call(nil, "sEaRcH", "one"); !strings.Contains(e, "Too many searches") {
		t.Errorf("a second search, named in another case: %q", e)
	}
}
