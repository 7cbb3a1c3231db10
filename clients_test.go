package signalr

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/signalr-go/signalr/protocol"
)

// received reports which clients got a "Msg" invocation with text, after
// a marker sent to all so that every client has seen what came before.
func received(t *testing.T, srv *Server, clients []*testClient, text string) []int {
	t.Helper()
	if err := srv.Clients().All().Send(context.Background(), "Marker"); err != nil {
		t.Fatal(err)
	}
	var got []int
	for i, c := range clients {
		for {
			inv, ok := c.next().(*protocol.Invocation)
			if !ok {
				t.Fatalf("client %d: unexpected message", i)
			}
			if inv.Target == "Marker" {
				break
			}
			var s string
			c.value(inv.Arguments[0], &s)
			if inv.Target == "Msg" && s == text {
				got = append(got, i)
			}
		}
	}
	return got
}

func TestClientTargets(t *testing.T) {
	srv := newTestServer(t, newTestHub(), Options{})
	// 0,1: user "ann" (json, msgpack); 2: user "bob"; 3: anonymous.
	cs := []*testClient{
		connect(t, srv, "json", withUser("ann")),
		connect(t, srv, "messagepack", withUser("ann")),
		connect(t, srv, "json", withUser("bob")),
		connect(t, srv, "messagepack"),
	}
	id := func(i int) string { return cs[i].fc.id }
	ctx := context.Background()
	g := srv.Groups()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(g.Add(ctx, id(0), "red"))
	must(g.Add(ctx, id(0), "red")) // idempotent
	must(g.Add(ctx, id(2), "red"))
	must(g.Add(ctx, id(2), "blue"))
	must(g.Add(ctx, id(3), "blue"))
	must(g.Remove(ctx, id(3), "green")) // not a member: nothing
	if err := g.Add(ctx, "nobody", "red"); !errors.Is(err, ErrConnectionNotFound) {
		t.Errorf("Add(unknown) = %v", err)
	}

	h := srv.Clients()
	callers := func(i int) CallerClients { return cs[i].fc.recv.ctx.Clients }
	tests := []struct {
		name string
		to   Sender
		want []int
	}{
		{"All", h.All(), []int{0, 1, 2, 3}},
		{"AllExcept", h.AllExcept(id(0), id(3)), []int{1, 2}},
		{"Client", h.Client(id(2)), []int{2}},
		{"Clients", h.Clients(id(1), id(3), id(1)), []int{1, 3}},
		{"Group", h.Group("red"), []int{0, 2}},
		{"Groups", h.Groups("red", "blue"), []int{0, 2, 3}},
		{"GroupExcept", h.GroupExcept("red", id(0)), []int{2}},
		{"User", h.User("ann"), []int{0, 1}},
		{"Users", h.Users("ann", "bob"), []int{0, 1, 2}},
		{"Caller", callers(1).Caller(), []int{1}},
		{"Others", callers(1).Others(), []int{0, 2, 3}},
		{"OthersInGroup", callers(2).OthersInGroup("blue"), []int{3}},
		{"unknown group", h.Group("none"), nil},
	}
	for _, tt := range tests {
		if err := tt.to.Send(ctx, "Msg", tt.name); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := received(t, srv, cs, tt.name); !slices.Equal(got, tt.want) {
			t.Errorf("%s reached %v, want %v", tt.name, got, tt.want)
		}
	}

	members, _ := g.Members(ctx, "red")
	if want := []string{id(0), id(2)}; !slices.Equal(members, slices.Sorted(slices.Values(want))) {
		t.Errorf("Members(red) = %v", members)
	}
	of, _ := g.Of(ctx, id(2))
	if !slices.Equal(of, []string{"blue", "red"}) {
		t.Errorf("Of = %v", of)
	}
	conns, _ := srv.UserConnections(ctx, "ann")
	if len(conns) != 2 {
		t.Errorf("UserConnections(ann) = %v", conns)
	}
	if n, _ := srv.ConnectionCount(ctx); n != 4 {
		t.Errorf("ConnectionCount = %d", n)
	}

	// Memberships end with the connection.
	cs[2].close()
	if n, _ := g.Size(ctx, "red"); n != 1 {
		t.Errorf("Size(red) after disconnect = %d", n)
	}

	// Disconnect from outside, with a message.
	if err := srv.Disconnect(ctx, id(3), &HubError{Message: "kicked"}); err != nil {
		t.Fatal(err)
	}
	for {
		if cl, ok := cs[3].next().(*protocol.Close); ok {
			if cl.Error != "kicked" || cl.AllowReconnect {
				t.Errorf("Close %+v", cl)
			}
			break
		}
	}
	cs[3].closed()
	if err := srv.DisconnectUser(ctx, "ann", nil); err != nil {
		t.Fatal(err)
	}
	cs[0].closed()
	cs[1].closed()
	if n, _ := srv.ConnectionCount(ctx); n != 0 {
		t.Errorf("ConnectionCount = %d after disconnects", n)
	}
}

