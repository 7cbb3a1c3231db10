package transport

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// mapDirectory is a Directory held in memory.
type mapDirectory struct {
	mu    sync.Mutex
	addrs map[string]string
}

func (d *mapDirectory) Lookup(_ context.Context, node string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if a, ok := d.addrs[node]; ok {
		return a, nil
	}
	return "", fmt.Errorf("%q: %w", node, ErrUnknownNode)
}

// testCluster is nodes of one cluster, each a fixture on its own port,
// whose forwarding dials are counted.
type testCluster struct {
	nodes []*fixture
	dir   *mapDirectory
	dials atomic.Int64
}

const testSecret = "0123456789abcdef-cluster-secret"

func newTestCluster(t testing.TB, names ...string) *testCluster {
	return newTestClusterHTTP(t, nil, names...)
}

// newTestClusterHTTP is newTestCluster with configure applied to every
// node's http.Server.
func newTestClusterHTTP(t testing.TB, configure func(*http.Server), names ...string) *testCluster {
	tc := &testCluster{dir: &mapDirectory{addrs: map[string]string{}}}
	for _, name := range names {
		tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			tc.dials.Add(1)
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}}
		t.Cleanup(tr.CloseIdleConnections)
		f := newFixtureHTTP(t, newRecorder(), Options{
			AllowStatefulReconnect: true,
			PollTimeout:            5 * time.Second,
			Logger:                 slog.New(slog.DiscardHandler),
			Cluster:                &Cluster{Node: name, Secret: []byte(testSecret), Directory: tc.dir, Transport: tr},
		}, configure)
		tc.dir.mu.Lock()
		tc.dir.addrs[name] = f.ts.URL
		tc.dir.mu.Unlock()
		tc.nodes = append(tc.nodes, f)
	}
	return tc
}

func TestClusterLongPollingAcrossNodes(t *testing.T) {
	tc := newTestCluster(t, "a", "b", "c")
	a, b, c := tc.nodes[0], tc.nodes[1], tc.nodes[2]
	token := a.token()
	if owner, ok := a.srv.cluster.owner(token); !ok || owner != "a" {
		t.Fatalf("owner(%q) = %q, %v", token, owner, ok)
	}
	if status, _, _ := b.do(http.MethodGet, "/hub?id="+token, "", nil); status != http.StatusOK {
		t.Fatalf("first poll through b: %d", status)
	}
	<-a.rec.opened
	if status, body, _ := c.do(http.MethodPost, "/hub?id="+token, "hello\x1e", nil); status != http.StatusOK {
		t.Fatalf("send through c: %d %q", status, body)
	}
	if status, body, _ := b.do(http.MethodGet, "/hub?id="+token, "", nil); status != http.StatusOK || body != "hello\x1e" {
		t.Fatalf("poll through b: %d %q", status, body)
	}
	if status, _, _ := c.do(http.MethodDelete, "/hub?id="+token, "", nil); status != http.StatusAccepted {
		t.Fatalf("DELETE through c: %d", status)
	}
	if ev := a.rec.waitClosed(t); ev.err != nil {
		t.Fatalf("closed with %v", ev.err)
	}
	if tc.dials.Load() == 0 {
		t.Fatal("no forwarding dial counted")
	}
}

func TestClusterServerSentEventsAcrossNodes(t *testing.T) {
	tc := newTestCluster(t, "a", "b", "c")
	a, b, c := tc.nodes[0], tc.nodes[1], tc.nodes[2]
	token := a.token()
	s := b.openSSE(token)
	<-a.rec.opened
	if s.resp.StatusCode != http.StatusOK || s.resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("SSE through b: %d %q", s.resp.StatusCode, s.resp.Header.Get("Content-Type"))
	}
	for i := range 3 {
		msg := fmt.Sprintf("m%d\x1e", i)
		if status, _, _ := c.do(http.MethodPost, "/hub?id="+token, msg, nil); status != http.StatusOK {
			t.Fatalf("send through c: %d", status)
		}
		s.waitFor(t, "data: "+msg)
	}
}

