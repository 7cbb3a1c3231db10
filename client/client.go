package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Client is a connection to a SignalR hub. Its methods are safe for
// concurrent use. A stopped client can be started again.
type Client struct {
	url  string
	opts options
	log  *slog.Logger

	ids       atomic.Uint64 // invocation and stream ids, never reset
	callbacks dispatcher

	handlersMu sync.RWMutex
	handlers   map[string][]*handler // lower-cased method name

	mu             sync.Mutex
	state          State
	sess           *session
	connectionID   string
	stopLife       context.CancelFunc // ends the current start, then run
	done           chan struct{}      // closed when the client is Disconnected again
	onReconnecting func(error)
	onReconnected  func(string)
	onClosed       func(error)
}

// New returns a client for the hub at rawURL (http or https; ws and wss
// are accepted too). It does not connect: call Start.
func New(rawURL string, opts ...Option) (*Client, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("client: invalid URL %q: %w", rawURL, err)
	}
	switch u.Scheme {
	case "http", "https":
	case "ws", "wss":
		rawURL = "http" + strings.TrimPrefix(rawURL, "ws")
	default:
		return nil, fmt.Errorf("client: URL %q: scheme must be http or https", rawURL)
	}
	switch {
	case o.protocol == nil:
		return nil, errors.New("client: no hub protocol")
	case o.transports&AllTransports == 0:
		return nil, errors.New("client: no transport allowed")
	case o.skipNegotiation && o.transports != WebSockets:
		return nil, errors.New("client: negotiation can only be skipped when using the WebSocket transport directly")
	case o.httpClient == nil:
		return nil, errors.New("client: nil HTTP client")
	case o.serverTimeout <= 0 || o.keepAlive <= 0 || o.handshakeTimeout <= 0 || o.requestTimeout <= 0:
		return nil, errors.New("client: timeouts and intervals must be positive")
	case o.maxMessageSize <= 0:
		return nil, errors.New("client: maximum message size must be positive")
	}
	if o.logger == nil {
		o.logger = discardLogger
	}
	return &Client{url: rawURL, opts: o, log: o.logger, handlers: map[string][]*handler{}}, nil
}

// State returns the connection state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// ConnectionID returns the id the server gave the current connection, ""
// when not connected or when negotiation was skipped.
func (c *Client) ConnectionID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connectionID
}

// OnReconnecting sets a function called when the connection is lost and
// automatic reconnect begins, with the reason.
func (c *Client) OnReconnecting(f func(err error)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onReconnecting = f
}

// OnReconnected sets a function called after an automatic reconnect
// succeeded, with the new connection id.
func (c *Client) OnReconnected(f func(connectionID string)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onReconnected = f
}

// OnClosed sets a function called when a started client becomes
// Disconnected: nil after Stop, else the reason.
func (c *Client) OnClosed(f func(err error)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onClosed = f
}

// Start connects to the hub. ctx bounds the connection attempt only. A
// failed start does not trigger automatic reconnect.
func (c *Client) Start(ctx context.Context) error {
	c.mu.Lock()
	if c.state != Disconnected {
		c.mu.Unlock()
		return ErrAlreadyStarted
	}
	// Until connected, stopping cancels the attempt; the client's life
	// (reconnects included) gets its own context once connected.
	startCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	c.state, c.stopLife, c.done = Connecting, cancel, done
	c.mu.Unlock()

	s, rest, err := c.connect(startCtx)

	c.mu.Lock()
	if err == nil && c.state != Connecting {
		err = fmt.Errorf("%w: stopped while starting", ErrNotConnected)
	}
	if err != nil {
		c.state, c.stopLife = Disconnected, nil
		c.mu.Unlock()
		if s != nil {
			s.stop(context.Background())
			s.finish(nil)
		}
		close(done)
		return err
	}
	life, stopLife := context.WithCancel(context.Background())
	c.state, c.stopLife, c.sess, c.connectionID = Connected, stopLife, s, s.connectionID
	c.mu.Unlock()
	go c.run(life, s, rest)
	return nil
}

