package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// closeWait bounds the write of the close frame on a client stop.
const closeWait = time.Second

// wsTransport is the WebSockets transport.
type wsTransport struct {
	conn         *websocket.Conn
	binary       bool // send hub messages in binary frames
	writeTimeout time.Duration
}

// dialWebSocket opens a WebSocket to the http(s) URL u.
func dialWebSocket(ctx context.Context, r *requester, u string, binary bool, limit int64, writeTimeout time.Duration) (*wsTransport, error) {
	wsURL := u
	switch {
	case strings.HasPrefix(u, "https://"):
		wsURL = "wss://" + strings.TrimPrefix(u, "https://")
	case strings.HasPrefix(u, "http://"):
		wsURL = "ws://" + strings.TrimPrefix(u, "http://")
	}
	d := websocket.Dialer{Proxy: http.ProxyFromEnvironment, Jar: r.client.Jar}
	if t, ok := r.client.Transport.(*http.Transport); ok {
		d.Proxy = t.Proxy
		d.TLSClientConfig = t.TLSClientConfig
		d.NetDialContext = t.DialContext
	}
	conn, resp, err := d.DialContext(ctx, wsURL, r.header(false))
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("%w (status code %d)", err, resp.StatusCode)
		}
		return nil, fmt.Errorf("client: WebSocket failed to connect to %s: %w", wsURL, err)
	}
	if limit > 0 {
		conn.SetReadLimit(limit)
	}
	return &wsTransport{conn: conn, binary: binary, writeTimeout: writeTimeout}, nil
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
	if err := t.conn.WriteMessage(mt, p); err != nil {
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