func TestClusterWebSocketAcrossNodes(t *testing.T) {
	tc := newTestCluster(t, "a", "b")
	a, b := tc.nodes[0], tc.nodes[1]
	neg := a.negotiate("negotiateVersion=1&useStatefulReconnect=true")
	ws := b.mustDial("id=" + neg.ConnectionToken)
	<-a.rec.opened
	ws.WriteMessage(websocket.TextMessage, []byte("one\x1e"))
	if got := readN(t, ws, 4, websocket.TextMessage); string(got) != "one\x1e" {
		t.Fatalf("echo %q", got)
	}
	// Cut the socket: the client comes back through the other node.
	ws.UnderlyingConn().Close()
	ws2 := a.mustDial("id=" + neg.ConnectionToken)
	select {
	case <-a.rec.resumed:
	case <-time.After(5 * time.Second):
		t.Fatal("no Resume")
	}
	ws2.WriteMessage(websocket.TextMessage, []byte("two\x1e"))
	if got := readN(t, ws2, 4, websocket.TextMessage); string(got) != "two\x1e" {
		t.Fatalf("echo %q", got)
	}
}

// TestClusterRefusesWithoutDialing: tokens this cluster did not mint, or
// naming a node it does not know, get 404 like an unknown connection and
// no outbound connection is made.
func TestClusterRefusesWithoutDialing(t *testing.T) {
	tc := newTestCluster(t, "a", "b")
	a, b := tc.nodes[0], tc.nodes[1]
	good := a.token()
	foreign := (&cluster{Cluster: Cluster{Node: "a", Secret: []byte("another cluster's secret!")}}).mint()
	unannounced := (&cluster{Cluster: Cluster{Node: "z", Secret: []byte(testSecret)}}).mint()
	payload := good[:strings.LastIndexByte(good, '.')]
	mac := good[strings.LastIndexByte(good, '.')+1:]
	flipped := payload + "." + string(mac[0]^1) + mac[1:]
	// a's token and MAC, with the node changed to b.
	parts := strings.Split(good, ".")
	otherNode := parts[0] + ".Yg." + parts[2]
	for name, token := range map[string]string{
		"random":      newID(),
		"bad MAC":     flipped,
		"node edited": otherNode,
		"foreign":     foreign,
		"unannounced": unannounced,
		"garbage":     "....",
		"too long":    strings.Repeat("A", 4096) + "." + mac,
	} {
		t.Run(name, func(t *testing.T) {
			for _, req := range []struct{ method, body string }{{http.MethodGet, ""}, {http.MethodPost, "x\x1e"}, {http.MethodDelete, ""}} {
				status, body, _ := b.do(req.method, "/hub?id="+token, req.body, nil)
				if status != http.StatusNotFound || body != msgNoConnection {
					t.Errorf("%s: %d %q, want 404", req.method, status, body)
				}
			}
			if _, resp, err := b.dial("id=" + token); err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
				t.Errorf("WebSocket: %v %v, want 404", resp, err)
			}
		})
	}
	if n := tc.dials.Load(); n != 0 {
		t.Fatalf("%d outbound connections", n)
	}
}

// TestClusterPeerRequestsAreNotForwarded: a request carrying a valid
// forward header is served where it lands, never forwarded again, so two
// nodes that disagree cannot bounce a request between them.
func TestClusterPeerRequestsAreNotForwarded(t *testing.T) {
	tc := newTestCluster(t, "a", "b")
	a, b := tc.nodes[0], tc.nodes[1]
	token := a.token()
	h := http.Header{forwardHeader: {b.srv.cluster.sign(http.MethodGet, token, "", time.Now())}}
	if status, _, _ := b.do(http.MethodGet, "/hub?id="+token, "", h); status != http.StatusNotFound {
		t.Fatalf("status %d, want 404", status)
	}
	if n := tc.dials.Load(); n != 0 {
		t.Fatalf("%d outbound connections", n)
	}
}

