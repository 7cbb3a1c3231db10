package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// errBareUnsupported fails the calls that have no bare counterpart.
var errBareUnsupported = errors.New("loadtest: bare WebSockets support only Broadcast and Echo")

// bareConn is a load connection to the bare endpoint ([BarePath]): a
// gorilla WebSocket and one read goroutine, with the raw connection's
// small buffers so that the load side costs the same as with -raw.
//
// A frame from the endpoint may hold several messages, separated by
// bareSeparator. The endpoint answers a connection's echoes in the order
// they were sent, so a FIFO of waiters pairs replies with calls; an abandoned
// waiter keeps its place (its channel is buffered) to keep that pairing.
type bareConn struct {
	ws     *websocket.Conn
	ev     events
	mt     int        // text or binary, as the protocol asked for
	frames *sync.Pool // of *bytes.Buffer, shared by the dialer's connections

	writeMu sync.Mutex
	wbuf    []byte

	mu      sync.Mutex
	waiting []chan string // echo replies, oldest first
	ended   bool

	closing atomic.Bool
	done    chan struct{} // closed when the reader returns
}

// bareURL returns the bare endpoint on the host of the hub URL u.
func bareURL(u string) (string, error) {
	p, err := url.Parse(u)
	if err != nil {
		return "", fmt.Errorf("loadtest: bare URL: %w", err)
	}
	switch p.Scheme {
	case "http", "ws":
		p.Scheme = "ws"
	case "https", "wss":
		p.Scheme = "wss"
	default:
		return "", fmt.Errorf("loadtest: bare URL: scheme %q is not http(s)", p.Scheme)
	}
	return (&url.URL{Scheme: p.Scheme, Host: p.Host, Path: BarePath}).String(), nil
}

func dialBare(ctx context.Context, d *dialer, ev events) (conn, error) {
	wsd := websocket.Dialer{
		ReadBufferSize:   rawReadBuffer,
		WriteBufferPool:  d.writes,
		HandshakeTimeout: 30 * time.Second,
	}
	ws, resp, err := wsd.DialContext(ctx, d.bareURL, nil)
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("%w (status %d)", err, resp.StatusCode)
		}
		return nil, fmt.Errorf("loadtest: bare WebSocket: %w", err)
	}
	ws.SetReadLimit(bareMaxMessage)
	c := &bareConn{ws: ws, ev: ev, mt: d.messageType(), frames: d.frames, done: make(chan struct{})}
	go c.read()
	return c, nil
}

// read is the connection's only goroutine.
func (c *bareConn) read() {
	defer close(c.done)
	c.end(readMessages(c.ws, c.frames, c.dispatchFrame))
}

// dispatchFrame dispatches each message of a frame: the endpoint joins
// the messages queued for a connection into one frame, separated by
// bareSeparator.
func (c *bareConn) dispatchFrame(frame []byte) error {
	for {
		i := bytes.IndexByte(frame, bareSeparator)
		if i < 0 {
			return c.dispatch(frame)
		}
		if err := c.dispatch(frame[:i]); err != nil {
			return err
		}
		frame = frame[i+1:]
	}
}

// dispatch hands one message to its receiver or waiting echo.
func (c *bareConn) dispatch(msg []byte) error {
	if len(msg) == 0 {
		return errors.New("loadtest: empty bare message")
	}
	switch msg[0] {
	case bareBroadcast:
		if c.ev.receive != nil {
			c.ev.receive(string(msg[1:]))
		}
		return nil
	case bareEcho:
		c.mu.Lock()
		if len(c.waiting) == 0 {
			c.mu.Unlock()
			return errors.New("loadtest: bare echo nobody asked for")
		}
		ch := c.waiting[0]
		c.waiting = c.waiting[1:]
		c.mu.Unlock()
		ch <- string(msg[1:])
		return nil
	}
	return fmt.Errorf("loadtest: bare message of unknown kind %q", msg[0])
}

// end fails waiting echoes and reports an unexpected end.
func (c *bareConn) end(err error) {
	c.ws.Close()
	c.mu.Lock()
	waiting := c.waiting
	c.waiting, c.ended = nil, true
	c.mu.Unlock()
	for _, ch := range waiting {
		close(ch)
	}
	if !c.closing.Load() && c.ev.lost != nil {
		c.ev.lost(err)
	}
}

// writeLocked writes kind+payload; c.writeMu is held. A failed write
// closes the connection: a waiter queued for it would never be answered.
func (c *bareConn) writeLocked(ctx context.Context, kind byte, payload string) error {
	c.wbuf = append(append(c.wbuf[:0], kind), payload...)
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(sendTimeout)
	}
	_ = c.ws.SetWriteDeadline(dl)
	err := c.ws.WriteMessage(c.mt, c.wbuf)
	if cap(c.wbuf) > 64<<10 {
		c.wbuf = nil // do not keep a large payload's buffer
	}
	if err != nil {
		c.ws.Close()
		return fmt.Errorf("loadtest: writing: %w", err)
	}
	return nil
}

func (c *bareConn) send(ctx context.Context, method string, args ...any) error {
	payload, ok := "", len(args) == 1
	if ok {
		payload, ok = args[0].(string)
	}
	if method != "Broadcast" || !ok {
		return fmt.Errorf("%w, not %s", errBareUnsupported, method)
	}
	if err := bareCheckPayload(payload); err != nil {
		return err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.writeLocked(ctx, bareBroadcast, payload)
}

func (c *bareConn) echo(ctx context.Context, payload string) (string, error) {
	if err := bareCheckPayload(payload); err != nil {
		return "", err
	}
	ch := make(chan string, 1)
	if err := c.sendEcho(ctx, ch, payload); err != nil {
		return "", err
	}
	select {
	case s, ok := <-ch:
		if !ok {
			return "", errRawClosed
		}
		return s, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// sendEcho queues ch and writes the echo under one lock, so that the
// queue's order is the order on the wire.
func (c *bareConn) sendEcho(ctx context.Context, ch chan string, payload string) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return errRawClosed
	}
	c.waiting = append(c.waiting, ch)
	c.mu.Unlock()
	return c.writeLocked(ctx, bareEcho, payload)
}

// bareCheckPayload refuses a payload that the endpoint's coalescing
// would split in two. It is checked before anything is written or an
// echo waiter queued, so that a refusal leaves the connection usable.
func bareCheckPayload(payload string) error {
	if strings.IndexByte(payload, bareSeparator) >= 0 {
		return fmt.Errorf("loadtest: a bare payload cannot hold %q, which separates bare messages", bareSeparator)
	}
	return nil
}

func (c *bareConn) join(context.Context, string) error {
	return fmt.Errorf("%w: no groups", errBareUnsupported)
}

// close sends a close frame and waits for the reader to end.
func (c *bareConn) close(ctx context.Context) error {
	c.closing.Store(true)
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	select {
	case <-c.done:
	case <-ctx.Done():
	case <-time.After(2 * time.Second):
	}
	c.ws.Close()
	<-c.done
	return nil
}
