package transport

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
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
