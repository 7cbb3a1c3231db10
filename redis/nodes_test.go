package redis

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/client"
	"github.com/signalr-go/signalr/internal/redistest"
	"github.com/signalr-go/signalr/internal/roundrobin"
	"github.com/signalr-go/signalr/protocol"
	"github.com/signalr-go/signalr/transport"
)

func TestClusterDirectory(t *testing.T) {
	srv := redistest.Start(t)
	n1 := newNode(t, []string{srv.Addr})
	n2 := newNode(t, []string{srv.Addr})
	c1, err := n1.b.Cluster(ctx5(t), ClusterOptions{Addr: "http://127.0.0.1:1111"})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := n2.b.Cluster(ctx5(t), ClusterOptions{Addr: "http://127.0.0.1:2222"})
	if err != nil {
		t.Fatal(err)
	}
	if string(c1.Secret) != string(c2.Secret) || len(c1.Secret) < 16 {
		t.Fatalf("secrets %q and %q: want one shared secret", c1.Secret, c2.Secret)
	}
	if c1.Node != n1.b.ServerName() {
		t.Fatalf("node %q, want %q", c1.Node, n1.b.ServerName())
	}
	if addr, err := c1.Directory.Lookup(ctx5(t), c2.Node); err != nil || addr != "http://127.0.0.1:2222" {
		t.Fatalf("Lookup(n2) = %q, %v", addr, err)
	}
	if addr, err := c2.Directory.Lookup(ctx5(t), c1.Node); err != nil || addr != "http://127.0.0.1:1111" {
		t.Fatalf("Lookup(n1) = %q, %v", addr, err)
	}
	if _, err := c1.Directory.Lookup(ctx5(t), "nobody"); !errors.Is(err, transport.ErrUnknownNode) {
		t.Fatalf("Lookup(nobody): %v", err)
	}
	if _, err := n1.b.Cluster(ctx5(t), ClusterOptions{Addr: "http://127.0.0.1:1111"}); err == nil {
		t.Fatal("second Cluster call accepted")
	}
	if _, err := newNode(t, []string{srv.Addr}).b.Cluster(ctx5(t), ClusterOptions{Addr: "127.0.0.1:3333"}); err == nil {
		t.Fatal("address without scheme accepted")
	}
	// Close takes the announcement away; the looked-up address is used
	// for at most nodeCacheTTL more.
	n2.b.Close()
	deadline := time.Now().Add(nodeCacheTTL + 3*time.Second)
	for {
		_, err := c1.Directory.Lookup(ctx5(t), c2.Node)
		if errors.Is(err, transport.ErrUnknownNode) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("closed node still announced: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A given secret is used as is.
	n3 := newNode(t, []string{srv.Addr})
	c3, err := n3.b.Cluster(ctx5(t), ClusterOptions{Addr: "http://127.0.0.1:3333", Secret: []byte("a secret of our own, long enough")})
	if err != nil || string(c3.Secret) != "a secret of our own, long enough" {
		t.Fatalf("Secret %q, %v", c3.Secret, err)
	}
}

// clusterNode is a hub server of a cluster behind a balancer.
type clusterNode struct {
	web *httptest.Server
	hs  *signalr.Server
}

// startCluster starts n hub servers on one Redis, each announcing its
// address, behind a round-robin balancer; it returns the balancer's URL.
func startCluster(t *testing.T, n int) (string, []*clusterNode) {
	srv := redistest.Start(t)
	var nodes []*clusterNode
	var urls []string
	for range n {
		bp := newNode(t, []string{srv.Addr})
		web := httptest.NewUnstartedServer(nil)
		cl, err := bp.b.Cluster(ctx5(t), ClusterOptions{Addr: "http://" + web.Listener.Addr().String()})
		if err != nil {
			t.Fatal(err)
		}
		hs, err := signalr.NewServer(e2eHub{}, signalr.Options{
			LifetimeManager: bp.h,
			Transport:       transport.Options{Cluster: cl, AllowStatefulReconnect: true},
		})
		if err != nil {
			t.Fatal(err)
		}
		web.Config.Handler = hs
		web.Start()
		t.Cleanup(func() {
			web.Close()
			_ = hs.Shutdown(context.Background())
		})
		nodes = append(nodes, &clusterNode{web: web, hs: hs})
		urls = append(urls, web.URL)
	}
	lb := roundrobin.New(urls...)
	front := httptest.NewServer(lb)
	t.Cleanup(func() { front.Close(); lb.Close() })
	return front.URL, nodes
}

// TestClusterBehindRoundRobin: the Go client works through a balancer
// without affinity over every transport, in both protocols: invocations,
// broadcasts from a client on another node, client results.
func TestClusterBehindRoundRobin(t *testing.T) {
	front, nodes := startCluster(t, 3)
	ctx := ctx5(t)
	// The listener sits on one node directly.
	received := make(chan string, 100)
	listener, err := client.New(nodes[2].web.URL)
	if err != nil {
		t.Fatal(err)
	}
	listener.On("Receive", func(s string) { received <- s })
	listener.On("Ask", func() int { return 42 })
	if err := listener.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer listener.Stop(context.Background())
	for _, tr := range []client.TransportType{client.WebSockets, client.ServerSentEvents, client.LongPolling} {
		for _, p := range []protocol.HubProtocol{protocol.JSON{}, protocol.MessagePack{}} {
			if tr == client.ServerSentEvents && p.Name() == "messagepack" {
				continue // SSE carries text only
			}
			t.Run(tr.String()+"/"+p.Name(), func(t *testing.T) {
				ctx := ctx5(t)
				c, err := client.New(front+"/", client.WithTransports(tr), client.WithProtocol(p),
					client.WithHTTPClient(&http.Client{Transport: &http.Transport{}}))
				if err != nil {
					t.Fatal(err)
				}
				if err := c.Start(ctx); err != nil {
					t.Fatal(err)
				}
				defer c.Stop(context.Background())
				for i := range 20 {
					want := tr.String() + "/" + p.Name() + "/" + string(rune('a'+i))
					if _, err := client.Invoke[any](ctx, c, "Broadcast", want); err != nil {
						t.Fatal(err)
					}
					for got := ""; got != want; {
						select {
						case got = <-received:
						case <-ctx.Done():
							t.Fatalf("%q never arrived", want)
						}
					}
				}
				if n, err := client.Invoke[int](ctx, c, "AskOther", listener.ConnectionID()); err != nil || n != 42 {
					t.Fatalf("client result across servers: %d, %v", n, err)
				}
			})
		}
	}
}
