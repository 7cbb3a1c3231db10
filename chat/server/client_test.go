package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/signalr-go/signalr/chat/store"
	"github.com/signalr-go/signalr/protocol"
)

// A test bench: the whole application on a loopback HTTP server, with a
// SQLite database in a temporary folder.
type bench struct {
	t   testing.TB
	app *App
	url string
	// dialer opens the WebSockets; nil means websocket.DefaultDialer.
	dialer *websocket.Dialer
}

func newBench(t testing.TB, cfg Config) *bench {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.LibDir = t.TempDir()
	cfg.Logger = discard()
	app, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(app)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		app.Shutdown(ctx)
		ts.Close()
	})
	return &bench{t: t, app: app, url: ts.URL}
}

// login signs in and returns the response.
// bobsRoom signs Ann and Bob in, connects each, and has Bob create a room
// (public, secret only in name) that Ann has not joined, with one message
// of his: text.
func bobsRoom(t *testing.T, text string) (ca, cb *hubClient, room store.Room, m store.Message) {
	t.Helper()
	b := newBench(t, Config{})
	ann, bob := b.login("Ann", ""), b.login("Bob", "")
	ca, _ = b.dial("/hubs/chat", ann.Token)
	cb, _ = b.dial("/hubs/chat", bob.Token)
	cb.must(&room, "CreateRoom", "secret")
	cb.must(&m, "SendMessage", room.ID, text, "")
	return ca, cb, room, m
}

func (b *bench) login(name, password string) loginResponse {
	b.t.Helper()
	res, body := b.post("/api/login", "", fmt.Sprintf(`{"name":%q,"password":%q}`, name, password))
	if res.StatusCode != http.StatusOK {
		b.t.Fatalf("login %s: %d %s", name, res.StatusCode, body)
	}
	var lr loginResponse
	if err := json.Unmarshal(body, &lr); err != nil {
		b.t.Fatal(err)
	}
	return lr
}

func (b *bench) post(path, token, body string) (*http.Response, []byte) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return b.do(req)
}

func (b *bench) do(req *http.Request) (*http.Response, []byte) {
	b.t.Helper()
	return b.doWith(http.DefaultClient, req)
}

func (b *bench) doWith(c *http.Client, req *http.Request) (*http.Response, []byte) {
	b.t.Helper()
	res, err := c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

// hubClient speaks the JSON hub protocol over a real WebSocket, as the
// official clients do.
type hubClient struct {
	t      testing.TB
	ws     *websocket.Conn
	hp     protocol.JSON
	buf    []byte
	nextID int
	// events holds the invocations received while waiting for something
	// else, in order.
	events []*protocol.Invocation
}

// dial negotiates and connects to a hub with an access token ("" for
// none), returning the negotiate status when it is not 200.
func (b *bench) dial(path, token string) (*hubClient, int) {
	b.t.Helper()
	q := "?negotiateVersion=1"
	if token != "" {
		q += "&access_token=" + token
	}
	req, _ := http.NewRequest(http.MethodPost, b.url+path+"/negotiate"+q, nil)
	res, body := b.do(req)
	if res.StatusCode != http.StatusOK {
		return nil, res.StatusCode
	}
	var neg struct{ ConnectionToken string }
	json.Unmarshal(body, &neg)
	wsURL := "ws" + strings.TrimPrefix(b.url, "http") + path + "?id=" + neg.ConnectionToken
	if token != "" {
		wsURL += "&access_token=" + token
	}
	d := b.dialer
	if d == nil {
		d = websocket.DefaultDialer
	}
	ws, _, err := d.Dial(wsURL, nil)
	if err != nil {
		b.t.Fatalf("dial: %v", err)
	}
	c := &hubClient{t: b.t, ws: ws}
	b.t.Cleanup(func() { ws.Close() })
	ws.WriteMessage(websocket.TextMessage, protocol.AppendHandshakeRequest(nil, protocol.HandshakeRequest{Protocol: "json", Version: 1}))
	_, data := c.read()
	e, n, err := protocol.ParseHandshakeResponse(data, 0)
	if err != nil || e != "" {
		b.t.Fatalf("handshake: %q %v", e, err)
	}
	c.buf = append(c.buf, data[n:]...)
	return c, http.StatusOK
}

func (c *hubClient) read() (int, []byte) {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, data, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return typ, data
}

// closed waits for the server's Close message and returns its error.
func (c *hubClient) closed() string {
	c.t.Helper()
	for {
		if m, ok := c.next().(*protocol.Close); ok {
			return m.Error
		}
	}
}

// next returns the next message other than a ping.
func (c *hubClient) next() protocol.Message {
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
			if _, ping := m.(*protocol.Ping); !ping {
				return m
			}
		}
		_, data := c.read()
		c.buf = append(c.buf, data...)
	}
}

// call invokes a hub method and waits for its completion, decoding the
// result into out (may be nil). It returns the completion's error text.
func (c *hubClient) call(out any, method string, args ...any) string {
	c.t.Helper()
	c.nextID++
	id := fmt.Sprint(c.nextID)
	b, _ := c.hp.Append(nil, &protocol.Invocation{InvocationID: id, Target: method, Arguments: args})
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.t.Fatal(err)
	}
	for {
		switch m := c.next().(type) {
		case *protocol.Completion:
			if m.InvocationID != id {
				continue
			}
			if m.Error == "" && out != nil {
				if err := c.hp.Unmarshal(m.Result.(protocol.Raw), out); err != nil {
					c.t.Fatal(err)
				}
			}
			return m.Error
		case *protocol.Invocation:
			c.events = append(c.events, m)
		case *protocol.Close:
			c.t.Fatalf("closed by the server: %q", m.Error)
		}
	}
}

// must calls a method that must succeed.
func (c *hubClient) must(out any, method string, args ...any) {
	c.t.Helper()
	if e := c.call(out, method, args...); e != "" {
		c.t.Fatalf("%s: %s", method, e)
	}
}

// event returns the next invocation of target, decoding its arguments
// into outs; other invocations are skipped.
func (c *hubClient) event(target string, outs ...any) {
	c.t.Helper()
	m := c.nextEvent(target)
	for i, out := range outs {
		if err := c.hp.Unmarshal(m.Arguments[i].(protocol.Raw), out); err != nil {
			c.t.Fatal(err)
		}
	}
}

// nextEvent returns the next invocation of target; others are skipped.
func (c *hubClient) nextEvent(target string) *protocol.Invocation {
	c.t.Helper()
	for {
		var m *protocol.Invocation
		if len(c.events) > 0 {
			m, c.events = c.events[0], c.events[1:]
		} else if inv, ok := c.next().(*protocol.Invocation); ok {
			m = inv
		} else {
			continue
		}
		if strings.EqualFold(m.Target, target) {
			return m
		}
	}
}

// seen reports whether an invocation of target was received so far
// (without waiting), after a round trip that flushes what is in flight.
func (c *hubClient) seen(target string) bool {
	c.t.Helper()
	c.must(nil, "Rooms")
	for {
		if len(c.buf) == 0 {
			break
		}
		if inv, ok := c.next().(*protocol.Invocation); ok {
			c.events = append(c.events, inv)
		}
	}
	for _, m := range c.events {
		if strings.EqualFold(m.Target, target) {
			return true
		}
	}
	return false
}
