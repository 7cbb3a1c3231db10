package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/client"
	"github.com/signalr-go/signalr/protocol"
	"github.com/signalr-go/signalr/transport"
)

// proxy forwards loopback TCP connections to a target and can sever all
// of them at once, as a network failure would.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		p.conns[in], p.conns[out] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(in, out)
		go p.pipe(out, in)
	}
}

// pipe copies src to dst; when either side ends, both are closed.
func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// sever drops every connection open through the proxy.
func (p *proxy) sever() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

func (p *proxy) close() {
	p.ln.Close()
	p.sever()
	p.wg.Wait()
}

// TestServerStatefulReconnect severs the TCP connections under a
// stateful WebSocket connection while messages flow both ways: the client
// resumes the same connection and no message is lost or repeated.
func TestServerStatefulReconnect(t *testing.T) {
	hub := newServerHub()
	srv, url := startHub(t, hub, signalr.Options{Transport: transport.Options{AllowStatefulReconnect: true}})
	p := newProxy(t, strings.TrimPrefix(strings.TrimSuffix(url, "/hub"), "http://"))
	c := newClient(t, "http://"+p.addr()+"/hub",
		client.WithTransports(client.WebSockets), client.WithStatefulReconnect(0),
		client.WithReconnectPolicy(nil)) // a resume must not need a reconnect
	items := make(chan int, 1024)
	c.On("Item", func(i int) { items <- i })
	closed := make(chan error, 1)
	c.OnClosed(func(err error) { closed <- err })
	ctx, cancel := context.WithTimeout(t.Context(), safety)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	id := c.ConnectionID()
	// As in ASP.NET Core, the server registers a connection for
	// Clients().Client(id) only after writing the handshake response that
	// ends Start: a round trip makes sure the sends below find it.
	if _, err := client.Invoke[string](ctx, c, "Echo", "started"); err != nil {
		t.Fatalf("Echo after Start: %v", err)
	}

	const rounds, perRound = 4, 25
	n := 0
	for range rounds {
		var wg sync.WaitGroup
		wg.Add(2)
		go func(first int) { // server to client
			defer wg.Done()
			for k := first; k < first+perRound; k++ {
				if err := srv.Clients().Client(id).Send(ctx, "Item", k); err != nil {
					t.Errorf("server Send %d: %v", k, err)
				}
			}
		}(n)
		go func(first int) { // client to server
			defer wg.Done()
			for k := first; k < first+perRound; k++ {
				if err := c.Send(ctx, "Record", fmt.Sprint(k)); err != nil {
					t.Errorf("client Send %d: %v", k, err)
				}
			}
		}(n)
		p.sever()
		wg.Wait()
		n += perRound
		// A round trip completes only on a resumed transport: the next
		// sever must not hit the resume itself, which the client tries
		// once.
		if _, err := client.Invoke[string](ctx, c, "Echo", "resumed"); err != nil {
			t.Fatalf("Echo after sever: %v", err)
		}
	}
	for k := range n {
		select {
		case err := <-closed:
			t.Fatalf("client closed at item %d: %v (state %v)", k, err, c.State())
		default:
		}
		if got := waitFor(t, items, "an item from the server"); got != k {
			t.Fatalf("client received %d, want %d", got, k)
		}
		if got := waitFor(t, hub.received, "a record from the client"); got != fmt.Sprint(k) {
			t.Fatalf("server received %q, want %d", got, k)
		}
	}
	// Nothing more, and in particular no duplicate, arrives after a round
	// trip that follows everything above.
	if _, err := client.Invoke[string](ctx, c, "Echo", "sync"); err != nil {
		t.Fatalf("Echo after resumes: %v", err)
	}
	select {
	case extra := <-items:
		t.Fatalf("duplicate item %d", extra)
	case extra := <-hub.received:
		t.Fatalf("duplicate record %q", extra)
	default:
	}
	if got := c.ConnectionID(); got != id {
		t.Errorf("connection id %q after resumes, want %q", got, id)
	}
	select {
	case err := <-closed:
		t.Fatalf("client closed: %v", err)
	default:
	}
}

// servedHub is a hub server listening on a given listener.
type servedHub struct {
	srv *signalr.Server
	ts  *httptest.Server
}

func serveOn(t *testing.T, ln net.Listener, hub any) *servedHub {
	t.Helper()
	srv, ts := newHubServer(t, hub, signalr.Options{})
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	return &servedHub{srv: srv, ts: ts}
}

func (s *servedHub) stop(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	s.ts.Close()
}

