package redis

import (
	"errors"
	"testing"

	"github.com/signalr-go/signalr"

	"github.com/signalr-go/signalr/internal/redistest"
)

// The backplane against a Redis Cluster of three masters: classic pub/sub
// is broadcast to every node, presence keys share one hash slot per hub.
func TestRedisCluster(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	// Each server knows a different seed node.
	s1 := newNode(t, cl.Addrs()[:1], func(o *Options) { o.Cluster = true })
	s2 := newNode(t, cl.Addrs()[1:], func(o *Options) { o.Cluster = true })
	a := s1.add(t, answerWith(newConn("a", "ua"), "7", ""))
	b := s2.add(t, newConn("b", "ub"))
	if err := s2.h.AddToGroup(ctx5(t), "a", "g"); err != nil {
		t.Fatal(err)
	}
	s2.send(t, all(), "All", "")
	s2.send(t, groups("g"), "Group", "")
	s2.send(t, users("ua"), "User", "")
	s2.send(t, conns("a"), "Conn", "")
	equal(t, a, "All:", "Group:", "User:", "Conn:")
	equal(t, b, "All:")
	r, err := s2.h.Invoke(ctx5(t), "a", "Ask", nil)
	if err != nil || string(r.Result) != "7" {
		t.Fatalf("client result %q, %v", r.Result, err)
	}
	if _, err := s2.h.Invoke(ctx5(t), "nobody", "Ask", nil); !errors.Is(err, signalr.ErrConnectionNotFound) {
		t.Fatalf("client result of an unknown connection: %v", err)
	}
	if n, err := s1.h.Count(ctx5(t)); err != nil || n != 2 {
		t.Fatalf("Count = %d, %v", n, err)
	}
	if m, err := s1.h.Members(ctx5(t), "g"); err != nil || len(m) != 1 || m[0] != "a" {
		t.Fatalf("Members = %q, %v", m, err)
	}
}
