package signalr

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/signalr-go/signalr/protocol"
	"github.com/signalr-go/signalr/transport"
)

// wsClient is a raw SignalR client over a real WebSocket, speaking the
// hub protocol's bytes as the official clients do.
type wsClient struct {
	t    testing.TB
	ws   *websocket.Conn
	hp   protocol.HubProtocol
	buf  []byte
	id   string
	resp *http.Response
}

func startE2E(t testing.TB, hub any, opts Options) (*Server, string) {
	t.Helper()
	opts.Logger = discardLogger()
	opts.Transport.Path = "/hub"
	opts.Transport.CloseTimeout = 100 * time.Millisecond
	srv, err := NewServer(hub, opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/hub", srv)
	mux.Handle("/hub/", srv)
	ts := httptest.NewServer(mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		ts.Close()
	})
	return srv, ts.URL + "/hub"
}

func dialHub(t testing.TB, base string, hp protocol.HubProtocol, header http.Header) *wsClient {
	t.Helper()
	c := dialHubOnly(t, base, hp, header)
	t.Cleanup(func() { c.ws.Close() })
	return c
}

// dialHubOnly is dialHub for a caller that closes the socket itself.
func dialHubOnly(t testing.TB, base string, hp protocol.HubProtocol, header http.Header) *wsClient {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/negotiate?negotiateVersion=1", nil)
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("negotiate: %d %s", res.StatusCode, body)
	}
	var neg struct{ ConnectionID, ConnectionToken string }
	if err := json.Unmarshal(body, &neg); err != nil {
		t.Fatal(err)
	}
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"?id="+neg.ConnectionToken, header)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c := &wsClient{t: t, ws: ws, hp: hp, id: neg.ConnectionID, resp: resp}
	hs := protocol.AppendHandshakeRequest(nil, protocol.HandshakeRequest{Protocol: hp.Name(), Version: 1})
	if err := ws.WriteMessage(websocket.TextMessage, hs); err != nil {
		t.Fatal(err)
	}
	wantType := websocket.TextMessage
	if hp.TransferFormat() == protocol.BinaryFormat {
		wantType = websocket.BinaryMessage
	}
	typ, data := c.read()
	if typ != wantType {
		t.Errorf("handshake response in frame type %d, want %d", typ, wantType)
	}
	e, n, err := protocol.ParseHandshakeResponse(data, 0)
	if err != nil || n == 0 || e != "" {
		t.Fatalf("handshake response %q: %q %v", data, e, err)
	}
	c.buf = append(c.buf, data[n:]...)
	return c
}

func (c *wsClient) read() (int, []byte) {
	c.t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(waitTimeout))
	typ, data, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return typ, data
}

func (c *wsClient) send(msgs ...protocol.Message) {
	c.t.Helper()
	var b []byte
	for _, m := range msgs {
		b, _ = c.hp.Append(b, m)
	}
	typ := websocket.TextMessage
	if c.hp.TransferFormat() == protocol.BinaryFormat {
		typ = websocket.BinaryMessage
	}
	if err := c.ws.WriteMessage(typ, b); err != nil {
		c.t.Fatal(err)
	}
}

// next returns the next message other than Ping.
func (c *wsClient) next() protocol.Message {
	c.t.Helper()
	for {
		for len(c.buf) > 0 {
			body, n, err := c.hp.NextFrame(c.buf, 0)
			if err != nil {
				c.t.Fatal(err)
			}
			if n == 0 {
				break
			}
			m, err := c.hp.Decode(bytes.Clone(body))
			c.buf = c.buf[n:]
			if err != nil {
				c.t.Fatal(err)
			}
			if _, ping := m.(*protocol.Ping); !ping && m != nil {
				return m
			}
		}
		_, data := c.read()
		c.buf = append(c.buf, data...)
	}
}

func (c *wsClient) completion(id string) (*protocol.Completion, []protocol.Message) {
	c.t.Helper()
	var before []protocol.Message
	for {
		m := c.next()
		if comp, ok := m.(*protocol.Completion); ok && comp.InvocationID == id {
			return comp, before
		}
		before = append(before, m)
	}
}

func (c *wsClient) value(v any, into any) {
	c.t.Helper()
	if err := c.hp.Unmarshal(v.(protocol.Raw), into); err != nil {
		c.t.Fatal(err)
	}
}

