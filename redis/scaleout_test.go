package redis

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/internal/redistest"
	"github.com/signalr-go/signalr/protocol"
)

// Ports of ASP.NET Core's ScaleoutHubLifetimeManagerTests: two or three
// managers on separate backplanes (separate "servers") sharing one Redis.

func twoNodes(t *testing.T) (*node, *node) {
	srv := redistest.Start(t)
	return newNode(t, []string{srv.Addr}), newNode(t, []string{srv.Addr})
}

func equal(t *testing.T, c *fakeConn, want ...string) {
	t.Helper()
	got := c.waitN(t, len(want))
	if !slices.Equal(got, want) {
		t.Fatalf("%s got %q, want %q", c.id, got, want)
	}
}

func TestInvokeAllAcrossServers(t *testing.T) {
	s1, s2 := twoNodes(t)
	c1, c2 := s1.add(t, newConn("c1", "")), s2.add(t, newConn("c2", ""))
	s1.send(t, all(), "Hello", "World")
	equal(t, c1, "Hello:World")
	equal(t, c2, "Hello:World")
}

func TestInvokeAllDoesNotWriteToDisconnectedConnections(t *testing.T) {
	s1, s2 := twoNodes(t)
	c1, c2 := s1.add(t, newConn("c1", "")), s2.add(t, newConn("c2", ""))
	if err := s2.h.Remove(ctx5(t), c2); err != nil {
		t.Fatal(err)
	}
	s1.send(t, all(), "Hello", "World")
	s1.send(t, conns("c1"), "End", "")
	equal(t, c1, "Hello:World", "End:")
	s2.send(t, all(), "Second", "")
	equal(t, c1, "Hello:World", "End:", "Second:")
	if got := c2.targets(); len(got) != 0 {
		t.Fatalf("disconnected connection received %q", got)
	}
}

func TestInvokeAllExceptAcrossServers(t *testing.T) {
	s1, s2 := twoNodes(t)
	c1, c2 := s1.add(t, newConn("c1", "")), s2.add(t, newConn("c2", ""))
	c3 := s2.add(t, newConn("c3", ""))
	s1.send(t, all("c1", "c2"), "Hello", "x")
	s1.send(t, all(), "End", "")
	equal(t, c1, "End:")
	equal(t, c2, "End:")
	equal(t, c3, "Hello:x", "End:")
}

func TestInvokeConnectionOnServerWithoutConnection(t *testing.T) {
	s1, s2 := twoNodes(t)
	c := s1.add(t, newConn("c1", ""))
	s2.send(t, conns("c1"), "Hello", "World")
	equal(t, c, "Hello:World")
}

func TestInvokeGroupOnServerWithoutConnection(t *testing.T) {
	s1, s2 := twoNodes(t)
	c := s1.add(t, newConn("c1", ""))
	if err := s1.h.AddToGroup(ctx5(t), "c1", "name"); err != nil {
		t.Fatal(err)
	}
	s2.send(t, groups("name"), "Hello", "World")
	equal(t, c, "Hello:World")
}

func TestGroupExceptAcrossServers(t *testing.T) {
	s1, s2 := twoNodes(t)
	c1, c2 := s1.add(t, newConn("c1", "")), s1.add(t, newConn("c2", ""))
	for _, id := range []string{"c1", "c2"} {
		if err := s2.h.AddToGroup(ctx5(t), id, "g"); err != nil {
			t.Fatal(err)
		}
	}
	s2.send(t, signalr.Target{Kind: signalr.ToGroups, Names: []string{"g"}, Exclude: []string{"c1"}}, "Hello", "")
	s2.send(t, groups("g"), "End", "")
	equal(t, c1, "End:")
	equal(t, c2, "Hello:", "End:")
}

func TestDisconnectConnectionRemovesConnectionFromGroup(t *testing.T) {
	s1, s2 := twoNodes(t)
	c := s1.add(t, newConn("c1", ""))
	if err := s1.h.AddToGroup(ctx5(t), "c1", "name"); err != nil {
		t.Fatal(err)
	}
	if err := s1.h.Remove(ctx5(t), c); err != nil {
		t.Fatal(err)
	}
	s2.send(t, groups("name"), "Hello", "World")
	members, err := s2.h.Members(ctx5(t), "name")
	if err != nil || len(members) != 0 {
		t.Fatalf("members after disconnect %q, %v", members, err)
	}
	other := s1.add(t, newConn("c2", ""))
	s2.send(t, conns("c2"), "End", "")
	equal(t, other, "End:")
	if got := c.targets(); len(got) != 0 {
		t.Fatalf("removed connection received %q", got)
	}
}

func TestRemoveGroupFromLocalConnectionNotInGroupDoesNothing(t *testing.T) {
	s1, _ := twoNodes(t)
	s1.add(t, newConn("c1", ""))
	if err := s1.h.RemoveFromGroup(ctx5(t), "c1", "name"); err != nil {
		t.Fatal(err)
	}
}

