package transport

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestMalformedRequests(t *testing.T) {
	f := newFixture(t, Options{})
	sse := http.Header{"Accept": {"text/event-stream"}}

	wsToken := f.token()
	f.mustDial("id=" + wsToken)
	<-f.rec.opened
	lpToken := f.token()
	f.poll(lpToken)
	<-f.rec.opened
	sseToken := f.token()
	f.openSSE(sseToken).waitFor(t, ":\r\n")
	<-f.rec.opened

	tests := []struct {
		name       string
		method     string
		query      string
		header     http.Header
		wantStatus int
		wantBody   string
	}{
		{"SSE without id", http.MethodGet, "", sse, 400, "Connection ID required"},
		{"poll without id", http.MethodGet, "", nil, 400, "Connection ID required"},
		{"POST without id", http.MethodPost, "", nil, 400, "Connection ID required"},
		{"DELETE without id", http.MethodDelete, "", nil, 400, "Connection ID required"},
		{"unknown token", http.MethodGet, "id=nope", nil, 404, "No Connection with that ID"},
		{"POST unknown token", http.MethodPost, "id=nope", nil, 404, "No Connection with that ID"},
		{"wrong method", http.MethodPut, "id=" + lpToken, nil, 405, ""},
		{"POST on WebSocket", http.MethodPost, "id=" + wsToken, nil, 405, "POST requests are not allowed for WebSocket connections."},
		{"DELETE on WebSocket", http.MethodDelete, "id=" + wsToken, nil, 400, "Cannot terminate this connection using the DELETE endpoint."},
		{"DELETE on SSE", http.MethodDelete, "id=" + sseToken, nil, 400, "Cannot terminate this connection using the DELETE endpoint."},
		{"poll on WebSocket", http.MethodGet, "id=" + wsToken, nil, 400, "Cannot change transports mid-connection"},
		{"SSE on long polling", http.MethodGet, "id=" + lpToken, sse, 400, "Cannot change transports mid-connection"},
		{"second SSE", http.MethodGet, "id=" + sseToken, sse, 409, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, _ := f.do(tt.method, "/hub?"+tt.query, "", tt.header)
			if status != tt.wantStatus || (tt.wantBody != "" && body != tt.wantBody) {
				t.Fatalf("got %d %q, want %d %q", status, body, tt.wantStatus, tt.wantBody)
			}
		})
	}
	t.Run("WebSocket on long polling", func(t *testing.T) {
		if _, resp, err := f.dial("id=" + lpToken); err == nil || resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("second WebSocket", func(t *testing.T) {
		if _, resp, err := f.dial("id=" + wsToken); err == nil || resp.StatusCode != http.StatusConflict {
			t.Fatalf("got %v", err)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	f := newFixture(t, Options{Authenticate: func(r *http.Request) (Principal, error) {
		switch BearerToken(r) {
		case "alice":
			return Principal{ID: "alice"}, nil
		case "bob":
			return Principal{ID: "bob"}, nil
		}
		return Principal{}, errors.New("bad token")
	}})
	status, body, _ := f.do(http.MethodPost, "/hub/negotiate?negotiateVersion=1", "", nil)
	if status != http.StatusUnauthorized || body != "Unauthorized" {
		t.Fatalf("negotiate without token: %d %q", status, body)
	}
	auth := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	r := f.negotiateAs(auth("alice"))
	if status, _, _ := f.do(http.MethodGet, "/hub?id="+r.ConnectionToken, "", nil); status != http.StatusUnauthorized {
		t.Fatalf("poll without token: %d", status)
	}
	if status, _, _ := f.do(http.MethodGet, "/hub?id="+r.ConnectionToken, "", auth("bob")); status != http.StatusForbidden {
		t.Fatalf("poll by another user: %d", status)
	}
	// Browsers put the token in the query for WebSockets and SSE.
	if status, _, _ := f.do(http.MethodGet, "/hub?id="+r.ConnectionToken+"&access_token=alice", "", nil); status != http.StatusOK {
		t.Fatalf("poll with query token: %d", status)
	}
	if c := <-f.rec.opened; c.Principal().ID != "alice" {
		t.Fatalf("principal %+v", c.Principal())
	}
}

// negotiateAs negotiates v1 with extra headers.
func (f *fixture) negotiateAs(h http.Header) negotiateResp {
	f.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.ts.URL+"/hub/negotiate?negotiateVersion=1", nil)
	req.Header = h
	resp, err := f.client.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r negotiateResp
	if err := decodeJSON(resp, &r); err != nil {
		f.t.Fatal(err)
	}
	return r
}

func TestCORS(t *testing.T) {
	f := newFixture(t, Options{AllowedOrigins: []string{"https://app.example"}})
	pre := http.Header{
		"Origin":                         {"https://app.example"},
		"Access-Control-Request-Method":  {"POST"},
		"Access-Control-Request-Headers": {"x-requested-with,x-signalr-user-agent,authorization"},
	}
	status, _, h := f.do(http.MethodOptions, "/hub/negotiate?negotiateVersion=1", "", pre)
	if status != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		h.Get("Access-Control-Allow-Credentials") != "true" ||
		h.Get("Access-Control-Allow-Headers") != "x-requested-with,x-signalr-user-agent,authorization" ||
		h.Get("Access-Control-Allow-Methods") != "GET, POST, DELETE" {
		t.Fatalf("preflight: %d %v", status, h)
	}
	_, _, h = f.do(http.MethodPost, "/hub/negotiate?negotiateVersion=1", "", http.Header{"Origin": {"https://app.example"}})
	if h.Get("Access-Control-Allow-Origin") != "https://app.example" || h.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("negotiate CORS headers: %v", h)
	}
	pre.Set("Origin", "https://evil.example")
	status, _, h = f.do(http.MethodOptions, "/hub/negotiate", "", pre)
	if status == http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("foreign preflight: %d %v", status, h)
	}
}

func TestMatch(t *testing.T) {
	s := NewServer(newRecorder(), Options{Path: "/testhub"})
	for path, want := range map[string]bool{
		"/testhub": true, "/testHub": true, "/TESTHUB/": true, "/testHub/negotiate": true, "/testhub/NEGOTIATE": true,
		"/testhub2": false, "/other/negotiate": false, "/": false, "/negotiate": false,
	} {
		if got := s.Match(path); got != want {
			t.Errorf("Match(%q) = %v", path, got)
		}
	}
	// With Path set, ServeHTTP can sit behind a catch-all route.
	mux := http.NewServeMux()
	mux.Handle("/", s)
	ts := httptest.NewServer(mux)
	defer ts.Close()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	for path, want := range map[string]int{"/testHub/negotiate": 200, "/nothub/negotiate": 404} {
		resp, err := client.Post(ts.URL+path, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("POST %s: %d", path, resp.StatusCode)
		}
	}
	s.Shutdown(context.Background())
}

func TestShutdown(t *testing.T) {
	f := newFixture(t, Options{})
	ws := f.mustDial("id=" + f.token())
	f.openSSE(f.token()).waitFor(t, ":\r\n")
	lp := f.token()
	f.poll(lp)
	pending := f.startPoll(lp)
	for range 3 {
		<-f.rec.opened
	}
	waitPending(t, f.srv.lookup(lp))
	unused := f.token()
	// The client answers the server's close frame while Shutdown waits.
	wsErr := make(chan error, 1)
	go func() {
		_, _, err := ws.ReadMessage()
		wsErr <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for range 3 {
		if ev := f.rec.waitClosed(t); !errors.Is(ev.err, ErrShutdown) {
			t.Fatalf("Closed(%v)", ev.err)
		}
	}
	if err := <-wsErr; !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Fatalf("WebSocket: %v", err)
	}
	if r := <-pending; r[0] != "204" {
		t.Fatalf("pending poll: %v", r)
	}
	if status, _, _ := f.do(http.MethodGet, "/hub?id="+unused, "", nil); status != http.StatusServiceUnavailable {
		t.Fatalf("request after shutdown: %d", status)
	}
}
