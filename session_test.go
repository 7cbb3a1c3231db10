package signalr

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/signalr-go/signalr/protocol"
	"github.com/signalr-go/signalr/transport"
)

func TestHandshakeErrors(t *testing.T) {
	srv := newTestServer(t, newTestHub(), Options{HandshakeTimeout: 50 * time.Millisecond, MaximumReceiveMessageSize: 100})
	tests := []struct {
		name string
		req  string
		tr   transport.Type
		want string
	}{
		{"protocol", `{"protocol":"xml","version":1}`, transport.WebSockets, "The protocol 'xml' is not supported."},
		{"version", `{"protocol":"json","version":3}`, transport.WebSockets, "The server does not support version 3 of the 'json' protocol."},
		{"format", `{"protocol":"messagepack","version":1}`, transport.ServerSentEvents,
			"Cannot use the 'messagepack' protocol on the current transport. The transport does not support 'Binary' transfer format."},
		{"garbage", `{"protocol":1}`, transport.WebSockets, "An unexpected error occurred during connection handshake."},
		{"too large", strings.Repeat(" ", 200), transport.WebSockets, "Handshake was canceled."},
		{"timeout", "", transport.WebSockets, "Handshake was canceled."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := open(t, srv, "json", withTransport(tt.tr))
			if tt.req != "" {
				suffix := "\x1e"
				if tt.name == "too large" {
					suffix = ""
				}
				c.fc.receive([]byte(tt.req + suffix))
			}
			if got := c.handshakeResponse(); got != tt.want {
				t.Errorf("error %q, want %q", got, tt.want)
			}
			c.closed()
		})
	}
}

func TestHandshakeInChunksWithMessages(t *testing.T) {
	srv := newTestServer(t, newTestHub(), Options{})
	c := open(t, srv, "json")
	data := append([]byte(`{"protocol":"json","version":1}`+"\x1e"), `{"type":1,"invocationId":"1","target":"Echo","arguments":["hi"]}`+"\x1e"...)
	for i := range data {
		c.fc.receive(data[i : i+1])
	}
	if e := c.handshakeResponse(); e != "" {
		t.Fatal(e)
	}
	comp, _ := c.completion("1")
	var s string
	c.value(comp.Result, &s)
	if s != "hi" {
		t.Errorf("got %q", s)
	}
}

func TestMessagePackHandshakeSetsBinary(t *testing.T) {
	srv := newTestServer(t, newTestHub(), Options{})
	c := connect(t, srv, "messagepack")
	c.fc.mu.Lock()
	f := c.fc.format
	c.fc.mu.Unlock()
	if f != protocol.BinaryFormat {
		t.Errorf("format %v", f)
	}
}

func TestOversizedMessageCloses(t *testing.T) {
	bothProtocols(t, func(t *testing.T, proto string) {
		srv := newTestServer(t, newTestHub(), Options{MaximumReceiveMessageSize: 64})
		c := connect(t, srv, proto)
		c.send(&protocol.Invocation{InvocationID: "1", Target: "Echo", Arguments: []any{strings.Repeat("x", 100)}})
		cl, ok := c.next().(*protocol.Close)
		if !ok || cl.Error != "Connection closed with an error." || !cl.AllowReconnect {
			t.Fatalf("got %+v", cl)
		}
		if err := c.closed(); !errors.Is(err, protocol.ErrMessageTooLarge) {
			t.Errorf("closed with %v", err)
		}
	})
}

func TestMalformedFrameCloses(t *testing.T) {
	srv := newTestServer(t, newTestHub(), Options{})
	c := connect(t, srv, "json")
	c.fc.receive([]byte("{not json}\x1e"))
	if cl, ok := c.next().(*protocol.Close); !ok || !cl.AllowReconnect {
		t.Fatalf("got %+v", cl)
	}
	c.closed()
}

