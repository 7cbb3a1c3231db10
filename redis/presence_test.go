package redis

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/internal/redistest"
)

func TestPresenceAcrossServers(t *testing.T) {
	srv := redistest.Start(t)
	s1, s2, s3 := newNode(t, []string{srv.Addr}), newNode(t, []string{srv.Addr}), newNode(t, []string{srv.Addr})
	a := s1.add(t, newConn("a", "u1"))
	s2.add(t, newConn("b", "u1"))
	s3.add(t, newConn("c", "u2"))
	for _, m := range []struct {
		n           *node
		conn, group string
	}{{s1, "a", "g"}, {s3, "b", "g"}, {s2, "c", "h"}} {
		if err := m.n.h.AddToGroup(ctx5(t), m.conn, m.group); err != nil {
			t.Fatal(err)
		}
	}
	check := func(n *node, count int, g []string, u1 []string, groupsOfB []string) {
		t.Helper()
		if got, err := n.h.Count(ctx5(t)); err != nil || got != count {
			t.Fatalf("Count = %d, %v; want %d", got, err, count)
		}
		if got, err := n.h.Members(ctx5(t), "g"); err != nil || !slices.Equal(got, g) {
			t.Fatalf("Members(g) = %q, %v; want %q", got, err, g)
		}
		if got, err := n.h.Connections(ctx5(t), "u1"); err != nil || !slices.Equal(got, u1) {
			t.Fatalf("Connections(u1) = %q, %v; want %q", got, err, u1)
		}
		if got, err := n.h.GroupsOf(ctx5(t), "b"); err != nil || !slices.Equal(got, groupsOfB) {
			t.Fatalf("GroupsOf(b) = %q, %v; want %q", got, err, groupsOfB)
		}
	}
	for _, n := range []*node{s1, s2, s3} {
		check(n, 3, []string{"a", "b"}, []string{"a", "b"}, []string{"g"})
	}
	if _, err := s1.h.GroupsOf(ctx5(t), "nobody"); !errors.Is(err, signalr.ErrConnectionNotFound) {
		t.Fatalf("GroupsOf(nobody): %v", err)
	}
	if err := s1.h.Remove(ctx5(t), a); err != nil {
		t.Fatal(err)
	}
	check(s3, 2, []string{"b"}, []string{"b"}, []string{"g"})
	// Close removes a server's presence at once.
	if err := s2.b.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := s3.h.Count(ctx5(t)); err != nil || got != 1 {
		t.Fatalf("Count after Close = %d, %v", got, err)
	}
	if got, err := s3.h.Members(ctx5(t), "g"); err != nil || len(got) != 0 {
		t.Fatalf("Members(g) after Close = %q, %v", got, err)
	}
	if _, err := s3.h.GroupsOf(ctx5(t), "b"); !errors.Is(err, signalr.ErrConnectionNotFound) {
		t.Fatalf("GroupsOf(b) after Close: %v", err)
	}
}

// childEnv makes the test binary a server process holding connection
// "k1" of user "ku" in group "kg", until it is killed.
const childEnv = "SIGNALR_REDIS_TEST_CHILD"

func runChild(addr string) {
	b, err := Open(context.Background(), Options{Addrs: []string{addr}, NodeTTL: 2 * time.Second})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	h := b.Hub(testHub, nil)
	c := newConn("k1", "ku")
	_ = h.Add(context.Background(), c)
	_ = h.AddToGroup(context.Background(), "k1", "kg")
	fmt.Println("ready")
	for range c.changed { // show client-result calls as they arrive
		fmt.Println("got", strings.Join(c.targets(), ","))
	}
}

// A server killed with SIGKILL drops out of the others' presence answers
// within its NodeTTL (2 s here) plus one heartbeat of the observer, and a
// client-result call to its connection fails instead of hanging.
func TestServerKilled(t *testing.T) {
	srv := redistest.Start(t)
	s := newNode(t, []string{srv.Addr})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+srv.Addr)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := bufio.NewScanner(out)
	if !lines.Scan() || lines.Text() != "ready" {
		t.Fatalf("child said %q", lines.Text())
	}
	if n, err := s.h.Count(ctx5(t)); err != nil || n != 1 {
		t.Fatalf("Count with the child running = %d, %v", n, err)
	}
	if m, _ := s.h.Members(ctx5(t), "kg"); !slices.Equal(m, []string{"k1"}) {
		t.Fatalf("Members(kg) = %q", m)
	}
	errc := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, err := s.h.Invoke(ctx, "k1", "NeverAnswered", nil)
		errc <- err
	}()
	if !lines.Scan() || !strings.HasPrefix(lines.Text(), "got NeverAnswered") {
		t.Fatalf("child said %q", lines.Text())
	}
	killed := time.Now()
	_ = cmd.Process.Signal(syscall.SIGKILL)
	for {
		n, err := s.h.Count(ctx5(t))
		if err == nil && n == 0 {
			break
		}
		if time.Since(killed) > 10*time.Second {
			t.Fatalf("the killed server still counts after %v (Count %d, %v)", time.Since(killed), n, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	gone := time.Since(killed)
	if c, _ := s.h.Connections(ctx5(t), "ku"); len(c) != 0 {
		t.Fatalf("Connections(ku) = %q after the kill", c)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, signalr.ErrDisconnected) {
			t.Fatalf("pending call ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the call to the killed server's connection still hangs")
	}
	t.Logf("killed server gone from presence after %v", gone)
	if gone > 2*time.Second+time.Second/3+time.Second {
		t.Fatalf("took %v, more than NodeTTL plus a heartbeat", gone)
	}
}
