package redis

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

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
	// Both have it before s1 sends: messages of two senders have no order.
	equal(t, c, "Before:")
	equal(t, keep, "Before:")
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

// Concurrent senders on both servers, local and remote recipients, and
// group churn meanwhile: every recipient gets each message exactly once,
// and each sender's messages in its order.
func TestConcurrentSendersExactlyOnce(t *testing.T) {
	const workers, per = 4, 150
	s1, s2 := twoNodes(t)
	l1 := s1.add(t, newConn("l1", ""))
	r1 := s2.add(t, newConn("r1", ""))
	s1.add(t, newConn("churn", ""))
	for _, id := range []string{"l1", "r1"} {
		if err := s1.h.AddToGroup(ctx5(t), id, "g"); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	churned := make(chan error, 1)
	go func() {
		var err error
		for err == nil {
			select {
			case <-stop:
				churned <- nil
				return
			default:
			}
			if err = s1.h.AddToGroup(context.Background(), "churn", "g"); err == nil {
				err = s1.h.RemoveFromGroup(context.Background(), "churn", "g")
			}
		}
		churned <- err
	}()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := []*node{s1, s2}[w%2]
			for i := range per {
				_ = n.h.Send(context.Background(), groups("g"), msg("M", fmt.Sprintf("%d-%03d", w, i)))
			}
		}()
	}
	wg.Wait()
	close(stop)
	if err := <-churned; err != nil {
		t.Fatal(err)
	}
	for _, c := range []*fakeConn{l1, r1} {
		got := c.waitN(t, workers*per)
		time.Sleep(100 * time.Millisecond) // any duplicate would be in by now
		got = c.targets()
		if len(got) != workers*per {
			t.Fatalf("%s got %d messages, want %d", c.id, len(got), workers*per)
		}
		last := map[string]string{}
		for _, m := range got {
			w, i, _ := strings.Cut(strings.TrimPrefix(m, "M:"), "-")
			if i <= last[w] && last[w] != "" {
				t.Fatalf("%s: %s after %s-%s", c.id, m, w, last[w])
			}
			last[w] = i
		}
	}
}

// A server whose only member of a group joins and leaves while the same
// server sends to the group (so it subscribes and unsubscribes the
// group's channel meanwhile) never delivers a message twice.
func TestJoinLeaveWhileSendingNoDuplicates(t *testing.T) {
	const n = 400
	s1, s2 := twoNodes(t)
	solo := s1.add(t, newConn("solo", ""))
	r := s2.add(t, newConn("r", ""))
	if err := s2.h.AddToGroup(ctx5(t), "r", "g"); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			_ = s1.h.Send(context.Background(), groups("g"), msg("M", strconv.Itoa(i)))
			time.Sleep(200 * time.Microsecond) // spread the sends over the churn
		}
	}()
	for {
		select {
		case <-done:
		default:
			_ = s1.h.AddToGroup(context.Background(), "solo", "g")
			_ = s1.h.RemoveFromGroup(context.Background(), "solo", "g")
			continue
		}
		break
	}
	equal(t, r, seq(n)...)
	s1.send(t, conns("solo"), "End", "")
	solo.waitFor(t, "End", func(c *fakeConn) bool { return slices.Contains(c.targets(), "End:") })
	seen := map[string]bool{}
	for _, m := range solo.targets() {
		if seen[m] {
			t.Fatalf("%s delivered twice to the churning member (of %d)", m, len(solo.targets()))
		}
		seen[m] = true
	}
	t.Logf("the churning member got %d of %d", len(seen)-1, n)
}
