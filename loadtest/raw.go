package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/signalr-go/signalr/protocol"
)

// rawReadBuffer is the WebSocket read buffer of a raw connection, held
// while it is idle: small, as payloads are read through a pooled buffer.
const rawReadBuffer = 512

// maxRawMessage bounds one WebSocket message read by a raw connection.
const maxRawMessage = 4 << 20

// rawConn is a minimal SignalR connection over WebSockets: negotiate
// (version 1), WebSocket, handshake, then one read goroutine. It exists
// to measure a server with many connections at a small cost per
// connection on the load side; it has no keep-alive pings, so the server
// never starts timing it out, and no reconnect.
type rawConn struct {
	ws     *websocket.Conn
	hp     protocol.HubProtocol
	ev     events
	mt     int        // text or binary, as the protocol asks for
	frames *sync.Pool // of *bytes.Buffer, shared by the dialer's connections

	writeMu sync.Mutex
	wbuf    []byte

	ids     atomic.Uint64
	mu      sync.Mutex
	pending map[string]chan *protocol.Completion
	err     error // why the connection ended, once it has

	closing atomic.Bool
	done    chan struct{} // closed when the reader returns
}

// errRawClosed fails calls on a raw connection that has ended.
var errRawClosed = errors.New("loadtest: connection closed")

func dialRaw(ctx context.Context, d *dialer, ev events) (conn, error) {
	wsURL := "ws" + strings.TrimPrefix(d.url, "http")
	if !d.skip {
		token, err := rawNegotiate(ctx, d)
		if err != nil {
			return nil, err
		}
		sep := "?"
		if strings.Contains(wsURL, "?") {
			sep = "&"
		}
		wsURL += sep + "id=" + url.QueryEscape(token)
	}
	wsd := websocket.Dialer{
		ReadBufferSize:   rawReadBuffer,
		WriteBufferPool:  d.writes,
		HandshakeTimeout: 30 * time.Second,
	}
	ws, resp, err := wsd.DialContext(ctx, wsURL, nil)
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("%w (status %d)", err, resp.StatusCode)
		}
		return nil, fmt.Errorf("loadtest: WebSocket: %w", err)
	}
	ws.SetReadLimit(maxRawMessage)
	c := &rawConn{
		ws: ws, hp: d.hp, ev: ev, frames: d.frames, mt: d.messageType(),
		pending: map[string]chan *protocol.Completion{}, done: make(chan struct{}),
	}
	rest, err := c.handshake(ctx)
	if err != nil {
		ws.Close()
		return nil, err
	}
	go c.read(rest)
	return c, nil
}

// rawNegotiate runs negotiate version 1 and returns the connection token.
func rawNegotiate(ctx context.Context, d *dialer) (string, error) {
	u := strings.TrimSuffix(d.url, "/") + "/negotiate?negotiateVersion=1"
	if i := strings.IndexByte(d.url, '?'); i >= 0 {
		u = strings.TrimSuffix(d.url[:i], "/") + "/negotiate?negotiateVersion=1&" + d.url[i+1:]
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return "", fmt.Errorf("loadtest: negotiate: %w", err)
	}
	resp, err := d.httpc.Do(req)
	if err != nil {
		return "", fmt.Errorf("loadtest: negotiate: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("loadtest: negotiate: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("loadtest: negotiate: status %d", resp.StatusCode)
	}
	var neg struct {
		ConnectionToken string `json:"connectionToken"`
		Error           string `json:"error"`
	}
	if err := json.Unmarshal(body, &neg); err != nil {
		return "", fmt.Errorf("loadtest: negotiate: %w", err)
	}
	if neg.ConnectionToken == "" {
		return "", fmt.Errorf("loadtest: negotiate: no connection token (%s)", neg.Error)
	}
	return neg.ConnectionToken, nil
}

// handshake sends the handshake request and reads the response; it
// returns the bytes that followed it.
func (c *rawConn) handshake(ctx context.Context) ([]byte, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = c.ws.SetReadDeadline(dl)
		defer c.ws.SetReadDeadline(time.Time{})
	}
	req := protocol.AppendHandshakeRequest(nil, protocol.HandshakeRequest{Protocol: c.hp.Name(), Version: 1})
	if err := c.ws.WriteMessage(websocket.TextMessage, req); err != nil {
		return nil, fmt.Errorf("loadtest: handshake: %w", err)
	}
	var buf []byte
	for {
		_, p, err := c.ws.ReadMessage()
		if err != nil {
			return nil, fmt.Errorf("loadtest: handshake: %w", err)
		}
		buf = append(buf, p...)
		errMsg, n, err := protocol.ParseHandshakeResponse(buf, protocol.DefaultMaxMessageSize)
		switch {
		case err != nil:
			return nil, fmt.Errorf("loadtest: handshake: %w", err)
		case n == 0:
			continue
		case errMsg != "":
			return nil, fmt.Errorf("loadtest: handshake refused: %s", errMsg)
		}
		return buf[n:], nil
	}
}

