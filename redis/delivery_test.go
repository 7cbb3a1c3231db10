package redis

import (
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/internal/redistest"
)

// seq returns "M:0" ... "M:n-1".
func seq(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "M:" + strconv.Itoa(i)
	}
	return out
}

// Every recipient, local or remote, gets each message once and in the
// sender's order; the sender's own echo is recognized and not delivered
// again to its local recipients.
func TestExactlyOnceInOrder(t *testing.T) {
	const n = 300
	for _, tc := range []struct {
		name   string
		target signalr.Target
	}{
		{"all", all()},
		{"group", groups("g")},
		{"user", users("u")},
		{"groups overlapping", groups("g", "h")},
		{"users overlapping", users("u", "u2", "u")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s1, s2 := twoNodes(t)
			local1, local2 := s1.add(t, newConn("l1", "u")), s1.add(t, newConn("l2", "u"))
			remote := s2.add(t, newConn("r1", "u"))
			for _, id := range []string{"l1", "l2", "r1"} {
				for _, g := range []string{"g", "h"} {
					if err := s1.h.AddToGroup(ctx5(t), id, g); err != nil {
						t.Fatal(err)
					}
				}
			}
			for i := range n {
				s1.send(t, tc.target, "M", strconv.Itoa(i))
			}
			// A marker from the same sender proves everything before it
			// was handled: nothing more may arrive.
			s1.send(t, all(), "End", "")
			want := append(seq(n), "End:")
			for _, c := range []*fakeConn{local1, local2, remote} {
				c.waitFor(t, "End", func(c *fakeConn) bool { return slices.Contains(c.targets(), "End:") })
				if got := c.targets(); !slices.Equal(got, want) {
					t.Fatalf("%s: %d messages, first difference at %s", c.id, len(got), firstDiff(got, want))
				}
			}
			if e := s1.b.Stats().Echoes; e == 0 {
				t.Fatal("no echo recognized")
			}
		})
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("%d: %q != %q", i, a[i], b[i])
		}
	}
	return "end"
}

// Messages to one remote connection arrive in order.
func TestOrderToRemoteConnection(t *testing.T) {
	s1, s2 := twoNodes(t)
	c := s2.add(t, newConn("c", ""))
	for i := range 500 {
		s1.send(t, conns("c"), "M", strconv.Itoa(i))
	}
	equal(t, c, seq(500)...)
}

// A connection that leaves a group stops receiving at once, on the
// server that has it, even while its earlier messages are in flight.
func TestLeaveGroupStopsAtOnce(t *testing.T) {
	s1, s2 := twoNodes(t)
	c := s1.add(t, newConn("c", ""))
	keep := s1.add(t, newConn("keep", ""))
	for _, id := range []string{"c", "keep"} {
		if err := s1.h.AddToGroup(ctx5(t), id, "g"); err != nil {
			t.Fatal(err)
		}
	}
	s2.send(t, groups("g"), "Before", "")
	equal(t, c, "Before:")
	if err := s1.h.RemoveFromGroup(ctx5(t), "c", "g"); err != nil {
		t.Fatal(err)
	}
	s1.send(t, groups("g"), "Local", "")
	s2.send(t, groups("g"), "Remote", "")
	equal(t, keep, "Before:", "Local:", "Remote:")
	if got := c.targets(); !slices.Equal(got, []string{"Before:"}) {
		t.Fatalf("after leaving: %q", got)
	}
}

func TestDisconnectAcrossServers(t *testing.T) {
	srv := redistest.Start(t)
	s1, s2 := newNode(t, []string{srv.Addr}), newNode(t, []string{srv.Addr})
	c := s1.add(t, newConn("c1", "u"))
	u2 := s2.add(t, newConn("c2", "u"))
	other := s2.add(t, newConn("c3", "v"))
	if err := s2.h.Disconnect(ctx5(t), "c1", &signalr.HubError{Message: "bye"}); err != nil {
		t.Fatal(err)
	}
	c.waitFor(t, "abort", func(c *fakeConn) bool { c.mu.Lock(); defer c.mu.Unlock(); return len(c.aborted) == 1 })
	c.mu.Lock()
	he, _ := c.aborted[0].(*signalr.HubError)
	c.mu.Unlock()
	if he == nil || he.Message != "bye" {
		t.Fatalf("aborted with %v", he)
	}
	if err := s2.h.Disconnect(ctx5(t), "nobody", nil); err != signalr.ErrConnectionNotFound {
		t.Fatalf("unknown connection: %v", err)
	}
	if err := s1.h.DisconnectUser(ctx5(t), "u", nil); err != nil {
		t.Fatal(err)
	}
	u2.waitFor(t, "abort", func(c *fakeConn) bool { c.mu.Lock(); defer c.mu.Unlock(); return len(c.aborted) == 1 })
	c.mu.Lock()
	n := len(c.aborted)
	c.mu.Unlock()
	if n != 2 {
		t.Fatalf("local connection of the user aborted %d times, want 2 (once per request)", n)
	}
	other.mu.Lock()
	defer other.mu.Unlock()
	if len(other.aborted) != 0 {
		t.Fatal("another user's connection was aborted")
	}
}