type e2eHub struct{ testHub }

func (h *e2eHub) TransportName(c *Context) string { return c.Transport().String() }
func (h *e2eHub) Header(c *Context, name string) string {
	return c.Request().Header.Get(name)
}
func (h *e2eHub) Whoami(c *Context) string { return c.UserID() }

func TestEndToEndWebSocket(t *testing.T) {
	bothProtocols(t, func(t *testing.T, proto string) {
		hub := &e2eHub{*newTestHub()}
		srv, base := startE2E(t, hub, Options{
			Transport: transport.Options{Authenticate: func(r *http.Request) (transport.Principal, error) {
				return transport.Principal{ID: r.Header.Get("X-User")}, nil
			}},
		})
		hp := srv.protocols[proto]
		a := dialHub(t, base, hp, http.Header{"X-User": {"ann"}})
		b := dialHub(t, base, hp, http.Header{"X-User": {"bob"}})

		// Several messages in one frame, handled in order.
		a.send(&protocol.Ping{},
			&protocol.Invocation{InvocationID: "1", Target: "echo", Arguments: []any{"héllo"}},
			&protocol.Invocation{InvocationID: "2", Target: "TransportName", Arguments: []any{}},
			&protocol.Invocation{InvocationID: "3", Target: "Header", Arguments: []any{"X-User"}},
			&protocol.Invocation{InvocationID: "4", Target: "Whoami", Arguments: []any{}})
		for _, want := range []struct{ id, v string }{{"1", "héllo"}, {"2", "WebSockets"}, {"3", "ann"}, {"4", "ann"}} {
			comp, _ := a.completion(want.id)
			var s string
			a.value(comp.Result, &s)
			if s != want.v {
				t.Errorf("invocation %s = %q, want %q", want.id, s, want.v)
			}
		}

		// Groups and users across connections.
		b.send(&protocol.Invocation{InvocationID: "1", Target: "Join", Arguments: []any{"room"}})
		b.completion("1")
		if err := srv.Clients().Group("room").Send(context.Background(), "Msg", "to room"); err != nil {
			t.Fatal(err)
		}
		if err := srv.Clients().User("ann").Send(context.Background(), "Msg", "to ann"); err != nil {
			t.Fatal(err)
		}
		if inv := b.next().(*protocol.Invocation); inv.Target != "Msg" {
			t.Errorf("b got %+v", inv)
		}
		inv := a.next().(*protocol.Invocation)
		var s string
		a.value(inv.Arguments[0], &s)
		if s != "to ann" {
			t.Errorf("a got %q", s)
		}

		// A stream with cancellation, and a client result.
		a.send(&protocol.StreamInvocation{InvocationID: "5", Target: "Count", Arguments: []any{3}})
		if comp, items := a.completion("5"); comp.Error != "" || len(items) != 3 {
			t.Errorf("stream: %+v, %d items", comp, len(items))
		}
		done := make(chan int, 1)
		go func() {
			v, err := Invoke[int](context.Background(), srv.Clients().Client(a.id), "Result", 1)
			if err != nil {
				t.Error(err)
			}
			done <- v
		}()
		req := a.next().(*protocol.Invocation)
		a.send(&protocol.Completion{InvocationID: req.InvocationID, Result: 41, HasResult: true})
		if v := <-done; v != 41 {
			t.Errorf("client result %d", v)
		}

		// The client's Close ends the connection normally.
		a.send(&protocol.Close{})
		if err := <-hub.disconnected; err != nil {
			t.Errorf("OnDisconnected(%v)", err)
		}
	})
}

func TestEndToEndShutdownSendsClose(t *testing.T) {
	srv, base := startE2E(t, newTestHub(), Options{})
	c := dialHub(t, base, protocol.NewJSON(), nil)
	go func() { _ = srv.Shutdown(context.Background()) }()
	cl, ok := c.next().(*protocol.Close)
	if !ok || !cl.AllowReconnect {
		t.Fatalf("got %+v", cl)
	}
}

func TestEndToEndAuthorize(t *testing.T) {
	_, base := startE2E(t, newTestHub(), Options{Authorize: func(u transport.Principal) bool { return u.ID != "" }})
	res, err := http.Post(base+"/negotiate?negotiateVersion=1", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("negotiate status %d, want 401", res.StatusCode)
	}
}