// read is the connection's only goroutine: it reads every message into a
// pooled buffer and dispatches it.
func (c *rawConn) read(rest []byte) {
	defer close(c.done)
	err := c.process(rest)
	if err == nil {
		err = readMessages(c.ws, c.frames, c.process)
	}
	c.end(err)
}

// process handles every hub message in one transport message.
func (c *rawConn) process(data []byte) error {
	for len(data) > 0 {
		body, n, err := c.hp.NextFrame(data, maxRawMessage)
		if err != nil {
			return fmt.Errorf("loadtest: framing: %w", err)
		}
		if n == 0 {
			return errors.New("loadtest: partial hub message")
		}
		data = data[n:]
		msg, err := c.hp.Decode(body)
		if err != nil {
			return fmt.Errorf("loadtest: decoding: %w", err)
		}
		switch m := msg.(type) {
		case *protocol.Invocation:
			if c.ev.receive != nil && m.Target == "Receive" && len(m.Arguments) == 1 {
				var s string
				if raw, ok := m.Arguments[0].(protocol.Raw); ok && c.hp.Unmarshal(raw, &s) == nil {
					c.ev.receive(s)
				}
			}
		case *protocol.Completion:
			c.complete(m)
		case *protocol.Close:
			return fmt.Errorf("loadtest: server closed the connection: %q (allowReconnect %v)", m.Error, m.AllowReconnect)
		}
	}
	return nil
}

func (c *rawConn) complete(m *protocol.Completion) {
	c.mu.Lock()
	ch := c.pending[m.InvocationID]
	delete(c.pending, m.InvocationID)
	c.mu.Unlock()
	if ch != nil {
		if raw, ok := m.Result.(protocol.Raw); ok {
			m.Result = append(protocol.Raw(nil), raw...) // the frame buffer is reused
		}
		ch <- m
	}
}

// end fails pending calls and reports an unexpected end.
func (c *rawConn) end(err error) {
	c.ws.Close()
	c.mu.Lock()
	c.err = err
	pending := c.pending
	c.pending = nil
	c.mu.Unlock()
	for _, ch := range pending {
		close(ch)
	}
	if !c.closing.Load() && c.ev.lost != nil {
		c.ev.lost(err)
	}
}

func (c *rawConn) write(ctx context.Context, m protocol.Message) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	var err error
	if c.wbuf, err = c.hp.Append(c.wbuf[:0], m); err != nil {
		return fmt.Errorf("loadtest: encoding: %w", err)
	}
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(10 * time.Second)
	}
	_ = c.ws.SetWriteDeadline(dl)
	if err := c.ws.WriteMessage(c.mt, c.wbuf); err != nil {
		return fmt.Errorf("loadtest: writing: %w", err)
	}
	if cap(c.wbuf) > 64<<10 {
		c.wbuf = nil // do not keep a large payload's buffer
	}
	return nil
}

func (c *rawConn) send(ctx context.Context, method string, args ...any) error {
	return c.write(ctx, &protocol.Invocation{Target: method, Arguments: args})
}

func (c *rawConn) echo(ctx context.Context, payload string) (string, error) {
	m, err := c.invoke(ctx, "Echo", payload)
	if err != nil {
		return "", err
	}
	raw, _ := m.Result.(protocol.Raw)
	var s string
	if err := c.hp.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("loadtest: Echo result: %w", err)
	}
	return s, nil
}

func (c *rawConn) join(ctx context.Context, group string) error {
	_, err := c.invoke(ctx, "JoinGroup", group)
	return err
}

// invoke calls a hub method and waits for its successful Completion.
func (c *rawConn) invoke(ctx context.Context, method string, args ...any) (*protocol.Completion, error) {
	id := strconv.FormatUint(c.ids.Add(1), 10)
	ch := make(chan *protocol.Completion, 1)
	c.mu.Lock()
	if c.pending == nil {
		err := c.err
		c.mu.Unlock()
		return nil, errors.Join(errRawClosed, err)
	}
	c.pending[id] = ch
	c.mu.Unlock()
	if err := c.write(ctx, &protocol.Invocation{InvocationID: id, Target: method, Arguments: args}); err != nil {
		c.forget(id)
		return nil, err
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return nil, errRawClosed
		}
		if m.Error != "" {
			return nil, fmt.Errorf("loadtest: %s failed: %s", method, m.Error)
		}
		return m, nil
	case <-ctx.Done():
		c.forget(id)
		return nil, ctx.Err()
	}
}

func (c *rawConn) forget(id string) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// close sends a close frame and waits for the reader to end.
func (c *rawConn) close(ctx context.Context) error {
	c.closing.Store(true)
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	c.writeMu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	c.writeMu.Unlock()
	select {
	case <-c.done:
	case <-ctx.Done():
	case <-time.After(2 * time.Second):
	}
	c.ws.Close()
	<-c.done
	return nil
}
