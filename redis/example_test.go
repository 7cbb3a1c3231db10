package redis_test

import (
	"context"
	"log"
	"net/http"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/redis"
	"github.com/signalr-go/signalr/transport"
)

// Chat is a hub whose broadcasts reach the clients of every server.
type Chat struct{}

// Send broadcasts a message to every client of every server.
func (Chat) Send(c *signalr.Context, text string) error {
	return c.Clients.All().Send(c, "ReceiveMessage", text)
}

// Several servers started like this, with the same Redis, share their
// clients, groups and users. The hub's wire name is what a .NET server
// would use (its hub class's full name), so .NET servers can join too.
func ExampleOpen() {
	opts, err := redis.ParseURL("redis://127.0.0.1:6379") // e.g. from a -redis flag
	if err != nil {
		log.Fatal(err)
	}
	bp, err := redis.Open(context.Background(), opts) // retries in the background if Redis is down
	if err != nil {
		log.Fatal(err)
	}
	defer bp.Close()

	srv, err := signalr.NewServer(Chat{}, signalr.Options{
		LifetimeManager: bp.Hub("ChatApp.Hubs.ChatHub", nil), // nil: JSON and MessagePack, the server's default
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	http.Handle("/chat", srv)
	http.Handle("/chat/", srv)
	// log.Fatal(http.ListenAndServe(":8080", nil))
}

// Servers on one Redis that also serve each other's connections: behind
// a load balancer with no sticky sessions, every request of a connection
// may reach any of them.
func ExampleBackplane_Cluster() {
	ctx := context.Background()
	opts, err := redis.ParseURL("redis://127.0.0.1:6379")
	if err != nil {
		log.Fatal(err)
	}
	bp, err := redis.Open(ctx, opts)
	if err != nil {
		log.Fatal(err)
	}
	defer bp.Close()
	// The address the other servers reach this one at; the secret is
	// shared through Redis unless ClusterOptions.Secret is given.
	cluster, err := bp.Cluster(ctx, redis.ClusterOptions{Addr: "http://10.0.0.5:8080"})
	if err != nil {
		log.Fatal(err)
	}
	srv, err := signalr.NewServer(Chat{}, signalr.Options{
		LifetimeManager: bp.Hub("ChatApp.Hubs.ChatHub", nil),
		Transport:       transport.Options{Cluster: cluster},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown(ctx)
	http.Handle("/chat", srv)
	http.Handle("/chat/", srv)
	// log.Fatal(http.ListenAndServe("10.0.0.5:8080", nil))
}