func TestClusterForwardHeaderChecks(t *testing.T) {
	tc := newTestCluster(t, "a")
	cl := tc.nodes[0].srv.cluster
	now := time.Now()
	req := func(method, token, header string) *http.Request {
		r, _ := http.NewRequest(method, "http://x/hub?id="+token, nil)
		if header != "" {
			r.Header.Set(forwardHeader, header)
		}
		r.Header.Set(forwardForHeader, "192.0.2.1:1234")
		return r
	}
	otherAddr := req("GET", "t", cl.sign("GET", "t", "192.0.2.1:1234", now))
	otherAddr.Header.Set(forwardForHeader, "192.0.2.2:1234")
	other := &cluster{Cluster: Cluster{Node: "a", Secret: []byte("another cluster's secret!")}}
	for _, tt := range []struct {
		name string
		r    *http.Request
		want bool
	}{
		{"valid", req("GET", "t", cl.sign("GET", "t", "192.0.2.1:1234", now)), true},
		{"none", req("GET", "t", ""), false},
		{"other method", req("POST", "t", cl.sign("GET", "t", "192.0.2.1:1234", now)), false},
		{"other token", req("GET", "u", cl.sign("GET", "t", "192.0.2.1:1234", now)), false},
		{"old", req("GET", "t", cl.sign("GET", "t", "192.0.2.1:1234", now.Add(-2*forwardMaxAge))), false},
		{"future", req("GET", "t", cl.sign("GET", "t", "192.0.2.1:1234", now.Add(2*forwardMaxAge))), false},
		{"other secret", req("GET", "t", other.sign("GET", "t", "192.0.2.1:1234", now)), false},
		{"other client address", otherAddr, false},
		{"garbage", req("GET", "t", "a;b;c"), false},
		{"no fields", req("GET", "t", "abc"), false},
	} {
		if _, got := cl.fromPeer(tt.r, now); got != tt.want {
			t.Errorf("%s: fromPeer = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestClusterOwnerGone: the requests for the connections of a node that
// died are answered 404 at once, so the clients reconnect.
func TestClusterOwnerGone(t *testing.T) {
	tc := newTestCluster(t, "a", "b")
	a, b := tc.nodes[0], tc.nodes[1]
	token := a.token()
	a.ts.CloseClientConnections()
	a.ts.Listener.Close()
	b.client.Timeout = 10 * time.Second
	if status, body, _ := b.do(http.MethodGet, "/hub?id="+token, "", nil); status != http.StatusNotFound || body != msgNoConnection {
		t.Fatalf("poll: %d %q, want 404", status, body)
	}
	if _, resp, err := b.dial("id=" + token); err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("WebSocket: %v %v, want 404", resp, err)
	}
}

// TestClusterOriginCheckedAtEntry: the node the client reached applies
// the Origin check; the owner trusts it.
func TestClusterOriginCheckedAtEntry(t *testing.T) {
	tc := newTestCluster(t, "a", "b")
	a, b := tc.nodes[0], tc.nodes[1]
	token := a.token()
	u := "ws" + strings.TrimPrefix(b.ts.URL, "http") + "/hub?id=" + token
	_, resp, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {"http://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin WebSocket through b: %v %v, want 403", resp, err)
	}
	// Same origin as the entry node (not the owner): allowed.
	ws, _, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {b.ts.URL}})
	if err != nil {
		t.Fatalf("same-origin WebSocket through b: %v", err)
	}
	defer ws.Close()
	<-a.rec.opened
}

func TestClusterTokenRoundTrip(t *testing.T) {
	cl := &cluster{Cluster: Cluster{Node: "node_with/odd chars;é", Secret: []byte(testSecret)}}
	tok := cl.mint()
	if owner, ok := cl.owner(tok); !ok || owner != cl.Node {
		t.Fatalf("owner(%q) = %q %v", tok, owner, ok)
	}
	if tok == cl.mint() {
		t.Fatal("two tokens alike")
	}
	for _, r := range tok {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.", r)) {
			t.Fatalf("token %q holds %q, which a URL must escape", tok, r)
		}
	}
}

func FuzzClusterOwner(f *testing.F) {
	cl := &cluster{Cluster: Cluster{Node: "a", Secret: []byte(testSecret)}}
	f.Add(cl.mint())
	f.Add("..")
	f.Add("a.b.c.d")
	f.Fuzz(func(t *testing.T, token string) {
		if node, ok := cl.owner(token); ok && node != "a" {
			t.Fatalf("forged token %q accepted for %q", token, node)
		}
	})
}