func TestGroupsFromHub(t *testing.T) {
	srv := newTestServer(t, newTestHub(), Options{})
	a, b := connect(t, srv, "json"), connect(t, srv, "messagepack")
	a.invoke("1", "Join", "g")
	b.invoke("1", "Join", "g")
	b.invoke("2", "Leave", "g")
	var ReceiveMessage = ClientMethod2[string, int]("Msg")
	if err := ReceiveMessage.Send(context.Background(), srv.Clients().Group("g"), "typed", 1); err != nil {
		t.Fatal(err)
	}
	if got := received(t, srv, []*testClient{a, b}, "typed"); !slices.Equal(got, []int{0}) {
		t.Errorf("group send reached %v", got)
	}
}

func TestServerStreams(t *testing.T) {
	bothProtocols(t, func(t *testing.T, proto string) {
		srv := newTestServer(t, newTestHub(), Options{EnableDetailedErrors: true})
		c := connect(t, srv, proto)
		for _, target := range []string{"Count", "Seq"} {
			c.send(&protocol.StreamInvocation{InvocationID: target, Target: target, Arguments: []any{3}})
			comp, items := c.completion(target)
			if comp.Error != "" || comp.HasResult || len(items) != 3 {
				t.Errorf("%s: %+v after %d items", target, comp, len(items))
			}
			for _, m := range items {
				if it, ok := m.(*protocol.StreamItem); !ok || it.InvocationID != target {
					t.Errorf("%s: item %+v", target, m)
				}
			}
		}
		c.send(&protocol.StreamInvocation{InvocationID: "e", Target: "SeqErr", Arguments: []any{2}})
		comp, items := c.completion("e")
		if len(items) != 2 || comp.Error != "An error occurred on the server while streaming results. Exception: stream broke" {
			t.Errorf("SeqErr: %q after %d items", comp.Error, len(items))
		}
		c.send(&protocol.StreamInvocation{InvocationID: "f", Target: "StreamFails", Arguments: []any{}})
		if comp, _ := c.completion("f"); comp.Error != "An unexpected error occurred invoking 'StreamFails' on the server. HubException: no stream" {
			t.Errorf("StreamFails: %q", comp.Error)
		}
	})
}

func TestStreamCancel(t *testing.T) {
	srv := newTestServer(t, newTestHub(), Options{})
	c := connect(t, srv, "json")
	c.send(&protocol.StreamInvocation{InvocationID: "1", Target: "Infinite", Arguments: []any{}})
	c.send(&protocol.StreamInvocation{InvocationID: "1", Target: "Infinite", Arguments: []any{}})
	if comp, _ := c.completion("1"); comp.Error != "Invocation ID '1' is already in use." {
		t.Errorf("duplicate id: %+v", comp)
	}
	c.send(&protocol.CancelInvocation{InvocationID: "1"})
	comp, before := c.completion("1")
	if comp.Error != "" {
		t.Errorf("cancelled stream ended with %q", comp.Error)
	}
	sawCancel := false
	for _, m := range before {
		if inv, ok := m.(*protocol.Invocation); ok && inv.Target == "StreamCanceled" {
			sawCancel = true
		}
	}
	if !sawCancel {
		// The hub's message may come after the completion.
		if inv, ok := c.next().(*protocol.Invocation); !ok || inv.Target != "StreamCanceled" {
			t.Errorf("hub did not see the cancellation")
		}
	}
}

