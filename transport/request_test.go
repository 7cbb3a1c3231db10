package transport

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// The request built from the kept pieces reads as the original did.
func TestKeptRequest(t *testing.T) {
	var got, want *http.Request
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hubs/{name}/{rest...}", func(w http.ResponseWriter, r *http.Request) {
		c := &Conn{}
		c.ctx = r.Context()
		c.keepRequest(r)
		got, want = c.Request(), r
	})
	r := httptest.NewRequest("GET", "/hubs/chat/a/b?id=x&v=1", nil)
	r.Header.Add("Cookie", "a=1")
	r.Header.Add("X-Multi", "1")
	r.Header.Add("X-Multi", "2")
	mux.ServeHTTP(httptest.NewRecorder(), r)
	if !reflect.DeepEqual(got.Header, want.Header) || got.URL != want.URL || got.Host != want.Host ||
		got.RemoteAddr != want.RemoteAddr || got.RequestURI != want.RequestURI || got.Method != want.Method {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got.PathValue("name") != "chat" || got.PathValue("rest") != "a/b" || got.Pattern != want.Pattern {
		t.Errorf("path values %q %q, pattern %q", got.PathValue("name"), got.PathValue("rest"), got.Pattern)
	}
	if c, err := got.Cookie("a"); err != nil || c.Value != "1" {
		t.Errorf("cookie %v %v", c, err)
	}
}

// A transport request whose headers are larger than MaxRequestHeaderBytes
// is refused before it opens anything: its connection would keep them for
// its whole life (200 idle WebSockets with 880 kB of headers each held
// 179 MB).
func TestLargeRequestHeadersRefused(t *testing.T) {
	f := newFixture(t, Options{})
	big := http.Header{"X-Pad": {strings.Repeat("v", 40<<10)}}
	u := "ws" + strings.TrimPrefix(f.ts.URL, "http") + "/hub?id="
	if ws, resp, err := websocket.DefaultDialer.Dial(u+f.token(), big); err == nil {
		ws.Close()
		t.Error("a WebSocket with 40 kB of headers was accepted")
	} else if resp == nil || resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("WebSocket with 40 kB of headers: %v %v", resp, err)
	}
	if status, _, _ := f.do(http.MethodGet, "/hub?id="+f.token(), "", big); status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("long poll with 40 kB of headers: %d", status)
	}
	req, _ := http.NewRequest(http.MethodGet, f.ts.URL+"/hub?id="+f.token(), nil)
	req.Header = http.Header{"X-Pad": big["X-Pad"], "Accept": {"text/event-stream"}}
	if resp, err := f.client.Do(req); err != nil {
		t.Error(err)
	} else {
		resp.Body.Close() // an accepted stream would not end
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("SSE with 40 kB of headers: %d", resp.StatusCode)
		}
	}
	select {
	case c := <-f.rec.opened:
		t.Errorf("connection %s opened", c.ID())
	default:
	}
	// Under the limit, as a browser's cookies may be.
	ws, resp, err := websocket.DefaultDialer.Dial(u+f.token(), http.Header{"Cookie": {strings.Repeat("c", 16<<10)}})
	if err != nil {
		t.Fatalf("a WebSocket with 16 kB of headers: %v %v", resp, err)
	}
	ws.Close()
}
