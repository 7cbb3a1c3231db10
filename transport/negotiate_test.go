package transport

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestNegotiateShapes(t *testing.T) {
	idRe := regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)
	tests := []struct {
		name        string
		opts        Options
		query       string
		wantVersion int
		wantToken   bool
		wantErr     string
		wantStart   string // exact start of the body: property order
	}{
		{name: "v0", query: "", wantVersion: 0, wantStart: `{"negotiateVersion":0,"connectionId":"`},
		{name: "v1", query: "negotiateVersion=1", wantVersion: 1, wantToken: true, wantStart: `{"negotiateVersion":1,"connectionId":"`},
		{name: "clamped", query: "negotiateVersion=7", wantVersion: 1, wantToken: true},
		{name: "key case-insensitive", query: "NEGOTIATEVERSION=1", wantVersion: 1, wantToken: true},
		{name: "non-integer", query: "negotiateVersion=x", wantErr: "The client requested a non-integer protocol version."},
		{name: "below minimum", opts: Options{MinNegotiateVersion: 1}, query: "",
			wantErr: "The client requested version '0', but the server does not support this version."},
		{name: "stateful granted", opts: Options{AllowStatefulReconnect: true}, query: "negotiateVersion=1&useStatefulReconnect=true",
			wantVersion: 1, wantToken: true, wantStart: `{"useStatefulReconnect":true,"negotiateVersion":1,`},
		{name: "stateful not allowed", query: "negotiateVersion=1&useStatefulReconnect=true", wantVersion: 1, wantToken: true,
			wantStart: `{"negotiateVersion":1,`},
		{name: "stateful not asked", opts: Options{AllowStatefulReconnect: true}, query: "negotiateVersion=1",
			wantVersion: 1, wantToken: true, wantStart: `{"negotiateVersion":1,`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.opts)
			status, body, h := f.do(http.MethodPost, "/hub/negotiate?"+tt.query, "", nil)
			if status != http.StatusOK || h.Get("Content-Type") != "application/json" {
				t.Fatalf("status %d, content type %q", status, h.Get("Content-Type"))
			}
			if tt.wantErr != "" {
				want, _ := json.Marshal(map[string]string{"error": tt.wantErr})
				if body != string(want) {
					t.Fatalf("body %s, want %s", body, want)
				}
				return
			}
			if !strings.HasPrefix(body, tt.wantStart) {
				t.Errorf("body %s does not start with %s", body, tt.wantStart)
			}
			var r negotiateResp
			if err := json.Unmarshal([]byte(body), &r); err != nil {
				t.Fatal(err)
			}
			if r.NegotiateVersion != tt.wantVersion || !idRe.MatchString(r.ConnectionID) {
				t.Errorf("version %d id %q", r.NegotiateVersion, r.ConnectionID)
			}
			if tt.wantToken != (r.ConnectionToken != "") || (tt.wantToken && (!idRe.MatchString(r.ConnectionToken) || r.ConnectionToken == r.ConnectionID)) {
				t.Errorf("token %q (id %q)", r.ConnectionToken, r.ConnectionID)
			}
			if want := strings.Contains(tt.wantStart, "useStateful"); r.UseStatefulReconnect != want {
				t.Errorf("useStatefulReconnect %v", r.UseStatefulReconnect)
			}
			if !strings.HasSuffix(body, `"availableTransports":[{"transport":"WebSockets","transferFormats":["Text","Binary"]},{"transport":"ServerSentEvents","transferFormats":["Text"]},{"transport":"LongPolling","transferFormats":["Text","Binary"]}]}`) {
				t.Errorf("transports in %s", body)
			}
		})
	}
}

func TestNegotiateV0TokenIsID(t *testing.T) {
	f := newFixture(t, Options{})
	r := f.negotiate("")
	// v0 clients connect with ?id=connectionId.
	ws := f.mustDial("id=" + r.ConnectionID)
	c := <-f.rec.opened
	if c.ID() != r.ConnectionID {
		t.Fatalf("ID %q, want %q", c.ID(), r.ConnectionID)
	}
	ws.Close()
}

func TestNegotiateTransportSubset(t *testing.T) {
	f := newFixture(t, Options{Transports: LongPolling | WebSockets})
	_, body := f.negotiateRaw("negotiateVersion=1")
	if !strings.HasSuffix(body, `"availableTransports":[{"transport":"WebSockets","transferFormats":["Text","Binary"]},{"transport":"LongPolling","transferFormats":["Text","Binary"]}]}`) {
		t.Fatalf("body %s", body)
	}
	status, msg, _ := f.do(http.MethodGet, "/hub?id="+f.token(), "", http.Header{"Accept": {"text/event-stream"}})
	if status != http.StatusNotFound || msg != "ServerSentEvents transport not supported by this end point type" {
		t.Fatalf("SSE on disabled transport: %d %q", status, msg)
	}
}

func TestNegotiateMethod(t *testing.T) {
	f := newFixture(t, Options{})
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		if status, _, _ := f.do(m, "/hub/negotiate", "", nil); status != http.StatusMethodNotAllowed {
			t.Errorf("%s: status %d", m, status)
		}
	}
	// The suffix is matched case-insensitively.
	if status, _, _ := f.do(http.MethodPost, "/hub/Negotiate?negotiateVersion=1", "", nil); status != http.StatusOK {
		t.Errorf("/Negotiate: status %d", status)
	}
}

func TestUnusedNegotiationIsReaped(t *testing.T) {
	f := newFixture(t, Options{DisconnectTimeout: 100 * time.Millisecond})
	token := f.token()
	if f.srv.lookup(token) == nil {
		t.Fatal("connection not stored by token")
	}
	deadline := time.Now().Add(2 * time.Second)
	for f.srv.lookup(token) != nil {
		if time.Now().After(deadline) {
			t.Fatal("negotiated connection not reaped")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, resp, err := f.dial("id=" + token); err == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("WS after reap: %v %v", err, resp)
	}
	// The scan stops once no connection is left.
	deadline = time.Now().Add(2 * time.Second)
	for {
		f.srv.mu.Lock()
		scanning := f.srv.scanning
		f.srv.mu.Unlock()
		if !scanning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("scan still running without connections")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
