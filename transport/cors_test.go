package transport

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

func TestHostAllowed(t *testing.T) {
	loop := LoopbackHosts()
	tests := []struct {
		host    string
		allowed []string
		ok      bool
	}{
		{"anything:1", nil, true},
		{"localhost:8080", loop, true},
		{"LOCALHOST", loop, true},
		{"127.0.0.1:8080", loop, true},
		{"[::1]:8080", loop, true},
		{"rebind.attacker.example:8080", loop, false},
		{"127.0.0.1.attacker.example", loop, false},
		{"", loop, false},
		{"a.example.com", []string{"*.example.com"}, true},
		{"example.com", []string{"*.example.com"}, false},
		{"badexample.com", []string{"*.example.com"}, false},
		{"x.example", []string{"*"}, true},
	}
	for _, tt := range tests {
		if got := HostAllowed(tt.host, tt.allowed); got != tt.ok {
			t.Errorf("HostAllowed(%q, %q) = %v, want %v", tt.host, tt.allowed, got, tt.ok)
		}
	}
}

// TestDNSRebinding: a page of the attacker's domain, resolved to the
// server's loopback address, sends the attacker's Host with a matching
// Origin. Same-origin by those headers; AllowedHosts refuses it, on
// negotiate and on the WebSocket, and still serves the loopback names.
func TestDNSRebinding(t *testing.T) {
	f := newFixture(t, Options{AllowedHosts: LoopbackHosts()})
	port := f.ts.Listener.Addr().String()[strings.LastIndex(f.ts.Listener.Addr().String(), ":"):]
	evil := "rebind.attacker.example" + port

	h := http.Header{"Host": {evil}, "Origin": {"http://" + evil}}
	u := "ws" + f.ts.URL[len("http"):] + "/hub"
	if ws, resp, err := websocket.DefaultDialer.Dial(u, h); err == nil {
		ws.Close()
		t.Fatal("WebSocket with the attacker's Host accepted")
	} else if resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("dial: %v %v", err, resp)
	}
	req, _ := http.NewRequest(http.MethodPost, f.ts.URL+"/hub/negotiate?negotiateVersion=1", nil)
	req.Host = evil
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("negotiate with the attacker's Host: %d", resp.StatusCode)
	}

	for _, host := range []string{"localhost" + port, "127.0.0.1" + port} {
		h := http.Header{"Host": {host}, "Origin": {"http://" + host}}
		ws, resp, err := websocket.DefaultDialer.Dial(u, h)
		if err != nil {
			t.Fatalf("dial as %s: %v %v", host, err, resp)
		}
		ws.Close()
	}
}
