package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// closeEvent is one Receiver.Closed call.
type closeEvent struct {
	c   *Conn
	err error
}

// recorder is a Handler whose Receivers echo every chunk back and report
// Closed and Resume calls.
type recorder struct {
	opened  chan *Conn
	closed  chan closeEvent
	resumed chan *Conn
	onOpen  func(c *Conn) error
	// onReceive, when set, is called by every Receive before it echoes.
	onReceive func(p []byte)
	// resumeMsg is written by Resume, before anything else on the new socket.
	resumeMsg []byte
	// onResume, if set, runs in Resume instead.
	onResume func(c *Conn, write func([]byte) error)
}

func newRecorder() *recorder {
	return &recorder{
		opened:  make(chan *Conn, 20000),
		closed:  make(chan closeEvent, 20000),
		resumed: make(chan *Conn, 20000),
	}
}

func (r *recorder) Open(c *Conn) (Receiver, error) {
	if r.onOpen != nil {
		if err := r.onOpen(c); err != nil {
			return nil, err
		}
	}
	r.opened <- c
	return &echo{r: r, c: c}, nil
}

type echo struct {
	r *recorder
	c *Conn
	// receiving detects concurrent Receive calls.
	receiving sync.Mutex
}

func (e *echo) Receive(p []byte) error {
	if !e.receiving.TryLock() {
		panic("concurrent Receive")
	}
	defer e.receiving.Unlock()
	if e.r.onReceive != nil {
		e.r.onReceive(p)
	}
	err := e.c.Write(bytes.Clone(p))
	if errors.Is(err, ErrClosed) {
		return nil
	}
	return err
}

func (e *echo) Closed(err error) { e.r.closed <- closeEvent{e.c, err} }

func (e *echo) Resume(write func([]byte) error) {
	switch {
	case e.r.onResume != nil:
		e.r.onResume(e.c, write)
	case e.r.resumeMsg != nil:
		write(e.r.resumeMsg)
	}
	e.r.resumed <- e.c
}

// waitClosed returns the next Closed call.
func (r *recorder) waitClosed(t testing.TB) closeEvent {
	t.Helper()
	select {
	case ev := <-r.closed:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("Closed was not called")
	}
	return closeEvent{}
}

// fixture is a Server behind a real HTTP server on 127.0.0.1.
type fixture struct {
	t      testing.TB
	srv    *Server
	ts     *httptest.Server
	rec    *recorder
	client *http.Client
}

func newFixture(t testing.TB, opts Options) *fixture {
	return newFixtureWith(t, newRecorder(), opts)
}

func newFixtureWith(t testing.TB, rec *recorder, opts Options) *fixture {
	t.Helper()
	return newFixtureHTTP(t, rec, opts, nil)
}

// newFixtureHTTP is newFixtureWith whose http.Server configure adjusts
// before it starts.
func newFixtureHTTP(t testing.TB, rec *recorder, opts Options, configure func(*http.Server)) *fixture {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	f := &fixture{t: t, rec: rec, srv: NewServer(rec, opts)}
	f.ts = httptest.NewUnstartedServer(f.srv)
	if configure != nil {
		configure(f.ts.Config)
	}
	f.ts.Start()
	f.client = &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := f.srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		f.ts.Close()
		f.client.CloseIdleConnections()
	})
	return f
}

// negotiateResp is a decoded negotiate response.
type negotiateResp struct {
	Error                string `json:"error"`
	NegotiateVersion     int    `json:"negotiateVersion"`
	ConnectionID         string `json:"connectionId"`
	ConnectionToken      string `json:"connectionToken"`
	UseStatefulReconnect bool   `json:"useStatefulReconnect"`
	AvailableTransports  []struct {
		Transport       string   `json:"transport"`
		TransferFormats []string `json:"transferFormats"`
	} `json:"availableTransports"`
}

// negotiate posts to /hub/negotiate?query and returns the raw body.
func (f *fixture) negotiateRaw(query string) (int, string) {
	f.t.Helper()
	status, body, _ := f.do(http.MethodPost, "/hub/negotiate?"+query, "", nil)
	return status, body
}

func (f *fixture) negotiate(query string) negotiateResp {
	f.t.Helper()
	status, body := f.negotiateRaw(query)
	if status != http.StatusOK {
		f.t.Fatalf("negotiate: status %d %q", status, body)
	}
	var r negotiateResp
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		f.t.Fatalf("negotiate: %v in %q", err, body)
	}
	return r
}

// token negotiates v1 and returns the connection token.
func (f *fixture) token() string {
	f.t.Helper()
	return f.negotiate("negotiateVersion=1").ConnectionToken
}

// do sends a request to the server and returns status, body and headers.
func (f *fixture) do(method, pathQuery, body string, header http.Header) (int, string, http.Header) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.ts.URL+pathQuery, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := f.client.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, pathQuery, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// dial opens a WebSocket to /hub with the query.
func (f *fixture) dial(query string) (*websocket.Conn, *http.Response, error) {
	u := "ws" + strings.TrimPrefix(f.ts.URL, "http") + "/hub?" + query
	return websocket.DefaultDialer.Dial(u, nil)
}

func (f *fixture) mustDial(query string) *websocket.Conn {
	f.t.Helper()
	ws, _, err := f.dial(query)
	if err != nil {
		f.t.Fatalf("dial: %v", err)
	}
	f.t.Cleanup(func() { ws.Close() })
	return ws
}

// readN reads WebSocket messages until n bytes arrived, checking the
// message type.
func readN(t testing.TB, ws *websocket.Conn, n int, typ int) []byte {
	t.Helper()
	var out []byte
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for len(out) < n {
		mt, p, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("read after %d bytes: %v", len(out), err)
		}
		if mt != typ {
			t.Fatalf("message type %d, want %d", mt, typ)
		}
		out = append(out, p...)
	}
	return out
}

// sseStream is an open Server-Sent Events response.
type sseStream struct {
	resp *http.Response
	body *bytes.Buffer
	mu   sync.Mutex
	done chan struct{}
}

// openSSE starts an SSE GET for token and collects its bytes.
func (f *fixture) openSSE(token string) *sseStream {
	f.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.ts.URL+"/hub?id="+token, nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := f.client.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	s := &sseStream{resp: resp, body: new(bytes.Buffer), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			s.mu.Lock()
			s.body.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	f.t.Cleanup(func() { resp.Body.Close(); <-s.done })
	return s
}

// waitFor polls the stream until it contains want.
func (s *sseStream) waitFor(t testing.TB, want string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		got := s.body.String()
		s.mu.Unlock()
		if strings.Contains(got, want) {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t.Fatalf("SSE stream lacks %q; got %q", want, s.body.String())
	return ""
}

func decodeJSON(resp *http.Response, v any) error {
	return json.NewDecoder(resp.Body).Decode(v)
}
