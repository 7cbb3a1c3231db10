package redis

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/signalr-go/signalr/internal/redistest"
)

// waitUntil polls cond for up to 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Redis killed and restarted empty: each server keeps serving its own
// clients meanwhile, sends that need Redis fail at once with
// ErrUnavailable, and afterwards every server is subscribed again and has
// rewritten its presence by itself, no client dropped.
func TestRedisOutage(t *testing.T) {
	srv := redistest.Start(t)
	s1, s2 := newNode(t, []string{srv.Addr}), newNode(t, []string{srv.Addr})
	a, b := s1.add(t, newConn("a", "ua")), s1.add(t, newConn("b", ""))
	c := s2.add(t, newConn("c", ""))
	for _, id := range []string{"a", "c"} {
		if err := s1.h.AddToGroup(ctx5(t), id, "g"); err != nil {
			t.Fatal(err)
		}
	}

	srv.Kill()
	waitUntil(t, "both servers to notice", func() bool { return !s1.b.isUp() && !s2.b.isUp() })
	start := time.Now()
	if err := s1.h.Send(ctx5(t), all(), msg("Outage", "all")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Send to all while Redis is down: %v, want ErrUnavailable", err)
	}
	if err := s1.h.Send(ctx5(t), conns("b"), msg("Outage", "local")); err != nil {
		t.Fatalf("Send to a local connection while Redis is down: %v", err)
	}
	if err := s1.h.Send(ctx5(t), groups("g"), msg("Outage", "group")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Send to a group: %v", err)
	}
	if err := s1.h.AddToGroup(ctx5(t), "c", "h"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("remote group change: %v", err)
	}
	if _, err := s1.h.Count(ctx5(t)); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Count: %v", err)
	}
	if _, err := s1.h.Invoke(ctx5(t), "c", "Ask", nil); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Invoke of a remote connection: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("calls during the outage took %v", d)
	}
	// A connection arriving during the outage is served locally too.
	d := s1.add(t, newConn("d", ""))
	if err := s1.h.AddToGroup(ctx5(t), "d", "g"); err != nil {
		t.Fatal(err)
	}
	equal(t, a, "Outage:all", "Outage:group")
	equal(t, b, "Outage:all", "Outage:local")
	if got := c.targets(); len(got) != 0 {
		t.Fatalf("remote connection got %q during the outage", got)
	}

	srv.Restart()
	waitUntil(t, "both servers to reconnect", func() bool { return s1.b.isUp() && s2.b.isUp() })
	if s1.b.Stats().Reconnects != 1 || s2.b.Stats().Reconnects != 1 {
		t.Fatalf("reconnects %d, %d", s1.b.Stats().Reconnects, s2.b.Stats().Reconnects)
	}
	s2.send(t, groups("g"), "After", "group")
	s2.send(t, users("ua"), "After", "user")
	s1.send(t, conns("c"), "After", "conn")
	equal(t, a, "Outage:all", "Outage:group", "After:group", "After:user")
	equal(t, d, "After:group")
	if got := c.waitN(t, 2); !slices.Contains(got, "After:group") || !slices.Contains(got, "After:conn") {
		t.Fatalf("c got %q after the outage", got)
	}
	waitUntil(t, "presence to be rewritten", func() bool {
		n, err := s2.h.Count(ctx5(t))
		m, _ := s2.h.Members(ctx5(t), "g")
		return err == nil && n == 4 && len(m) == 3
	})
}

// Publications waiting for Redis are bounded in bytes: one that does not
// fit is dropped for the other servers and counted.
func TestPendingPublicationsBounded(t *testing.T) {
	srv := redistest.Start(t)
	s := newNode(t, []string{srv.Addr}, func(o *Options) { o.MaxPendingBytes = 100 })
	local := s.add(t, newConn("l", ""))
	big := string(make([]byte, 200))
	err := s.h.Send(ctx5(t), all(), msg("Big", big))
	if !errors.Is(err, ErrUnavailable) || s.b.Stats().Dropped != 1 {
		t.Fatalf("oversized publication: %v, dropped %d", err, s.b.Stats().Dropped)
	}
	local.waitN(t, 1)
}

// A Redis that stops answering without closing its connections (SIGSTOP,
// as a peer lost in the network) is noticed by the missing PONG; the
// server serves its own clients meanwhile and comes back by itself once
// Redis answers again.
func TestRedisStopsAnswering(t *testing.T) {
	srv := redistest.Start(t)
	s1, s2 := newNode(t, []string{srv.Addr}), newNode(t, []string{srv.Addr})
	a, b := s1.add(t, newConn("a", "")), s1.add(t, newConn("b", ""))
	c := s2.add(t, newConn("c", ""))
	srv.Pause()
	waitUntil(t, "the silence to be noticed", func() bool { return !s1.b.isUp() })
	start := time.Now()
	if err := s1.h.Send(ctx5(t), all(), msg("Paused", "")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Send while Redis is silent: %v", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("Send took %v while Redis was silent", d)
	}
	equal(t, a, "Paused:")
	equal(t, b, "Paused:")
	srv.Resume()
	waitUntil(t, "reconnection", func() bool { return s1.b.isUp() && s2.b.isUp() })
	s1.send(t, conns("c"), "Back", "")
	s2.send(t, conns("a"), "Back", "")
	equal(t, c, "Back:")
	equal(t, a, "Paused:", "Back:")
}

// Open does not fail while Redis is down (AbortOnConnectFail=false): the
// server starts, serves its clients, and joins the backplane when Redis
// comes up.
func TestOpenWhileRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	srv.Kill()
	b, err := Open(ctx5(t), Options{Addrs: []string{srv.Addr}, NodeTTL: time.Second, OpTimeout: 200 * time.Millisecond, Logger: quietLogger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	s1 := &node{b: b, h: b.Hub(testHub, nil)}
	c := s1.add(t, newConn("c", "u"))
	if err := s1.h.AddToGroup(ctx5(t), "c", "g"); err != nil {
		t.Fatal(err)
	}
	s1.send(t, conns("c"), "Local", "")
	srv.Restart()
	waitUntil(t, "the connection", b.isUp)
	s2 := newNode(t, []string{srv.Addr})
	s2.send(t, groups("g"), "Remote", "")
	equal(t, c, "Local:", "Remote:")
	waitUntil(t, "presence", func() bool { n, err := s2.h.Count(ctx5(t)); return err == nil && n == 1 })
}
