package server

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/signalr-go/signalr/chat/hub"
	"github.com/signalr-go/signalr/protocol"
)

// countedDelta is a PresenceDelta with the room's online count.
type countedDelta struct {
	presenceDelta
	online int
}

// countedDeltaWith returns the next PresenceDelta for which ok holds,
// failing if one arrives without the count.
func (c *hubClient) countedDeltaWith(ok func(countedDelta) bool) countedDelta {
	c.t.Helper()
	for {
		m := c.nextEvent("PresenceDelta")
		if len(m.Arguments) != 4 {
			c.t.Fatalf("PresenceDelta with %d arguments, want 4 (the online count last)", len(m.Arguments))
		}
		var d countedDelta
		for i, out := range []any{&d.room, &d.joined, &d.left, &d.online} {
			if err := c.hp.Unmarshal(m.Arguments[i].(protocol.Raw), out); err != nil {
				c.t.Fatal(err)
			}
		}
		if ok(d) {
			return d
		}
	}
}

// TestJoinRoomListsFirstOnline: with more people online in a room than a
// page lists, JoinRoom returns the first MaxListedMembers by name and
// how many there are, and the deltas that follow carry the count.
func TestJoinRoomListsFirstOnline(t *testing.T) {
	off := Rate{Burst: -1}
	b := newBench(t, Config{Limits: Limits{SignInPerAddress: off, NewAccountsPerAddress: off}})
	n := hub.MaxListedMembers + 5
	for i := range n {
		lr := b.login(fmt.Sprintf("p%03d", i), "") // in the default room, online there once connected
		b.dial("/hubs/chat", lr.Token)
	}
	watcher := b.login("zz watcher", "")
	cw, _ := b.dial("/hubs/chat", watcher.Token)
	var st hub.RoomState
	cw.must(&st, "JoinRoom", 1)
	if len(st.Members) != hub.MaxListedMembers || st.Online != n+1 {
		t.Fatalf("JoinRoom listed %d online of %d, want %d of %d", len(st.Members), st.Online, hub.MaxListedMembers, n+1)
	}
	for i, m := range st.Members {
		if want := fmt.Sprintf("p%03d", i); m.Name != want {
			t.Fatalf("listed #%d is %q, want %q (the first by name)", i, m.Name, want)
		}
	}

	// A newcomer: the delta tells the room, with the new count.
	newcomer := b.login("a newcomer", "")
	cn, _ := b.dial("/hubs/chat", newcomer.Token)
	d := cw.countedDeltaWith(func(d countedDelta) bool {
		return slices.ContainsFunc(d.joined, func(m hub.Member) bool { return m.UserID == newcomer.UserID })
	})
	if d.online != n+2 {
		t.Errorf("after a newcomer: online %d, want %d", d.online, n+2)
	}
	cn.ws.Close()
	d = cw.countedDeltaWith(func(d countedDelta) bool { return slices.Contains(d.left, newcomer.UserID) })
	if d.online != n+1 {
		t.Errorf("after the newcomer left: online %d, want %d", d.online, n+1)
	}
	if strings.Contains(fmt.Sprint(d.joined), newcomer.UserID) {
		t.Errorf("the newcomer joined and left in one delta: %+v", d)
	}

	// Someone beyond the list: counted, not sent (thousands arriving at
	// once would each be sent to everyone).
	late := b.login("zz late", "")
	b.dial("/hubs/chat", late.Token)
	d = cw.countedDeltaWith(func(d countedDelta) bool { return d.online == n+2 })
	if len(d.joined) != 0 {
		t.Errorf("an arrival beyond the list was sent: %+v", d)
	}
}