func TestKeepAliveAndClientTimeout(t *testing.T) {
	srv := newTestServer(t, newTestHub(), Options{KeepAliveInterval: 30 * time.Millisecond, ClientTimeoutInterval: 200 * time.Millisecond})
	c := connect(t, srv, "json")
	for range 3 {
		m, ok := c.tryNext(time.Second, false)
		if _, ping := m.(*protocol.Ping); !ok || !ping {
			t.Fatalf("want Ping, got %+v", m)
		}
	}
	// No timeout before the client's first ping.
	time.Sleep(300 * time.Millisecond)
	c.send(&protocol.Ping{})
	start := time.Now()
	for {
		m, ok := c.tryNext(time.Second, true)
		if !ok {
			t.Fatal("not timed out")
		}
		if cl, ok := m.(*protocol.Close); ok {
			if cl.Error != "Connection closed with an error." || !cl.AllowReconnect {
				t.Errorf("Close %+v", cl)
			}
			break
		}
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("timed out after %v", d)
	}
	c.closed()
}

// A client that never pings is never timed out, but one that leaves a
// message half sent is: the half message holds memory.
func TestClientTimeoutOnHalfMessage(t *testing.T) {
	_, url := startE2E(t, newTestHub(), Options{KeepAliveInterval: time.Hour, ClientTimeoutInterval: 100 * time.Millisecond})
	whole := dialHub(t, url, protocol.NewJSON(), nil)
	half := dialHub(t, url, protocol.NewJSON(), nil)
	if err := half.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":1,"target":"Echo","arguments":["abc`)); err != nil {
		t.Fatal(err)
	}
	if cl, ok := half.next().(*protocol.Close); !ok || !cl.AllowReconnect {
		t.Fatalf("a half-sent message: got %+v, want a Close allowing reconnect", cl)
	}
	time.Sleep(300 * time.Millisecond) // three timeouts of silence
	whole.send(&protocol.Invocation{InvocationID: "1", Target: "Echo", Arguments: []any{"still here"}})
	if comp, before := whole.completion("1"); comp.Error != "" || len(before) > 0 {
		t.Fatalf("a silent client that never pinged: %+v after %v", comp, before)
	}
}

func TestNoPingsOnLongPolling(t *testing.T) {
	srv := newTestServer(t, newTestHub(), Options{KeepAliveInterval: 20 * time.Millisecond})
	c := connect(t, srv, "json", withTransport(transport.LongPolling))
	if m, ok := c.tryNext(150*time.Millisecond, false); ok {
		t.Errorf("got %+v on long polling", m)
	}
}

func TestAbortFromHub(t *testing.T) {
	srv := newTestServer(t, nil, Options{})
	if err := srv.Handle("Quit", func(c *Context) { c.Abort() }); err != nil {
		t.Fatal(err)
	}
	c := connect(t, srv, "json")
	c.send(&protocol.Invocation{Target: "Quit", Arguments: []any{}})
	if cl, ok := c.next().(*protocol.Close); !ok || cl.Error != "" || cl.AllowReconnect {
		t.Fatalf("got %+v", cl)
	}
	c.closed()
}

func TestShutdownAllowsReconnect(t *testing.T) {
	hub := newTestHub()
	srv, err := NewServer(hub, Options{Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	c := connect(t, srv, "messagepack")
	done := make(chan error)
	go func() { done <- srv.Shutdown(context.Background()) }()
	if cl, ok := c.next().(*protocol.Close); !ok || cl.Error != "" || !cl.AllowReconnect {
		t.Fatalf("got %+v", cl)
	}
	// The fake transport does not know the server: close it as the real one would.
	c.fc.Close(transport.ErrShutdown)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := <-hub.disconnected; err != nil {
		t.Errorf("OnDisconnected(%v) on shutdown", err)
	}
}

func TestItems(t *testing.T) {
	srv := newTestServer(t, nil, Options{})
	srv.Handle("Set", func(c *Context, v string) { c.Items().Set("k", v) })
	srv.Handle("Get", func(c *Context) any { v, _ := c.Items().Get("k"); return v })
	a, b := connect(t, srv, "json"), connect(t, srv, "json")
	a.invoke("1", "Set", "A")
	comp, _ := a.invoke("2", "Get")
	var s string
	a.value(comp.Result, &s)
	comp, _ = b.invoke("1", "Get")
	var s2 *string
	b.value(comp.Result, &s2)
	if s != "A" || s2 != nil {
		t.Errorf("items %q %v", s, s2)
	}
}

func TestFiltersAndAuthorization(t *testing.T) {
	var log []string
	admin := func(u transport.Principal) bool { return u.Claims["role"] == "admin" }
	srv := newTestServer(t, newTestHub(), Options{
		MethodPolicies: map[string]Policy{"add": admin},
		Filters: []Filter{
			{Invocation: func(next InvocationHandler) InvocationHandler {
				return func(c *Context, inv *Invocation) (any, error) {
					log = append(log, "outer "+inv.Method)
					return next(c, inv)
				}
			}},
			{Invocation: func(next InvocationHandler) InvocationHandler {
				return func(c *Context, inv *Invocation) (any, error) {
					if inv.Method == "Echo" && inv.Args()[0] == "forbidden" {
						return nil, NewHubError("rate limited")
					}
					log = append(log, "inner "+inv.Target)
					return next(c, inv)
				}
			}},
		},
	})
	c := connect(t, srv, "json")
	if comp, _ := c.invoke("1", "Add", 1, 2); comp.Error != "Failed to invoke 'Add' because user is unauthorized" {
		t.Errorf("unauthorized: %q", comp.Error)
	}
	if comp, _ := c.invoke("2", "Echo", "forbidden"); !strings.HasSuffix(comp.Error, "HubException: rate limited") {
		t.Errorf("filter error: %q", comp.Error)
	}
	c.invoke("3", "echo", "ok")
	if strings.Join(log, ",") != "outer Echo,outer Echo,inner echo" {
		t.Errorf("filter log %q", log)
	}
	admins := connect(t, srv, "json", func(f *fakeConn) {
		f.principal = transport.Principal{ID: "root", Claims: map[string]string{"role": "admin"}}
	})
	if comp, _ := admins.invoke("1", "Add", 1, 2); comp.Error != "" {
		t.Errorf("admin refused: %q", comp.Error)
	}
}

func TestHubAuthorizeRefusesConnection(t *testing.T) {
	srv := newTestServer(t, newTestHub(), Options{Authorize: func(u transport.Principal) bool { return u.ID != "" }})
	fc := newFakeConn("x", transport.Principal{}, transport.WebSockets)
	if _, err := srv.open(fc); !errors.Is(err, errUnauthorized) {
		t.Errorf("open = %v", err)
	}
	connect(t, srv, "json", withUser("u"))
}

func TestStatefulReconnect(t *testing.T) {
	srv := newTestServer(t, newTestHub(), Options{KeepAliveInterval: time.Hour, ClientTimeoutInterval: time.Hour, HandshakeTimeout: 40 * time.Millisecond})
	c := open(t, srv, "json", func(f *fakeConn) { f.stateful = true })
	c.handshake(2)
	ss := c.fc.recv
	if ss.replay == nil {
		t.Fatal("stateful reconnect not enabled for version 2")
	}
	// Two sequenced messages from the client; the second is then replayed.
	inv1 := &protocol.Invocation{InvocationID: "1", Target: "Echo", Arguments: []any{"a"}}
	c.send(inv1)
	c.completion("1")
	c.send(&protocol.Sequence{SequenceID: 1}, inv1) // replayed: dropped
	c.invoke("2", "Echo", "b")
	// An Ack arrives within a tick for what was received (3 messages counted: 1, dup, 2).
	for {
		m, ok := c.tryNext(2*time.Second, true)
		if !ok {
			t.Fatal("no Ack")
		}
		if ack, ok := m.(*protocol.Ack); ok {
			if ack.SequenceID != 2 {
				t.Errorf("Ack %d, want 2", ack.SequenceID)
			}
			break
		}
	}
	// The server sent two completions (1 and 2); the client acks the first.
	c.send(&protocol.Ack{SequenceID: 1})
	ss.Resume(c.fc.Write)
	seq, ok := c.next().(*protocol.Sequence)
	if !ok || seq.SequenceID != 2 {
		t.Fatalf("Resume wrote %+v, want Sequence 2", seq)
	}
	if comp, ok := c.next().(*protocol.Completion); !ok || comp.InvocationID != "2" {
		t.Fatalf("replayed %+v", comp)
	}
	// A Sequence beyond what was received is fatal.
	c.send(&protocol.Sequence{SequenceID: 10})
	if cl, ok := c.next().(*protocol.Close); !ok || !cl.AllowReconnect {
		t.Fatalf("got %+v", cl)
	}
}

func TestStatefulReconnectDisabledForVersion1(t *testing.T) {
	srv := newTestServer(t, newTestHub(), Options{})
	c := open(t, srv, "json", func(f *fakeConn) { f.stateful = true })
	c.handshake(1)
	if c.fc.recv.replay != nil || c.fc.StatefulReconnect() {
		t.Error("stateful reconnect enabled for version 1")
	}
}

func TestReplayBufferFullCloses(t *testing.T) {
	srv := newTestServer(t, newTestHub(), Options{StatefulReconnectBufferSize: 200})
	c := open(t, srv, "json", func(f *fakeConn) { f.stateful = true })
	c.handshake(2)
	for i := range 10 {
		_ = srv.Clients().All().Send(context.Background(), "Msg", strings.Repeat("x", 50), i)
	}
	for {
		if cl, ok := c.next().(*protocol.Close); ok {
			if !cl.AllowReconnect {
				t.Errorf("Close %+v", cl)
			}
			break
		}
	}
	c.closed()
}

func TestOversizedMessageDetailedText(t *testing.T) {
	bothProtocols(t, func(t *testing.T, proto string) {
		srv := newTestServer(t, newTestHub(), Options{MaximumReceiveMessageSize: 64, EnableDetailedErrors: true})
		c := connect(t, srv, proto)
		c.send(&protocol.Invocation{InvocationID: "1", Target: "Echo", Arguments: []any{strings.Repeat("x", 100)}})
		cl, ok := c.next().(*protocol.Close)
		want := "Connection closed with an error. InvalidDataException: The maximum message size of 64B was exceeded." +
			" The message size can be configured in Options.MaximumReceiveMessageSize."
		if !ok || cl.Error != want || !cl.AllowReconnect {
			t.Fatalf("got %+v, want error %q", cl, want)
		}
		c.closed()
	})
}

// A frame cut by a dropped socket must not be glued to the Sequence that
// starts the resumed one: the client replays that message whole.
func TestStatefulResumeDropsCutFrame(t *testing.T) {
	bothProtocols(t, func(t *testing.T, proto string) {
		srv := newTestServer(t, newTestHub(), Options{})
		c := open(t, srv, proto, func(f *fakeConn) { f.stateful = true })
		c.handshake(2)
		inv := &protocol.Invocation{InvocationID: "1", Target: "Echo", Arguments: []any{"a"}}
		whole, err := c.hp.Append(nil, inv)
		if err != nil {
			t.Fatal(err)
		}
		c.fc.receive(whole[:len(whole)/2])
		c.fc.recv.Resume(c.fc.Write)
		if seq, ok := c.next().(*protocol.Sequence); !ok || seq.SequenceID != 1 {
			t.Fatalf("Resume wrote %+v, want Sequence 1", seq)
		}
		c.send(&protocol.Sequence{SequenceID: 1}, inv)
		if comp, ok := c.next().(*protocol.Completion); !ok || comp.InvocationID != "1" || comp.Error != "" {
			t.Fatalf("got %+v, want the completion of the replayed invocation", comp)
		}
	})
}