// Stop closes the connection (sending a Close message first) or ends a
// reconnect in progress, and waits until the client is Disconnected or
// ctx ends. Pending invocations fail with ErrConnectionClosed.
func (c *Client) Stop(ctx context.Context) error {
	c.mu.Lock()
	if c.state == Disconnected {
		c.mu.Unlock()
		return nil
	}
	c.state = Disconnecting
	s, done, stopLife := c.sess, c.done, c.stopLife
	c.mu.Unlock()
	stopLife()
	if s != nil {
		s.stop(ctx)
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run reads the connection and, when it is lost, reconnects, until the
// client stops or gives up. It is the per-connection read goroutine.
func (c *Client) run(life context.Context, s *session, rest []byte) {
	growStack(0) // the read path needs more than 2 KiB; grow it cheaply now
	for {
		cause := s.readLoop(rest)
		s.finish(cause)
		c.mu.Lock()
		c.sess = nil
		stopping := c.state == Disconnecting
		c.mu.Unlock()
		if cause != nil {
			c.log.Info("connection lost", "error", cause)
		}
		if stopping {
			c.closed(nil)
			return
		}
		if !c.mayReconnect(cause) {
			c.closed(cause)
			return
		}
		if s, rest, cause = c.reconnect(life, cause); s == nil {
			c.closed(cause)
			return
		}
	}
}

// mayReconnect reports whether automatic reconnect applies to a lost
// connection: not when off, nor after a Close that forbids it.
func (c *Client) mayReconnect(cause error) bool {
	var ce *CloseError
	if errors.As(cause, &ce) && !ce.AllowReconnect {
		return false
	}
	return c.opts.reconnect != nil
}

// reconnect tries to connect again as the policy says. It returns the new
// session, or nil and the reason to report when it gives up or is stopped.
func (c *Client) reconnect(life context.Context, cause error) (*session, []byte, error) {
	c.mu.Lock()
	if c.state != Connected {
		c.mu.Unlock()
		return nil, nil, nil
	}
	c.state, c.connectionID = Reconnecting, ""
	f, reason := c.onReconnecting, cause
	c.mu.Unlock()
	c.callback(func() {
		if f != nil {
			f(reason)
		}
	})
	began := time.Now()
	for attempt := 0; ; attempt++ {
		delay, ok := c.opts.reconnect.NextRetryDelay(RetryContext{PreviousRetryCount: attempt, Elapsed: time.Since(began), Reason: cause})
		if !ok {
			return nil, nil, cause
		}
		if !sleep(life, delay) {
			return nil, nil, nil
		}
		s, rest, err := c.connect(life)
		if err != nil {
			c.log.Info("reconnect attempt failed", "attempt", attempt+1, "error", err)
			if life.Err() != nil {
				return nil, nil, nil
			}
			cause = err
			continue
		}
		c.mu.Lock()
		if c.state != Reconnecting {
			c.mu.Unlock()
			s.stop(context.Background())
			s.finish(nil)
			return nil, nil, nil
		}
		c.state, c.sess, c.connectionID = Connected, s, s.connectionID
		g := c.onReconnected
		c.mu.Unlock()
		c.callback(func() {
			if g != nil {
				g(s.connectionID)
			}
		})
		return s, rest, nil
	}
}

// closed moves the client to Disconnected and reports it.
func (c *Client) closed(cause error) {
	c.mu.Lock()
	c.state, c.sess, c.connectionID = Disconnected, nil, ""
	f, done, stopLife := c.onClosed, c.done, c.stopLife
	c.stopLife = nil
	c.mu.Unlock()
	stopLife()
	c.callback(func() {
		if f != nil {
			f(cause)
		}
	})
	close(done)
}

// callback queues f behind the handlers already queued.
func (c *Client) callback(f func()) { c.callbacks.push(f) }

// sleep waits d or until ctx ends; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// active returns the connected session.
func (c *Client) active() (*session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != Connected || c.sess == nil {
		return nil, fmt.Errorf("%w (state %s)", ErrNotConnected, c.state)
	}
	return c.sess, nil
}

// nextID returns the next invocation or stream id: "0", "1", ...
func (c *Client) nextID() string { return strconv.FormatUint(c.ids.Add(1)-1, 10) }