// TestClusterShutdownEndsForwardedSockets: the node a WebSocket was
// forwarded through ends the tunnel at Shutdown, whose wait would
// otherwise last as long as the socket.
func TestClusterShutdownEndsForwardedSockets(t *testing.T) {
	tc := newTestCluster(t, "a", "b")
	a, b := tc.nodes[0], tc.nodes[1]
	ws := b.mustDial("id=" + a.token())
	<-a.rec.opened
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- b.srv.Shutdown(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Shutdown of the forwarding node: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown of the forwarding node waits for the forwarded socket")
	}
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := ws.ReadMessage(); err == nil {
		t.Fatal("the forwarded socket still works")
	}
}

// TestClusterServerTimeoutsSpareForwardedStreams: short ReadTimeout and
// WriteTimeout on the servers (as programs set against slow clients) cut
// neither a forwarded WebSocket, nor a forwarded SSE stream, nor a
// forwarded long poll.
func TestClusterServerTimeoutsSpareForwardedStreams(t *testing.T) {
	const timeout = 200 * time.Millisecond
	tc := newTestClusterHTTP(t, func(s *http.Server) { s.ReadTimeout, s.WriteTimeout = timeout, timeout }, "a", "b")
	a, b := tc.nodes[0], tc.nodes[1]
	late := func(c *Conn, msg string) {
		time.Sleep(3 * timeout)
		if err := c.Write([]byte(msg)); err != nil {
			t.Errorf("Write after the timeouts: %v", err)
		}
	}
	t.Run("websocket", func(t *testing.T) {
		ws := b.mustDial("id=" + a.token())
		c := <-a.rec.opened
		late(c, "ws\x1e")
		if got := readN(t, ws, 3, websocket.TextMessage); string(got) != "ws\x1e" {
			t.Fatalf("got %q", got)
		}
		ws.WriteMessage(websocket.TextMessage, []byte("up\x1e"))
		if got := readN(t, ws, 3, websocket.TextMessage); string(got) != "up\x1e" {
			t.Fatalf("echo %q", got)
		}
	})
	t.Run("sse", func(t *testing.T) {
		token := a.token()
		s := b.openSSE(token)
		s.waitFor(t, ":\r\n")
		c := <-a.rec.opened
		late(c, "sse\x1e")
		s.waitFor(t, "data: sse\x1e")
	})
	t.Run("longpolling", func(t *testing.T) {
		token := a.token()
		if status, _, _ := b.do(http.MethodGet, "/hub?id="+token, "", nil); status != http.StatusOK {
			t.Fatalf("first poll: %d", status)
		}
		c := <-a.rec.opened
		go late(c, "lp\x1e")
		status, body, _ := b.do(http.MethodGet, "/hub?id="+token, "", nil)
		if status != http.StatusOK || !strings.Contains(body, "lp\x1e") {
			t.Fatalf("poll: %d %q", status, body)
		}
	})
}

