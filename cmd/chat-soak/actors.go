package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/signalr-go/signalr/client"
)

// message is the part of a chat message the soak checks.
type message struct {
	ID     int64  `json:"id"`
	RoomID int64  `json:"roomId"`
	Text   string `json:"text"`
}

// room is where everyone talks: the default room, which every new person
// joins.
const room = 1

// ledger holds the messages the server acknowledged.
type ledger struct {
	mu                 sync.Mutex
	acked              map[int64]string // id -> text
	failed, reconnects atomic.Int64
}

func newLedger() *ledger { return &ledger{acked: map[int64]string{}} }

func (l *ledger) ack(m message) {
	l.mu.Lock()
	l.acked[m.ID] = m.Text
	l.mu.Unlock()
}

func (l *ledger) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// pool makes the actors' HTTP clients and closes their idle keep-alive
// connections at the end, so that those do not count as the server's.
type pool struct {
	mu  sync.Mutex
	all []*http.Transport
}

// from returns an HTTP client whose connections come from the loopback
// address of actor i, and the dialer behind it.
func (p *pool) from(i int) (*http.Client, *net.Dialer) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(10+i))}, Timeout: 10 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext}
	p.mu.Lock()
	p.all = append(p.all, tr)
	p.mu.Unlock()
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}, d
}

func (p *pool) closeIdle() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, tr := range p.all {
		tr.CloseIdleConnections()
	}
}