func TestRemoveGroupFromConnectionOnDifferentServerNotInGroupDoesNothing(t *testing.T) {
	s1, s2 := twoNodes(t)
	s1.add(t, newConn("c1", ""))
	if err := s2.h.RemoveFromGroup(ctx5(t), "c1", "name"); err != nil {
		t.Fatal(err)
	}
}

func TestAddGroupForConnectionOnDifferentServerWorks(t *testing.T) {
	s1, s2 := twoNodes(t)
	c := s1.add(t, newConn("c1", ""))
	if err := s2.h.AddToGroup(ctx5(t), "c1", "name"); err != nil {
		t.Fatal(err)
	}
	s2.send(t, groups("name"), "Hello", "World")
	equal(t, c, "Hello:World")
}

func TestAddGroupForLocalConnectionAlreadyInGroupDoesNothing(t *testing.T) {
	s1, s2 := twoNodes(t)
	c := s1.add(t, newConn("c1", ""))
	for range 2 {
		if err := s1.h.AddToGroup(ctx5(t), "c1", "name"); err != nil {
			t.Fatal(err)
		}
	}
	s2.send(t, groups("name"), "Hello", "World")
	s2.send(t, conns("c1"), "End", "")
	equal(t, c, "Hello:World", "End:")
}

func TestAddGroupForConnectionOnDifferentServerAlreadyInGroupDoesNothing(t *testing.T) {
	s1, s2 := twoNodes(t)
	c := s1.add(t, newConn("c1", ""))
	if err := s1.h.AddToGroup(ctx5(t), "c1", "name"); err != nil {
		t.Fatal(err)
	}
	if err := s2.h.AddToGroup(ctx5(t), "c1", "name"); err != nil {
		t.Fatal(err)
	}
	s2.send(t, groups("name"), "Hello", "World")
	s2.send(t, conns("c1"), "End", "")
	equal(t, c, "Hello:World", "End:")
}

func TestRemoveGroupForConnectionOnDifferentServerWorks(t *testing.T) {
	s1, s2 := twoNodes(t)
	c := s1.add(t, newConn("c1", ""))
	if err := s1.h.AddToGroup(ctx5(t), "c1", "name"); err != nil {
		t.Fatal(err)
	}
	s2.send(t, groups("name"), "Hello", "World")
	equal(t, c, "Hello:World")
	if err := s2.h.RemoveFromGroup(ctx5(t), "c1", "name"); err != nil {
		t.Fatal(err)
	}
	s2.send(t, groups("name"), "Hello", "Again")
	s2.send(t, conns("c1"), "End", "")
	equal(t, c, "Hello:World", "End:")
}

func TestGroupChangeOfUnknownConnectionTimesOut(t *testing.T) {
	s1, _ := twoNodes(t)
	err := s1.h.AddToGroup(ctx5(t), "nobody", "name")
	if !errors.Is(err, ErrAckTimeout) {
		t.Fatalf("AddToGroup of an unknown connection: %v, want ErrAckTimeout", err)
	}
}

func TestInvokeConnectionForLocalConnectionDoesNotPublish(t *testing.T) {
	s1, _ := twoNodes(t)
	c := s1.add(t, newConn("c1", ""))
	before := s1.b.Stats().Published
	s1.send(t, conns("c1"), "Hello", "World")
	equal(t, c, "Hello:World")
	if after := s1.b.Stats().Published; after != before {
		t.Fatalf("published %d messages for a local connection", after-before)
	}
}

func TestWritingToRemoteConnectionThatFailsDoesNotThrow(t *testing.T) {
	s1, s2 := twoNodes(t)
	bad := newConn("c1", "")
	bad.failSend = true
	s1.add(t, bad)
	good := s1.add(t, newConn("c2", ""))
	s2.send(t, conns("c1"), "Hello", "World")
	s2.send(t, conns("c2"), "End", "")
	equal(t, good, "End:")
}

func TestWritingToGroupWithOneConnectionFailing(t *testing.T) {
	s1, s2 := twoNodes(t)
	bad := newConn("c1", "")
	bad.failSend = true
	s1.add(t, bad)
	good := s1.add(t, newConn("c2", ""))
	for _, id := range []string{"c1", "c2"} {
		if err := s1.h.AddToGroup(ctx5(t), id, "g"); err != nil {
			t.Fatal(err)
		}
	}
	s2.send(t, groups("g"), "Hello", "World")
	equal(t, good, "Hello:World")
}

func TestInvokeUserSendsToAllConnectionsForUser(t *testing.T) {
	srv := redistest.Start(t)
	s1, s2, s3 := newNode(t, []string{srv.Addr}), newNode(t, []string{srv.Addr}), newNode(t, []string{srv.Addr})
	a, b := s1.add(t, newConn("c1", "userA")), s2.add(t, newConn("c2", "userA"))
	other := s2.add(t, newConn("c3", "userB"))
	s3.send(t, users("userA"), "Hello", "World")
	s3.send(t, all(), "End", "")
	equal(t, a, "Hello:World", "End:")
	equal(t, b, "Hello:World", "End:")
	equal(t, other, "End:")
}

