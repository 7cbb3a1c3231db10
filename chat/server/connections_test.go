package server

import (
	"strings"
	"testing"
	"time"
)

// A person's chat connections are bounded: one more is closed with a hub
// error saying why, and closing one makes room.
func TestConnectionsPerUser(t *testing.T) {
	b := newBench(t, Config{Limits: Limits{ConnectionsPerUser: 3}})
	ann, bob := b.login("Ann", ""), b.login("Bob", "")
	var tabs []*hubClient
	for range 3 {
		c, _ := b.dial("/hubs/chat", ann.Token)
		c.must(nil, "Rooms")
		tabs = append(tabs, c)
	}
	extra, _ := b.dial("/hubs/chat", ann.Token)
	if e := extra.closed(); !strings.Contains(e, "Too many connections of yours") {
		t.Fatalf("Ann's fourth connection closed with %q", e)
	}
	cb, _ := b.dial("/hubs/chat", bob.Token) // others are not affected
	cb.must(nil, "Rooms")

	tabs[0].ws.Close()
	for deadline := time.Now().Add(5 * time.Second); b.app.limits.chatConns.running(ann.UserID) != 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the closed connection is still counted")
		}
	}
	again, _ := b.dial("/hubs/chat", ann.Token)
	again.must(nil, "Rooms")
}
