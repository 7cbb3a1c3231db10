package server

import (
	"strings"
	"testing"

	"github.com/signalr-go/signalr/chat/hub"
	"github.com/signalr-go/signalr/chat/store"
)

// Search only ever shows the messages of the caller's rooms, whatever
// they type.
func TestSearchKeepsToTheCallersRooms(t *testing.T) {
	ca, cb, secret, hidden := bobsRoom(t, "the launch code is swordfish")
	var general hub.RoomState
	ca.must(&general, "JoinRoom", 1)
	cb.must(nil, "JoinRoom", 1)
	var public store.Message
	cb.must(&public, "SendMessage", general.Room.ID, "swordfish for lunch", "")

	for _, q := range []string{"swordfish", "launch code", `"swordfish"`, "swordfish*", "SWORDFISH OR code"} {
		var hits []store.SearchHit
		ca.must(&hits, "Search", q)
		for _, h := range hits {
			if h.RoomID == secret.ID {
				t.Errorf("Search(%q) by a non-member returned the secret room's message %+v", q, h)
			}
		}
	}
	var hits []store.SearchHit
	ca.must(&hits, "Search", "swordfish")
	if len(hits) != 1 || hits[0].ID != public.ID || hits[0].RoomName != "general" || hits[0].UserName != "Bob" {
		t.Errorf("ann's search = %+v, want bob's message %d in general", hits, public.ID)
	}
	cb.must(&hits, "Search", "swordfish")
	if len(hits) != 2 || hits[0].ID != public.ID || hits[1].ID != hidden.ID {
		t.Errorf("bob's search = %+v, want both messages, newest first", hits)
	}
	for _, q := range []string{"", "   ", strings.Repeat("x", hub.MaxQueryLength+1)} {
		if e := ca.call(nil, "Search", q); !strings.Contains(e, "A search has 1 to") {
			t.Errorf("Search(%.20q...) error %q, want the length rule", q, e)
		}
	}
	for _, q := range []string{`"`, `*`, `NEAR(`, `-`, `:`, `OR`} {
		if e := ca.call(&hits, "Search", q); e != "" || len(hits) != 0 {
			t.Errorf("Search(%q) = %v, %q; want nothing found, no error", q, hits, e)
		}
	}
}

// Only members see a room's messages in context, and a reply answers a
// message of its own room.
func TestRepliesAndWindowsKeepToTheRoom(t *testing.T) {
	ca, cb, secret, hidden := bobsRoom(t, "members only")
	var general hub.RoomState
	ca.must(&general, "JoinRoom", 1)
	cb.must(nil, "JoinRoom", 1)
	var orig store.Message
	ca.must(&orig, "SendMessage", general.Room.ID, "shall we meet?", "")

	var w store.Window
	if e := ca.call(&w, "MessagesAround", secret.ID, hidden.ID); !strings.Contains(e, "not a member") || len(w.Messages) != 0 {
		t.Errorf("MessagesAround by a non-member: %q, %+v", e, w)
	}
	// A room one is in does not open another's message.
	if e := ca.call(&w, "MessagesAround", general.Room.ID, hidden.ID); !strings.Contains(e, "no message") || len(w.Messages) != 0 {
		t.Errorf("MessagesAround(general, a secret message): %q, %+v", e, w)
	}
	cb.must(&w, "MessagesAround", secret.ID, hidden.ID)
	if len(w.Messages) != 1 || w.Messages[0].ID != hidden.ID || w.HasOlder || w.HasNewer {
		t.Errorf("member's window = %+v", w)
	}

	if e := ca.call(nil, "SendReply", secret.ID, "let me in", "", hidden.ID); !strings.Contains(e, "not a member") {
		t.Errorf("reply in a room not joined: %q", e)
	}
	// Both are bob's rooms, but a reply stays in its room.
	if e := cb.call(nil, "SendReply", general.Room.ID, "leak", "", hidden.ID); !strings.Contains(e, "no message") {
		t.Errorf("cross-room reply: %q, want a refusal", e)
	}
	if e := cb.call(nil, "SendReply", general.Room.ID, "to nothing", "", 1<<40); !strings.Contains(e, "no message") {
		t.Errorf("reply to an unknown message: %q", e)
	}
	var page []store.Message
	cb.must(&page, "MessagesSince", general.Room.ID, orig.ID)
	if len(page) != 0 {
		t.Errorf("refused replies were stored: %+v", page)
	}

	var reply store.Message
	cb.must(&reply, "SendReply", general.Room.ID, "yes, at noon", "r1", orig.ID)
	want := store.Reply{ID: orig.ID, UserName: "Ann", Excerpt: "shall we meet?"}
	if reply.ReplyTo == nil || *reply.ReplyTo != want {
		t.Errorf("reply = %+v, want a quote %+v", reply.ReplyTo, want)
	}
	var got store.Message
	ca.event("MessageReceived", &got)
	for got.ID != reply.ID {
		ca.event("MessageReceived", &got)
	}
	if got.ReplyTo == nil || *got.ReplyTo != want {
		t.Errorf("the room got %+v, want the quote %+v", got.ReplyTo, want)
	}
	var again store.Message
	cb.must(&again, "SendReply", general.Room.ID, "yes, at noon", "r1", orig.ID)
	if again.ID != reply.ID || again.ReplyTo == nil || *again.ReplyTo != want {
		t.Errorf("retried reply = %+v, want message %d again", again, reply.ID)
	}
}