func TestStillSubscribedToUserAfterOneConnectionDisconnects(t *testing.T) {
	s1, s2 := twoNodes(t)
	a := s1.add(t, newConn("c1", "userA"))
	b := s1.add(t, newConn("c2", "userA"))
	if err := s1.h.Remove(ctx5(t), a); err != nil {
		t.Fatal(err)
	}
	s2.send(t, users("userA"), "Hello", "World")
	equal(t, b, "Hello:World")
}

// answerWith makes c answer every client-result call with result (a JSON
// text) or, when errText is set, with that error.
func answerWith(c *fakeConn, result, errText string) *fakeConn {
	c.answer = func(*protocol.Invocation) signalr.ClientResult {
		if errText != "" {
			return signalr.ClientResult{Protocol: c.proto, Error: errText}
		}
		return signalr.ClientResult{Protocol: c.proto, Result: protocol.Raw(result)}
	}
	return c
}

func TestClientResultAcrossServers(t *testing.T) {
	s1, s2 := twoNodes(t)
	s1.add(t, answerWith(newConn("c1", ""), "10", ""))
	r, err := s2.h.Invoke(ctx5(t), "c1", "Result", []any{"test"})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := r.Protocol.Unmarshal(r.Result, &n); err != nil || n != 10 {
		t.Fatalf("result %q decoded as %d, %v", r.Result, n, err)
	}
}

func TestClientResultAcrossServersMessagePack(t *testing.T) {
	s1, s2 := twoNodes(t)
	c := newConn("c1", "")
	c.proto = protocol.MessagePack{}
	s1.add(t, answerWith(c, "\x0a", ""))
	r, err := s2.h.Invoke(ctx5(t), "c1", "Result", []any{"test"})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	if r.Protocol.Name() != "messagepack" || r.Protocol.Unmarshal(r.Result, &n) != nil || n != 10 {
		t.Fatalf("result %+v decoded as %d", r, n)
	}
}

func TestClientErrorResultAcrossServers(t *testing.T) {
	s1, s2 := twoNodes(t)
	s1.add(t, answerWith(newConn("c1", ""), "", "Error from client"))
	r, err := s2.h.Invoke(ctx5(t), "c1", "Result", []any{"test"})
	if err != nil || r.Error != "Error from client" {
		t.Fatalf("got %+v, %v", r, err)
	}
}

func TestClientResultWrongTypeAcrossServers(t *testing.T) {
	s1, s2 := twoNodes(t)
	s1.add(t, answerWith(newConn("c1", ""), `"not a number"`, ""))
	r, err := s2.h.Invoke(ctx5(t), "c1", "Result", []any{"test"})
	if err != nil {
		t.Fatal(err)
	}
	var n int32
	if err := r.Protocol.Unmarshal(r.Result, &n); err == nil {
		t.Fatalf("a string result decoded as int32 %d", n)
	}
}

func TestClientResultConnectionDoesNotExist(t *testing.T) {
	s1, _ := twoNodes(t)
	_, err := s1.h.Invoke(ctx5(t), "1234", "Result", nil)
	if !errors.Is(err, signalr.ErrConnectionNotFound) || err.Error() != "Connection '1234' does not exist." {
		t.Fatalf("got %v", err)
	}
}

func TestClientDisconnectsWithoutCompletingClientResult(t *testing.T) {
	s1, s2 := twoNodes(t)
	c := s1.add(t, newConn("c1", ""))
	errc := make(chan error, 1)
	go func() {
		_, err := s2.h.Invoke(ctx5(t), "c1", "Result", nil)
		errc <- err
	}()
	c.waitN(t, 1)
	if err := s1.h.Remove(ctx5(t), c); err != nil {
		t.Fatal(err)
	}
	err := <-errc
	var he *signalr.HubError
	if !errors.As(err, &he) || he.Message != "Connection disconnected." {
		t.Fatalf("got %v", err)
	}
}

func TestInvocationsFromDifferentServersUseUniqueIDs(t *testing.T) {
	srv := redistest.Start(t)
	s1, s2, s3 := newNode(t, []string{srv.Addr}), newNode(t, []string{srv.Addr}), newNode(t, []string{srv.Addr})
	c := s1.add(t, answerWith(newConn("c1", ""), "1", ""))
	for _, s := range []*node{s2, s3} {
		if _, err := s.h.Invoke(ctx5(t), "c1", "Result", nil); err != nil {
			t.Fatal(err)
		}
	}
	c.mu.Lock()
	ids := []string{c.got[0].InvocationID, c.got[1].InvocationID}
	c.mu.Unlock()
	if ids[0] == ids[1] || len(ids[0]) != 22 || strings.ContainsAny(ids[0], "=") {
		t.Fatalf("invocation ids %q", ids)
	}
}

func TestInvokeCanceled(t *testing.T) {
	s1, s2 := twoNodes(t)
	s1.add(t, newConn("c1", ""))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s2.h.Invoke(ctx, "c1", "Result", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}