// TestClusterOwnerSeesClientAddress: the connection's request, at the
// owner, has the address of the client, not of the forwarding node.
func TestClusterOwnerSeesClientAddress(t *testing.T) {
	tc := newTestCluster(t, "a", "b")
	a, b := tc.nodes[0], tc.nodes[1]
	token := a.token()
	h := http.Header{
		forwardHeader:    {b.srv.cluster.sign(http.MethodGet, token, "203.0.113.7:5555", time.Now())},
		forwardForHeader: {"203.0.113.7:5555"},
	}
	if status, _, _ := a.do(http.MethodGet, "/hub?id="+token, "", h); status != http.StatusOK {
		t.Fatalf("first poll: %d", status)
	}
	if got := (<-a.rec.opened).Request().RemoteAddr; got != "203.0.113.7:5555" {
		t.Fatalf("RemoteAddr %q, want the client's", got)
	}
	// Through b for real: the owner sees the test client's address, as b
	// did (same host, the test client's port), not b's.
	// The headers of a proxy in front of the cluster reach the owner too.
	token = a.token()
	u := "ws" + strings.TrimPrefix(b.ts.URL, "http") + "/hub?id=" + token
	ws, _, err := websocket.DefaultDialer.Dial(u, http.Header{"X-Forwarded-For": {"198.51.100.1"}, "X-Forwarded-Proto": {"https"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	req := (<-a.rec.opened).Request()
	if req.RemoteAddr != ws.LocalAddr().String() {
		t.Fatalf("RemoteAddr %q, want the client's %q", req.RemoteAddr, ws.LocalAddr())
	}
	if xff, proto := req.Header.Get("X-Forwarded-For"), req.Header.Get("X-Forwarded-Proto"); xff != "198.51.100.1" || proto != "https" {
		t.Fatalf("X-Forwarded-For %q, X-Forwarded-Proto %q: the front proxy's headers were lost", xff, proto)
	}
}

// TestClusterNegotiateVersion0: without a token, the connection id names
// the owner, and is forwarded like a token.
func TestClusterNegotiateVersion0(t *testing.T) {
	tc := newTestCluster(t, "a", "b")
	a, b := tc.nodes[0], tc.nodes[1]
	neg := a.negotiate("")
	if neg.ConnectionToken != "" {
		t.Fatalf("version 0 got a token %q", neg.ConnectionToken)
	}
	if owner, ok := a.srv.cluster.owner(neg.ConnectionID); !ok || owner != "a" {
		t.Fatalf("owner(%q) = %q, %v", neg.ConnectionID, owner, ok)
	}
	if status, _, _ := b.do(http.MethodGet, "/hub?id="+neg.ConnectionID, "", nil); status != http.StatusOK {
		t.Fatalf("first poll through b: %d", status)
	}
	if c := <-a.rec.opened; c.ID() != neg.ConnectionID {
		t.Fatalf("connection %q, want %q", c.ID(), neg.ConnectionID)
	}
}

// TestClusterDefaultTransport: without Cluster.Transport, forwarding
// works through the server's own, which Shutdown closes.
func TestClusterDefaultTransport(t *testing.T) {
	dir := &mapDirectory{addrs: map[string]string{}}
	var nodes []*fixture
	for _, name := range []string{"a", "b"} {
		f := newFixture(t, Options{Cluster: &Cluster{Node: name, Secret: []byte(testSecret), Directory: dir}})
		dir.mu.Lock()
		dir.addrs[name] = f.ts.URL
		dir.mu.Unlock()
		nodes = append(nodes, f)
	}
	a, b := nodes[0], nodes[1]
	token := a.token()
	if status, _, _ := b.do(http.MethodGet, "/hub?id="+token, "", nil); status != http.StatusOK {
		t.Fatalf("first poll through b: %d", status)
	}
	<-a.rec.opened
	if b.srv.cluster.own == nil {
		t.Fatal("no default Transport")
	}
}

// TestClusterOwnerChecksPrincipal: the owner authenticates a forwarded
// request again and refuses another user's, as for a direct one.
func TestClusterOwnerChecksPrincipal(t *testing.T) {
	dir := &mapDirectory{addrs: map[string]string{}}
	auth := func(r *http.Request) (Principal, error) { return Principal{ID: r.Header.Get("X-User")}, nil }
	var nodes []*fixture
	for _, name := range []string{"a", "b"} {
		f := newFixture(t, Options{Authenticate: auth, Cluster: &Cluster{Node: name, Secret: []byte(testSecret), Directory: dir}})
		dir.mu.Lock()
		dir.addrs[name] = f.ts.URL
		dir.mu.Unlock()
		nodes = append(nodes, f)
	}
	a, b := nodes[0], nodes[1]
	status, body, _ := a.do(http.MethodPost, "/hub/negotiate?negotiateVersion=1", "", http.Header{"X-User": {"ann"}})
	if status != http.StatusOK {
		t.Fatalf("negotiate: %d %q", status, body)
	}
	token := body[strings.Index(body, `"connectionToken":"`)+len(`"connectionToken":"`):]
	token = token[:strings.IndexByte(token, '"')]
	if status, _, _ := b.do(http.MethodGet, "/hub?id="+token, "", http.Header{"X-User": {"bob"}}); status != http.StatusForbidden {
		t.Fatalf("bob's poll of ann's connection through b: %d, want 403", status)
	}
	if status, _, _ := b.do(http.MethodGet, "/hub?id="+token, "", http.Header{"X-User": {"ann"}}); status != http.StatusOK {
		t.Fatalf("ann's poll through b: %d", status)
	}
	if c := <-a.rec.opened; c.Principal().ID != "ann" {
		t.Fatalf("principal %q", c.Principal().ID)
	}
}
