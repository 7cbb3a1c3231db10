package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/signalr-go/signalr/protocol"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start connects a client to s and stops it when the test ends.
func start(t *testing.T, s *fakeServer, opts ...Option) *Client {
	t.Helper()
	c, err := New(s.url(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return c
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// raw encodes v as a Raw value of p, as a decoder would produce it.
func raw(t *testing.T, p protocol.HubProtocol, v any) protocol.Raw {
	t.Helper()
	b, err := p.Append(nil, &protocol.StreamItem{InvocationID: "x", Item: v})
	if err != nil {
		t.Fatal(err)
	}
	body, _, err := p.NextFrame(b, 0)
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	return m.(*protocol.StreamItem).Item.(protocol.Raw)
}

func TestNegotiateURL(t *testing.T) {
	cases := []struct {
		base     string
		stateful bool
		want     string
	}{
		{"http://h/hub", false, "http://h/hub/negotiate?negotiateVersion=1"},
		{"http://h/hub/", false, "http://h/hub/negotiate?negotiateVersion=1"},
		{"http://h/hub?a=b", true, "http://h/hub/negotiate?a=b&negotiateVersion=1&useStatefulReconnect=true"},
		{"http://h/hub?negotiateVersion=1", false, "http://h/hub/negotiate?negotiateVersion=1"},
	}
	for _, tc := range cases {
		got, err := negotiateURL(tc.base, tc.stateful)
		if err != nil || got != tc.want {
			t.Errorf("negotiateURL(%q, %v) = %q, %v; want %q", tc.base, tc.stateful, got, err, tc.want)
		}
	}
}

func TestCandidates(t *testing.T) {
	list := []availableTransport{
		{Transport: "ServerSentEvents", TransferFormats: []string{"Text"}},
		{Transport: "websockets", TransferFormats: []string{"Text", "Binary"}},
		{Transport: "LongPolling", TransferFormats: []string{"Text", "Binary"}},
		{Transport: "WebSockets", TransferFormats: []string{"Text", "Binary"}},
	}
	got := candidates(list, AllTransports, protocol.BinaryFormat)
	if len(got) != 2 || got[0] != LongPolling || got[1] != WebSockets {
		t.Errorf("binary candidates = %v", got)
	}
	got = candidates(list, ServerSentEvents|WebSockets, protocol.TextFormat)
	if len(got) != 2 || got[0] != ServerSentEvents || got[1] != WebSockets {
		t.Errorf("text candidates = %v", got)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := New("ftp://x/hub"); err == nil {
		t.Error("ftp URL accepted")
	}
	if _, err := New("http://x/hub", WithSkipNegotiation()); err == nil {
		t.Error("skip negotiation accepted with all transports")
	}
	if _, err := New("http://x/hub", WithTransports(0)); err == nil {
		t.Error("no transport accepted")
	}
}

// TestTransports runs the basic calls over every transport and protocol.
func TestTransports(t *testing.T) {
	protos := []protocol.HubProtocol{protocol.NewJSON(), protocol.NewMessagePack()}
	for _, kind := range []TransportType{WebSockets, ServerSentEvents, LongPolling} {
		for _, p := range protos {
			if kind == ServerSentEvents && p.TransferFormat() == protocol.BinaryFormat {
				continue
			}
			t.Run(kind.String()+"/"+p.Name(), func(t *testing.T) {
				testBasics(t, kind, p)
			})
		}
	}
}

func testBasics(t *testing.T, kind TransportType, p protocol.HubProtocol) {
	s := newFakeServer(t)
	c := start(t, s, WithTransports(kind), WithProtocol(p))
	fc := s.waitConn(t)
	ctx := testCtx(t)
	if c.State() != Connected || c.ConnectionID() != fc.id {
		t.Fatalf("state %v id %q, want Connected %q", c.State(), c.ConnectionID(), fc.id)
	}
	if kind != LongPolling {
		fc.next(t, protocol.PingType)
	}

	got, err := Invoke[string](ctx, c, "Echo", "hello")
	if err != nil || got != "hello" {
		t.Fatalf("Echo = %q, %v", got, err)
	}
	inv := fc.next(t, protocol.InvocationType).(*protocol.Invocation)
	if inv.InvocationID != "0" || inv.Target != "Echo" {
		t.Errorf("invocation %+v, want id 0 target Echo", inv)
	}
	n, err := Invoke[int](ctx, c, "Echo", 42)
	if err != nil || n != 42 {
		t.Errorf("Echo(42) = %d, %v", n, err)
	}
	if _, err := Invoke[any](ctx, c, "Void"); err != nil {
		t.Errorf("Void: %v", err)
	}
	_, err = Invoke[int](ctx, c, "Fail")
	var he *HubError
	if !errors.As(err, &he) || he.Message != "boom" {
		t.Errorf("Fail error = %v, want HubError boom", err)
	}

	var items []int
	for v, err := range Stream[int](ctx, c, "Count", 3) {
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		items = append(items, v)
	}
	if len(items) != 3 || items[2] != 2 {
		t.Errorf("stream items %v", items)
	}

	if err := c.Send(ctx, "Fire", "x", 1); err != nil {
		t.Fatal(err)
	}
	for {
		m := fc.next(t, protocol.InvocationType).(*protocol.Invocation)
		if m.Target == "Fire" {
			if m.InvocationID != "" || len(m.Arguments) != 2 {
				t.Errorf("send became %+v", m)
			}
			break
		}
	}

	received := make(chan string, 1)
	c.On("receiveMessage", func(user string, n int) { received <- user + strings.Repeat("!", n) })
	fc.send(&protocol.Invocation{Target: "ReceiveMessage", Arguments: []any{"ann", 2}})
	select {
	case v := <-received:
		if v != "ann!!" {
			t.Errorf("handler got %q", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler not called")
	}

	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if c.State() != Disconnected {
		t.Errorf("state after Stop: %v", c.State())
	}
	if kind != LongPolling {
		fc.next(t, protocol.CloseType)
	}
}

func TestFallbackRenegotiates(t *testing.T) {
	s := newFakeServer(t)
	s.refuse["WebSockets"] = true
	c := start(t, s)
	fc := s.waitConn(t)
	s.mu.Lock()
	negotiates := s.negotiates
	s.mu.Unlock()
	if negotiates != 2 {
		t.Errorf("%d negotiates, want 2 (one per transport tried)", negotiates)
	}
	if c.ConnectionID() != fc.id || fc.id != "conn2" {
		t.Errorf("connected as %q on %q, want conn2", c.ConnectionID(), fc.id)
	}
	if _, err := Invoke[int](testCtx(t), c, "Echo", 1); err != nil {
		t.Fatal(err)
	}
}

func TestNoTransportLeft(t *testing.T) {
	s := newFakeServer(t)
	s.transports = []string{"ServerSentEvents"}
	c, _ := New(s.url(), WithProtocol(protocol.NewMessagePack()))
	err := c.Start(testCtx(t))
	if !errors.Is(err, ErrNoTransport) {
		t.Errorf("err = %v, want ErrNoTransport", err)
	}
	if c.State() != Disconnected {
		t.Errorf("state %v", c.State())
	}
}

func TestNegotiateErrorAndRedirect(t *testing.T) {
	s := newFakeServer(t)
	s.negotiate = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/hub/negotiate" {
			_, _ = w.Write([]byte(`{"url":"` + s.srv.URL + `/other?x=1","accessToken":"redirected"}`))
			return true
		}
		return false
	}
	var headerSeen string
	c := start(t, s, WithTransports(LongPolling), WithAccessToken(func(context.Context) (string, error) { return "original", nil }),
		WithHeaders(http.Header{"X-Custom": {"yes"}}))
	s.waitConn(t)
	s.mu.Lock()
	reqs := s.requests
	s.mu.Unlock()
	for i, r := range reqs {
		switch i {
		case 0:
			headerSeen = r.Header.Get("Authorization")
			if r.Method != http.MethodPost || r.URL.RawQuery != "negotiateVersion=1" {
				t.Errorf("first request %s %s", r.Method, r.URL)
			}
		default:
			if !strings.HasPrefix(r.URL.Path, "/other") || r.URL.Query().Get("x") != "1" {
				t.Errorf("request %d went to %s", i, r.URL)
			}
			if got := r.Header.Get("Authorization"); got != "Bearer redirected" {
				t.Errorf("request %d Authorization %q", i, got)
			}
		}
		if r.Header.Get("X-Requested-With") != "XMLHttpRequest" || r.Header.Get("X-Custom") != "yes" ||
			!strings.HasPrefix(r.Header.Get("User-Agent"), "Microsoft SignalR/") {
			t.Errorf("request %d headers %v", i, r.Header)
		}
	}
	if headerSeen != "Bearer original" {
		t.Errorf("negotiate Authorization %q", headerSeen)
	}
	_ = c

	s2 := newFakeServer(t)
	s2.negotiate = func(w http.ResponseWriter, r *http.Request) bool {
		_, _ = w.Write([]byte(`{"error":"This connection is not allowed."}`))
		return true
	}
	c2, _ := New(s2.url())
	err := c2.Start(testCtx(t))
	if !errors.Is(err, ErrNegotiate) || !strings.Contains(err.Error(), "not allowed") {
		t.Errorf("err = %v", err)
	}
}

func TestNegotiateBadBody(t *testing.T) {
	for _, body := range []string{`not json`, `{"connectionId":5}`, `{}`, `{"ProtocolVersion":"1.5"}`, `{"useStatefulReconnect":true,"connectionId":"a"}`} {
		s := newFakeServer(t)
		s.negotiate = func(w http.ResponseWriter, r *http.Request) bool {
			_, _ = w.Write([]byte(body))
			return true
		}
		c, _ := New(s.url())
		if err := c.Start(testCtx(t)); !errors.Is(err, ErrNegotiate) {
			t.Errorf("body %s: err = %v, want ErrNegotiate", body, err)
		}
	}
}

func TestHandshakeError(t *testing.T) {
	s := newFakeServer(t)
	s.handshake = "The protocol 'json' is not supported."
	c, _ := New(s.url(), WithTransports(WebSockets))
	err := c.Start(testCtx(t))
	if !errors.Is(err, ErrHandshake) || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("err = %v", err)
	}
}

func TestHandshakeTimeout(t *testing.T) {
	s := newFakeServer(t)
	s.negotiate = func(w http.ResponseWriter, r *http.Request) bool {
		_, _ = w.Write([]byte(`{"connectionId":"a","negotiateVersion":0,"availableTransports":[{"transport":"WebSockets","transferFormats":["Text"]}]}`))
		return true
	}
	// "a" is unknown to the fake: the WebSocket is refused with 404, so
	// use a server that accepts and stays silent instead.
	silent := newFakeServer(t)
	silent.negotiate = s.negotiate
	silent.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/negotiate") {
			silent.negotiate(w, r)
			return
		}
		ws, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	})
	c, _ := New(silent.url(), WithHandshakeTimeout(200*time.Millisecond))
	began := time.Now()
	err := c.Start(testCtx(t))
	if !errors.Is(err, ErrHandshake) || time.Since(began) > 3*time.Second {
		t.Errorf("err = %v after %v", err, time.Since(began))
	}
}