func TestUploadStreams(t *testing.T) {
	bothProtocols(t, func(t *testing.T, proto string) {
		srv := newTestServer(t, newTestHub(), Options{StreamBufferCapacity: 2})
		c := connect(t, srv, proto)
		c.send(&protocol.Invocation{InvocationID: "2", Target: "Concat", Arguments: []any{}, StreamIDs: []string{"1"}})
		for _, s := range []string{"Hello ", "world", "!", "?"} {
			c.send(&protocol.StreamItem{InvocationID: "1", Item: s})
		}
		c.send(&protocol.Completion{InvocationID: "1"})
		comp, _ := c.completion("2")
		var s string
		c.value(comp.Result, &s)
		if s != "Hello world!?" {
			t.Errorf("Concat = %q (%+v)", s, comp)
		}

		c.send(&protocol.Invocation{InvocationID: "4", Target: "Concat", Arguments: []any{}, StreamIDs: []string{"3"}})
		c.send(&protocol.StreamItem{InvocationID: "3", Item: "x"}, &protocol.Completion{InvocationID: "3", Error: "Something bad"})
		comp, _ = c.completion("4")
		if comp.Error != "An unexpected error occurred invoking 'Concat' on the server. HubException: Something bad" {
			t.Errorf("upload error: %q", comp.Error)
		}

		c.send(&protocol.Invocation{InvocationID: "7", Target: "Sum2", Arguments: []any{}, StreamIDs: []string{"5", "6"}})
		c.send(&protocol.StreamItem{InvocationID: "6", Item: 10}, &protocol.StreamItem{InvocationID: "5", Item: 1},
			&protocol.Completion{InvocationID: "5"}, &protocol.Completion{InvocationID: "6"})
		comp, _ = c.completion("7")
		var n int
		c.value(comp.Result, &n)
		if n != 11 {
			t.Errorf("Sum2 = %d (%+v)", n, comp)
		}

		c.send(&protocol.Invocation{InvocationID: "8", Target: "Concat", Arguments: []any{}})
		if comp, _ := c.completion("8"); comp.Error != "An unexpected error occurred invoking 'Concat' on the server." {
			t.Errorf("missing stream: %q", comp.Error)
		}
		c.send(&protocol.StreamItem{InvocationID: "99", Item: "dropped"})
		c.invoke("9", "Void")
	})
}

func TestClientResults(t *testing.T) {
	bothProtocols(t, func(t *testing.T, proto string) {
		srv := newTestServer(t, newTestHub(), Options{EnableDetailedErrors: true})
		c := connect(t, srv, proto)
		ctx := context.Background()

		// From a hub method to its own caller: the connection keeps reading.
		c.send(&protocol.Invocation{InvocationID: "1", Target: "AskCaller", Arguments: []any{"Result"}})
		inv := c.next().(*protocol.Invocation)
		if inv.Target != "Result" || inv.InvocationID == "" || inv.InvocationID[0] != 's' {
			t.Fatalf("client result request %+v", inv)
		}
		c.send(&protocol.Completion{InvocationID: inv.InvocationID, Result: 10, HasResult: true})
		comp, _ := c.completion("1")
		var n int
		c.value(comp.Result, &n)
		if n != 10 {
			t.Errorf("result %d (%+v)", n, comp)
		}

		// Client error, through the hub.
		c.send(&protocol.Invocation{InvocationID: "2", Target: "AskCaller", Arguments: []any{"Result"}})
		inv = c.next().(*protocol.Invocation)
		c.send(&protocol.Completion{InvocationID: inv.InvocationID, Error: "Client didn't provide a result."})
		if comp, _ := c.completion("2"); comp.Error != "An unexpected error occurred invoking 'AskCaller' on the server. HubException: Client didn't provide a result." {
			t.Errorf("client error: %q", comp.Error)
		}

		// From outside: wrong type, timeout, disconnect.
		type res struct {
			v   int
			err error
		}
		done := make(chan res, 1)
		go func() {
			v, err := Invoke[int](ctx, srv.Clients().Client(c.fc.id), "Result")
			done <- res{v, err}
		}()
		inv = c.next().(*protocol.Invocation)
		c.send(&protocol.Completion{InvocationID: inv.InvocationID, Result: "text", HasResult: true})
		if r := <-done; r.err == nil {
			t.Errorf("wrong type gave %d", r.v)
		}

		tctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		if _, err := Invoke[int](tctx, srv.Clients().Client(c.fc.id), "Result"); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("timeout: %v", err)
		}
		c.next() // the request that timed out

		if _, err := Invoke[int](ctx, srv.Clients().Client("nobody"), "Result"); !errors.Is(err, ErrConnectionNotFound) {
			t.Errorf("unknown connection: %v", err)
		}

		go func() {
			v, err := Invoke[int](ctx, srv.Clients().Client(c.fc.id), "Result")
			done <- res{v, err}
		}()
		c.next()
		c.close()
		if r := <-done; !errors.Is(r.err, ErrDisconnected) || !errors.As(r.err, new(*HubError)) {
			t.Errorf("disconnect: %v", r.err)
		}
	})
}

func TestClientResultInOnConnectedFails(t *testing.T) {
	errs := make(chan error, 1)
	srv := newTestServer(t, nil, Options{Filters: []Filter{{Connected: func(next ConnectedHandler) ConnectedHandler {
		return func(c *Context) error {
			_, err := Invoke[int](c, c.Clients.Caller(), "X")
			errs <- err
			return next(c)
		}
	}}}})
	connect(t, srv, "json")
	if err := <-errs; !errors.Is(err, ErrClientResultsInOnConnected) {
		t.Errorf("got %v", err)
	}
}