// signIn signs in (creating the person the first time), waiting out a
// rate limit if the server asks.
func signIn(ctx context.Context, hc *http.Client, base, name string) (string, error) {
	for {
		body, _ := json.Marshal(map[string]string{"name": name})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/login", bytes.NewReader(body))
		res, err := hc.Do(req)
		if err != nil {
			return "", err
		}
		var out struct{ Token string }
		err = json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if res.StatusCode == http.StatusTooManyRequests {
			wait, _ := strconv.Atoi(res.Header.Get("Retry-After"))
			if !sleep(ctx, time.Duration(wait)*time.Second) {
				return "", ctx.Err()
			}
			continue
		}
		if res.StatusCode != http.StatusOK || err != nil {
			return "", fmt.Errorf("sign in %s: status %d, %v", name, res.StatusCode, err)
		}
		return out.Token, nil
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func hubClient(base, token string, hc *http.Client) (*client.Client, error) {
	return client.New(base+"/hubs/chat", client.WithHTTPClient(hc),
		client.WithAccessToken(func(context.Context) (string, error) { return token, nil }))
}

// talker is a person who connects, sends a message about every 300 ms for
// a few seconds, drops the connection and comes back, until ctx ends.
func talker(ctx context.Context, p *pool, base string, i int, led *ledger) error {
	hc, _ := p.from(i)
	token, err := signIn(ctx, hc, base, fmt.Sprint("soak-", i))
	if err != nil {
		return nilIfDone(ctx, err)
	}
	for seq := 0; ctx.Err() == nil; {
		c, err := hubClient(base, token, hc)
		if err != nil {
			return err
		}
		if err := c.Start(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("talker %d: connect: %w", i, err)
		}
		hold := time.Now().Add(time.Duration(3000+rand.IntN(9000)) * time.Millisecond)
		for time.Now().Before(hold) && sleep(ctx, 300*time.Millisecond) {
			seq++
			text := fmt.Sprintf("soak %d %d", i, seq)
			m, err := client.Invoke[message](ctx, c, "SendMessage", room, text, fmt.Sprint(i, "-", seq))
			if err != nil || m.Text != text {
				led.failed.Add(1)
				continue
			}
			led.ack(m)
		}
		stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c.Stop(stopCtx)
		cancel()
		led.reconnects.Add(1)
		sleep(ctx, time.Duration(200+rand.IntN(1500))*time.Millisecond)
	}
	return nil
}

func nilIfDone(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// listener stays connected through the whole soak and records every
// message it receives.
type listener struct {
	c      *client.Client
	mu     sync.Mutex
	got    map[int64]bool
	closed error
}

func newListener(ctx context.Context, p *pool, base string) (*listener, error) {
	hc, _ := p.from(200)
	token, err := signIn(ctx, hc, base, "soak-listener")
	if err != nil {
		return nil, err
	}
	c, err := hubClient(base, token, hc)
	if err != nil {
		return nil, err
	}
	l := &listener{c: c, got: map[int64]bool{}}
	c.On("MessageReceived", func(m message) {
		l.mu.Lock()
		l.got[m.ID] = true
		l.mu.Unlock()
	})
	c.OnClosed(func(err error) {
		l.mu.Lock()
		l.closed = fmt.Errorf("the listener's connection closed during the soak: %v", err)
		l.mu.Unlock()
	})
	return l, c.Start(ctx)
}

// verify checks every acknowledged message against what the listener
// received and against the room's stored history.
func (l *listener) verify(base string, led *ledger) []error {
	led.mu.Lock()
	acked := led.acked
	led.mu.Unlock()
	var errs []error
	missing := 0
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		l.mu.Lock()
		missing = 0
		for id := range acked {
			if !l.got[id] {
				missing++
			}
		}
		closed := l.closed
		l.mu.Unlock()
		if closed != nil {
			errs = append(errs, closed)
		}
		if missing == 0 || closed != nil || time.Now().After(deadline) {
			break
		}
	}
	if missing > 0 {
		errs = append(errs, fmt.Errorf("%d of %d acknowledged messages never reached the listener", missing, len(acked)))
	}
	stored, err := l.history()
	if err != nil {
		return append(errs, err)
	}
	lost := 0
	for id, text := range acked {
		if stored[id] != text {
			lost++
		}
	}
	if lost > 0 {
		errs = append(errs, fmt.Errorf("%d of %d acknowledged messages are missing from the room's history", lost, len(acked)))
	}
	return errs
}

// history reads the room's whole history, a page at a time.
func (l *listener) history() (map[int64]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stored := map[int64]string{}
	for after := int64(0); ; {
		page, err := client.Invoke[[]message](ctx, l.c, "MessagesSince", room, after)
		if err != nil {
			return nil, fmt.Errorf("read history: %w", err)
		}
		if len(page) == 0 {
			return stored, nil
		}
		for _, m := range page {
			stored[m.ID] = m.Text
		}
		after = page[len(page)-1].ID
	}
}

func (l *listener) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l.c.Stop(ctx)
}

// rawConn is a WebSocket to the hub that speaks the JSON protocol by
// hand, for what the Go client would never send or would never stop
// reading.
func rawConn(ctx context.Context, base, token string, d *net.Dialer, hc *http.Client) (*websocket.Conn, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/hubs/chat/negotiate?negotiateVersion=1", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	var neg struct{ ConnectionToken string }
	err = json.NewDecoder(res.Body).Decode(&neg)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || err != nil {
		return nil, fmt.Errorf("negotiate: status %d, %v", res.StatusCode, err)
	}
	dialer := websocket.Dialer{NetDialContext: d.DialContext, HandshakeTimeout: 10 * time.Second}
	ws, _, err := dialer.DialContext(ctx, "ws"+strings.TrimPrefix(base, "http")+"/hubs/chat?id="+neg.ConnectionToken+"&access_token="+token, nil)
	return ws, err
}

const handshake = "{\"protocol\":\"json\",\"version\":1}\x1e"

// slowConsumer connects and then reads nothing for 20 s while the room
// keeps talking, then drains what it can for 2 s, and starts over. The
// server may drop it; it must not hold on to its messages without bound.
func slowConsumer(ctx context.Context, p *pool, base string, i int) error {
	hc, d := p.from(i)
	token, err := signIn(ctx, hc, base, fmt.Sprint("soak-slow-", i))
	if err != nil {
		return nilIfDone(ctx, err)
	}
	for ctx.Err() == nil {
		ws, err := rawConn(ctx, base, token, d, hc)
		if err != nil {
			return nilIfDone(ctx, fmt.Errorf("slow consumer %d: %w", i, err))
		}
		ws.WriteMessage(websocket.TextMessage, []byte(handshake))
		sleep(ctx, 20*time.Second)
		ws.SetReadDeadline(time.Now().Add(2 * time.Second))
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				break
			}
		}
		ws.Close()
	}
	return nil
}

