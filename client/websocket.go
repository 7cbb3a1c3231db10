package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// closeWait bounds the write of the close frame on a client stop.
const closeWait = time.Second

// dialWebSocket opens a WebSocket to the http(s) URL u. The client
// frames the connection itself (wsConn) unless a proxy applies: then
// gorilla's dialer, which speaks to HTTP and SOCKS5 proxies, opens it.
func dialWebSocket(ctx context.Context, r *requester, u string, limit int64, writeTimeout time.Duration) (transport, error) {
	target, err := url.Parse(u)
	if err != nil {
		return nil, fmt.Errorf("client: WebSocket URL %q: %w", u, err)
	}
	d := newWSDialer(r.client)
	proxied, err := d.proxied(target, r.headers)
	if err != nil {
		return nil, fmt.Errorf("client: WebSocket failed to connect to %s: %w", wsURL(u), err)
	}
	if proxied {
		return dialGorilla(ctx, r, d, u, limit, writeTimeout)
	}
	t := newWSConn(writeTimeout, limit)
	if err := d.dialDirect(ctx, r, target, t); err != nil {
		return nil, fmt.Errorf("client: WebSocket failed to connect to %s: %w", wsURL(u), err)
	}
	return t, nil
}

// wsURL is the ws(s) form of the http(s) URL u, for messages.
func wsURL(u string) string {
	switch {
	case strings.HasPrefix(u, "https://"):
		return "wss://" + strings.TrimPrefix(u, "https://")
	case strings.HasPrefix(u, "http://"):
		return "ws://" + strings.TrimPrefix(u, "http://")
	}
	return u
}

// wsTransport is the WebSockets transport through a proxy, on gorilla's
// connection.
type wsTransport struct {
	conn         *websocket.Conn
	writeTimeout time.Duration
}

// dialGorilla opens a WebSocket with gorilla's dialer.
func dialGorilla(ctx context.Context, r *requester, d wsDialer, u string, limit int64, writeTimeout time.Duration) (*wsTransport, error) {
	gd := websocket.Dialer{Proxy: d.proxy, Jar: d.jar, TLSClientConfig: d.tls, NetDialContext: d.dial}
	conn, resp, err := gd.DialContext(ctx, wsURL(u), r.header(false))
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("%w (status code %d)", err, resp.StatusCode)
		}
		return nil, fmt.Errorf("client: WebSocket failed to connect to %s: %w", wsURL(u), err)
	}
	if limit > 0 {
		conn.SetReadLimit(limit)
	}
	return &wsTransport{conn: conn, writeTimeout: writeTimeout}, nil
}

func (t *wsTransport) read() ([]byte, error) {
	_, p, err := t.conn.ReadMessage()
	if err == nil {
		return p, nil
	}
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		if ce.Code == websocket.CloseNormalClosure {
			return nil, io.EOF
		}
		reason := ce.Text
		if reason == "" {
			reason = "no reason given"
		}
		return nil, fmt.Errorf("client: WebSocket closed with status code: %d (%s)", ce.Code, reason)
	}
	return nil, fmt.Errorf("client: WebSocket read: %w", err)
}

func (t *wsTransport) write(ctx context.Context, p []byte, text bool) error {
	deadline := time.Now().Add(t.writeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := t.conn.SetWriteDeadline(deadline); err != nil {
		return fmt.Errorf("client: WebSocket write: %w", err)
	}
	mt := websocket.TextMessage
	if !text {
		mt = websocket.BinaryMessage
	}
	if err := t.conn.WriteMessage(mt, p[frameHeadroom:]); err != nil {
		return fmt.Errorf("client: WebSocket write: %w", err)
	}
	return nil
}

// close sends a normal close frame and drops the connection: the server
// sees a graceful end, which for stateful reconnect means "do not wait
// for a resume".
func (t *wsTransport) close(context.Context) {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	_ = t.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeWait))
	t.conn.Close()
}

func (t *wsTransport) abort() { t.conn.Close() }

func (t *wsTransport) setReadDeadline(d time.Time) error { return t.conn.SetReadDeadline(d) }
