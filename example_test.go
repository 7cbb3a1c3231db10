package signalr_test

import (
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/signalr-go/signalr"
)

// Chat is a hub: its exported methods are callable by clients.
type Chat struct{}

// ReceiveMessage is the client method every chat message is sent to.
var ReceiveMessage = signalr.ClientMethod2[string, string]("ReceiveMessage")

// SendMessage broadcasts a message to every connected client.
func (Chat) SendMessage(c *signalr.Context, user, text string) error {
	return ReceiveMessage.Send(c, c.Clients.All(), user, text)
}

// JoinRoom adds the caller to a group.
func (Chat) JoinRoom(c *signalr.Context, room string) error {
	return c.Groups.Add(c, c.ConnectionID(), room)
}

// Countdown streams n, n-1, ... 1 to the caller, stopping early when the
// client cancels the stream.
func (Chat) Countdown(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := n; i > 0; i-- {
			if !yield(i) {
				return
			}
		}
	}
}

// Confirm asks the calling client a yes/no question and waits for the
// answer (a client result).
func (Chat) Confirm(c *signalr.Context, question string) (bool, error) {
	ctx, cancel := context.WithTimeout(c, 30*time.Second)
	defer cancel()
	return signalr.Invoke[bool](ctx, c.Clients.Caller(), "Confirm", question)
}

func Example() {
	srv, err := signalr.NewServer(Chat{}, signalr.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("/chat", srv)
	mux.Handle("/chat/", srv)
	// http.ListenAndServe(":8080", mux)
	fmt.Println(srv.Shutdown(context.Background()))
	// Output: <nil>
}

// The Server is the hub context: it reaches clients from anywhere.
func ExampleServer_Clients() {
	srv, _ := signalr.NewServer(Chat{}, signalr.Options{})
	defer srv.Shutdown(context.Background())
	ctx := context.Background()
	err := srv.Clients().Group("lobby").Send(ctx, "ReceiveMessage", "system", "the server restarts in 5 minutes")
	fmt.Println(err)
	n, _ := srv.ConnectionCount(ctx)
	fmt.Println(n, "connections")
	// Output:
	// <nil>
	// 0 connections
}

// A typed client method makes a call with wrong argument types a compile
// error.
func ExampleClientMethod2() {
	srv, _ := signalr.NewServer(Chat{}, signalr.Options{})
	defer srv.Shutdown(context.Background())
	err := ReceiveMessage.Send(context.Background(), srv.Clients().User("ann"), "bob", "hi")
	fmt.Println(err)
	// Output: <nil>
}

// Handle registers a function as a hub method; this one streams through a
// channel, which it closes when done or when the client cancels.
func ExampleServer_Handle() {
	srv, _ := signalr.NewServer(nil, signalr.Options{})
	defer srv.Shutdown(context.Background())
	err := srv.Handle("Ticks", func(c *signalr.Context, n int) <-chan time.Time {
		ch := make(chan time.Time)
		go func() {
			defer close(ch)
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for range n {
				var now time.Time
				select {
				case now = <-t.C:
				case <-c.Done():
					return
				}
				select {
				case ch <- now:
				case <-c.Done():
					return
				}
			}
		}()
		return ch
	})
	fmt.Println(err)
	// Output: <nil>
}

// Invoke asks one client for a result, here from outside the hub.
func ExampleInvoke() {
	srv, _ := signalr.NewServer(Chat{}, signalr.Options{})
	defer srv.Shutdown(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := signalr.Invoke[bool](ctx, srv.Clients().Client("some-connection-id"), "Confirm", "Proceed?")
	fmt.Println(err != nil)
	// Output: true
}

// Tracing a share of the invocations with a TraceFilter: those whose
// client sent a W3C traceparent (its trace goes on) and one in a hundred
// of the others. The filtered-out ones cost the tracer nothing, where a
// ratio sampler would still have a span started and dropped for each.
func ExampleOptions_traceFilter() {
	srv, err := signalr.NewServer(Chat{}, signalr.Options{
		TraceFilter: func(inv *signalr.Invocation) bool {
			return inv.Headers["traceparent"] != "" || rand.N(100) == 0
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(srv.Shutdown(context.Background()))
	// Output: <nil>
}
