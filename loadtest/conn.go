package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/signalr-go/signalr/client"
	"github.com/signalr-go/signalr/protocol"
)

// conn is one load connection: through the full client, raw, or bare
// (no SignalR at all).
type conn interface {
	// send invokes a hub method without waiting for it.
	send(ctx context.Context, method string, args ...any) error
	// echo invokes Echo(payload) and returns its result.
	echo(ctx context.Context, payload string) (string, error)
	// join invokes JoinGroup(group) and waits for it.
	join(ctx context.Context, group string) error
	// close ends the connection gracefully.
	close(ctx context.Context) error
}

// events are what a connection reports to its scenario. Both are called
// on the connection's reader (raw) or callback goroutine (client).
type events struct {
	// receive is called with the payload of each Receive invocation.
	receive func(payload string)
	// lost is called when the connection ends without close being called.
	lost func(err error)
}

// dialer opens the connections of one run, sharing one HTTP client so
// that negotiate requests reuse keep-alive connections instead of
// spending a loopback port (and a TIME_WAIT) each.
type dialer struct {
	url   string
	hp    protocol.HubProtocol
	tt    client.TransportType
	raw   bool
	skip  bool // skip negotiation
	httpc *http.Client
	// bareURL, when set, is the bare endpoint the connections dial
	// instead of the hub.
	bareURL string
	// frames holds the buffers raw connections read whole WebSocket
	// messages into, so that idle connections hold none; writes lets them
	// share gorilla's write buffers.
	frames *sync.Pool
	writes *sync.Pool
}

// newDialers returns a dialer per hub URL of cfg, sharing one HTTP
// client and the buffer pools.
func newDialers(cfg Config) ([]*dialer, error) {
	first, err := newDialer(cfg)
	if err != nil {
		return nil, err
	}
	ds := []*dialer{first}
	for _, u := range cfg.urls()[1:] {
		d := *first
		d.url = u
		if d.bareURL != "" {
			if d.bareURL, err = bareURL(u); err != nil {
				return nil, err
			}
		}
		ds = append(ds, &d)
	}
	return ds, nil
}

func newDialer(cfg Config) (*dialer, error) {
	hp, err := cfg.protocol()
	if err != nil {
		return nil, err
	}
	tt, err := cfg.transport()
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
		MaxIdleConns:        cfg.Concurrency,
		MaxIdleConnsPerHost: cfg.Concurrency,
		IdleConnTimeout:     30 * time.Second,
	}
	url := cfg.urls()[0]
	d := &dialer{url: url, hp: hp, tt: tt, raw: cfg.Raw, skip: cfg.SkipNegotiation, httpc: &http.Client{Transport: tr},
		frames: &sync.Pool{New: func() any { return new(bytes.Buffer) }}, writes: &sync.Pool{}}
	if cfg.Bare {
		if d.bareURL, err = bareURL(url); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// dial opens one connection.
func (d *dialer) dial(ctx context.Context, ev events) (conn, error) {
	switch {
	case d.bareURL != "":
		return dialBare(ctx, d, ev)
	case d.raw:
		return dialRaw(ctx, d, ev)
	}
	return dialClient(ctx, d, ev)
}

// messageType is the WebSocket message type of the run's protocol.
func (d *dialer) messageType() int {
	if d.hp.TransferFormat() == protocol.TextFormat {
		return websocket.TextMessage
	}
	return websocket.BinaryMessage
}

// closeIdle releases the negotiate connections kept alive.
func (d *dialer) closeIdle() { d.httpc.CloseIdleConnections() }

// clientConn is a connection through the Go client.
type clientConn struct{ c *client.Client }

func dialClient(ctx context.Context, d *dialer, ev events) (conn, error) {
	opts := []client.Option{
		client.WithTransports(d.tt),
		client.WithProtocol(d.hp),
		client.WithHTTPClient(d.httpc),
		// A lost connection is a failure to report, not to hide.
		client.WithReconnectPolicy(nil),
	}
	if d.skip {
		opts = append(opts, client.WithSkipNegotiation())
	}
	c, err := client.New(d.url, opts...)
	if err != nil {
		return nil, fmt.Errorf("loadtest: %w", err)
	}
	if ev.receive != nil {
		c.On("Receive", ev.receive)
	}
	if ev.lost != nil {
		c.OnClosed(func(err error) {
			if err != nil {
				ev.lost(err)
			}
		})
	}
	if err := c.Start(ctx); err != nil {
		return nil, fmt.Errorf("loadtest: starting a client: %w", err)
	}
	return clientConn{c}, nil
}

func (c clientConn) send(ctx context.Context, method string, args ...any) error {
	return c.c.Send(ctx, method, args...)
}

func (c clientConn) echo(ctx context.Context, payload string) (string, error) {
	return client.Invoke[string](ctx, c.c, "Echo", payload)
}

func (c clientConn) join(ctx context.Context, group string) error {
	_, err := client.Invoke[any](ctx, c.c, "JoinGroup", group)
	return err
}

func (c clientConn) close(ctx context.Context) error { return c.c.Stop(ctx) }

// readMessages reads every WebSocket message of ws into a buffer from
// frames (so that idle connections hold none) and passes it to handle,
// until reading or handle fails.
func readMessages(ws *websocket.Conn, frames *sync.Pool, handle func([]byte) error) error {
	for {
		_, r, err := ws.NextReader()
		if err != nil {
			return err
		}
		b := frames.Get().(*bytes.Buffer)
		b.Reset()
		if _, err = b.ReadFrom(r); err == nil {
			err = handle(b.Bytes())
		}
		frames.Put(b)
		if err != nil {
			return err
		}
	}
}