// malformed sends, twice a second, one kind of bad input, and checks the
// server answers it as the protocol says (never a 500).
func malformed(ctx context.Context, p *pool, base string, i int) error {
	hc, d := p.from(i)
	token, err := signIn(ctx, hc, base, "soak-malformed")
	if err != nil {
		return nilIfDone(ctx, err)
	}
	var unexpected []string
	for n := 0; sleep(ctx, 500*time.Millisecond); n++ {
		if msg := badInput(ctx, n%6, base, token, d, hc); msg != "" && ctx.Err() == nil && len(unexpected) < 10 {
			unexpected = append(unexpected, msg)
		}
	}
	if len(unexpected) > 0 {
		return fmt.Errorf("unexpected answers to malformed input: %s", strings.Join(unexpected, "; "))
	}
	return nil
}

// badInput sends one kind of bad input and returns what was unexpected
// about the answer, "" if nothing.
func badInput(ctx context.Context, kind int, base, token string, d *net.Dialer, hc *http.Client) string {
	post := func(path, ctype string, body io.Reader, want ...int) string {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+path, body)
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := hc.Do(req)
		if err != nil {
			return fmt.Sprintf("%s: %v", path, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		for _, w := range append(want, http.StatusTooManyRequests) {
			if res.StatusCode == w {
				return ""
			}
		}
		return fmt.Sprintf("%s: status %d", path, res.StatusCode)
	}
	switch kind {
	case 0:
		return post("/api/login", "application/json", strings.NewReader("{"), http.StatusBadRequest)
	case 1:
		return post("/api/login", "application/json", strings.NewReader(`{"name":"`+strings.Repeat("x", 8000)+`"}`), http.StatusBadRequest)
	case 2:
		return post("/api/rooms/1/files", "multipart/form-data; boundary=zz", strings.NewReader("--zz\r\nbroken"), http.StatusBadRequest)
	case 3:
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/hubs/chat/negotiate?negotiateVersion=1", nil)
		req.Header.Set("Authorization", "Bearer not.a-token")
		res, err := hc.Do(req)
		if err != nil {
			return err.Error()
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			return fmt.Sprintf("negotiate with a bad token: status %d", res.StatusCode)
		}
		return ""
	}
	ws, err := rawConn(ctx, base, token, d, hc)
	if err != nil {
		return nilText(ctx, err)
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if kind == 4 { // a broken handshake: the server answers with an error or closes
		ws.WriteMessage(websocket.TextMessage, []byte("nonsense\x1e"))
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				var ce *websocket.CloseError
				if errors.As(err, &ce) || strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "reset") {
					return ""
				}
				return "broken handshake: " + err.Error()
			}
		}
	}
	// A good handshake, a call with arguments of the wrong types (which
	// gets an error completion), then bytes that are not JSON (which get
	// the connection closed).
	ws.WriteMessage(websocket.TextMessage, []byte(handshake+`{"type":1,"invocationId":"1","target":"SendMessage","arguments":["x",{},3]}`+"\x1e"))
	sawError := false
	for !sawError {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return "wrong argument types: " + err.Error()
		}
		sawError = bytes.Contains(data, []byte(`"invocationId":"1"`)) && bytes.Contains(data, []byte(`"error"`))
	}
	ws.WriteMessage(websocket.TextMessage, []byte("\xff\xfe{{{\x1e"))
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return ""
		}
		if bytes.Contains(data, []byte(`"type":7`)) {
			return ""
		}
	}
}

func nilText(ctx context.Context, err error) string {
	if ctx.Err() != nil {
		return ""
	}
	return err.Error()
}