// listenAgain listens on addr again, retrying while the old listener's
// port is being released.
func listenAgain(t *testing.T, addr string) net.Listener {
	t.Helper()
	deadline := time.Now().Add(safety)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			return ln
		}
		if time.Now().After(deadline) {
			t.Fatalf("listening on %s again: %v", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fastRetries reconnects quickly and for long enough for a restart.
func fastRetries() client.DelayPolicy {
	p := make(client.DelayPolicy, 400)
	for i := range p {
		p[i] = 25 * time.Millisecond
	}
	return p
}

// TestServerShutdownReconnect stops a server with Shutdown, which closes
// connections with allowReconnect, and starts a new one on the same
// address: the client reconnects to it by itself.
func TestServerShutdownReconnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	first := serveOn(t, ln, newServerHub())
	c := newClient(t, "http://"+addr+"/hub", client.WithReconnectPolicy(fastRetries()))
	reconnecting := make(chan error, 1)
	reconnected := make(chan string, 1)
	c.OnReconnecting(func(err error) { reconnecting <- err })
	c.OnReconnected(func(id string) { reconnected <- id })
	ctx, cancel := context.WithTimeout(t.Context(), safety)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	oldID := c.ConnectionID()

	first.stop(t)
	err = waitFor(t, reconnecting, "OnReconnecting")
	var ce *client.CloseError
	if !errors.As(err, &ce) || !ce.AllowReconnect {
		t.Fatalf("reconnecting because of %v, want a Close allowing reconnect", err)
	}
	second := serveOn(t, listenAgain(t, addr), newServerHub())
	defer second.stop(t)
	newID := waitFor(t, reconnected, "OnReconnected")
	if newID == "" || newID == oldID {
		t.Errorf("reconnected as %q (was %q)", newID, oldID)
	}
	if got, err := client.Invoke[string](ctx, c, "Echo", "again"); err != nil || got != "again" {
		t.Errorf("Echo on the new server = %q, %v", got, err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

// TestServerDisconnect closes a connection from the server side: the
// Close forbids reconnecting, so the client closes despite its policy.
func TestServerDisconnect(t *testing.T) {
	srv, url := startHub(t, newServerHub(), signalr.Options{})
	c := newClient(t, url, client.WithReconnectPolicy(fastRetries()))
	closed := make(chan error, 1)
	c.OnClosed(func(err error) { closed <- err })
	c.OnReconnecting(func(err error) { t.Errorf("reconnecting after a Disconnect: %v", err) })
	ctx, cancel := context.WithTimeout(t.Context(), safety)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := srv.Disconnect(ctx, c.ConnectionID(), signalr.NewHubError("go away")); err != nil {
		t.Fatalf("Disconnect: %v", err)
	}
	err := waitFor(t, closed, "OnClosed")
	var ce *client.CloseError
	if !errors.As(err, &ce) || ce.AllowReconnect || !strings.Contains(ce.Message, "go away") {
		t.Fatalf("closed with %v, want a Close forbidding reconnect", err)
	}
	if c.State() != client.Disconnected {
		t.Errorf("state %v", c.State())
	}
}

// TestServerMessageTooLarge sends a message over the server's 32 KiB
// limit: the server closes the connection and allows reconnecting, and
// the client does reconnect.
func TestServerMessageTooLarge(t *testing.T) {
	for _, hp := range []protocol.HubProtocol{protocol.NewJSON(), protocol.NewMessagePack()} {
		t.Run(hp.Name(), func(t *testing.T) {
			_, url := startHub(t, newServerHub(), signalr.Options{})
			c := newClient(t, url, client.WithTransports(client.WebSockets), client.WithProtocol(hp),
				client.WithReconnectPolicy(fastRetries()))
			reconnecting := make(chan error, 1)
			reconnected := make(chan string, 1)
			c.OnReconnecting(func(err error) { reconnecting <- err })
			c.OnReconnected(func(id string) { reconnected <- id })
			ctx, cancel := context.WithTimeout(t.Context(), safety)
			defer cancel()
			if err := c.Start(ctx); err != nil {
				t.Fatalf("Start: %v", err)
			}
			big := strings.Repeat("x", 33<<10)
			// MessagePack states the length first, so the server may refuse
			// and close while the client is still writing the message: the
			// send itself may then fail, and the connection may be reported
			// lost by the failed write before the Close is read. JSON is only
			// refused once the whole message has arrived.
			sendErr := c.Send(ctx, "Record", big)
			if sendErr != nil && hp.Name() == "json" {
				t.Fatalf("Send: %v", sendErr)
			}
			err := waitFor(t, reconnecting, "OnReconnecting")
			var ce *client.CloseError
			closeMsg := errors.As(err, &ce)
			if closeMsg && !ce.AllowReconnect || !closeMsg && sendErr == nil {
				t.Fatalf("lost the connection with %v (send: %v), want a Close allowing reconnect", err, sendErr)
			}
			waitFor(t, reconnected, "OnReconnected")
			if got, err := client.Invoke[string](ctx, c, "Echo", "small"); err != nil || got != "small" {
				t.Errorf("Echo after reconnect = %q, %v", got, err)
			}
		})
	}
}
