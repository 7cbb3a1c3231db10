package redis

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/client"
	"github.com/signalr-go/signalr/internal/redistest"
	"github.com/signalr-go/signalr/protocol"
)

// e2eHub is served by two signalr servers sharing a backplane.
type e2eHub struct{}

func (e2eHub) Broadcast(c *signalr.Context, text string) error {
	return c.Clients.All().Send(c, "Receive", text)
}

func (e2eHub) AddTo(c *signalr.Context, connID, group string) error {
	return c.Groups.Add(c, connID, group)
}

func (e2eHub) ToGroup(c *signalr.Context, group, text string) error {
	return c.Clients.Group(group).Send(c, "Receive", text)
}

func (e2eHub) AskOther(c *signalr.Context, connID string) (int, error) {
	return signalr.Invoke[int](c, c.Clients.Client(connID), "Ask")
}

// Two hub servers on one Redis, with the Go client over real WebSockets,
// one client speaking JSON and the other MessagePack.
func TestServersThroughBackplane(t *testing.T) {
	srv := redistest.Start(t)
	var urls []string
	for range 2 {
		n := newNode(t, []string{srv.Addr})
		hs, err := signalr.NewServer(e2eHub{}, signalr.Options{LifetimeManager: n.h})
		if err != nil {
			t.Fatal(err)
		}
		web := httptest.NewServer(hs)
		t.Cleanup(func() {
			web.Close()
			_ = hs.Shutdown(context.Background())
		})
		urls = append(urls, web.URL)
	}
	ctx := ctx5(t)
	received := make(chan string, 10)
	a, err := client.New(urls[0])
	if err != nil {
		t.Fatal(err)
	}
	b, err := client.New(urls[1], client.WithProtocol(protocol.MessagePack{}))
	if err != nil {
		t.Fatal(err)
	}
	b.On("Receive", func(s string) { received <- s })
	b.On("Ask", func() int { return 42 })
	for _, c := range []*client.Client{a, b} {
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer c.Stop(context.Background())
	}
	expect := func(want string) {
		t.Helper()
		got := "ready"
		for got == "ready" { // late answers to the readiness probe
			select {
			case got = <-received:
			case <-time.After(5 * time.Second):
				t.Fatalf("%q never arrived", want)
			}
		}
		if got != want {
			t.Fatalf("received %q, want %q", got, want)
		}
	}
	// The server registers a connection just after its handshake answer
	// (as ASP.NET Core does), so Start may return a moment before: wait
	// until B is reachable.
	for ready := false; !ready; {
		if _, err := client.Invoke[any](ctx, a, "Broadcast", "ready"); err != nil {
			t.Fatal(err)
		}
		select {
		case <-received:
			ready = true
		case <-time.After(50 * time.Millisecond):
		}
	}
	if _, err := client.Invoke[any](ctx, a, "Broadcast", "hello"); err != nil {
		t.Fatal(err)
	}
	expect("hello")
	if _, err := client.Invoke[any](ctx, a, "AddTo", b.ConnectionID(), "room"); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Invoke[any](ctx, a, "ToGroup", "room", "in the room"); err != nil {
		t.Fatal(err)
	}
	expect("in the room")
	if n, err := client.Invoke[int](ctx, a, "AskOther", b.ConnectionID()); err != nil || n != 42 {
		t.Fatalf("client result across servers: %d, %v", n, err)
	}
}
