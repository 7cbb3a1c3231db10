package server

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestNegotiateVersion0Refused: both hubs answer a version 0 negotiate
// (whose token would be the public connection id) with ASP.NET Core's
// error, and serve version 1.
func TestNegotiateVersion0Refused(t *testing.T) {
	b := newBench(t, Config{})
	token := b.login("Ann", "pw1").Token
	for _, hub := range []string{"/chatHub", "/hubs/chat"} {
		for _, q := range []string{"", "?negotiateVersion=0"} {
			res, body := b.post(hub+"/negotiate"+q, token, "")
			var got struct {
				Error        string `json:"error"`
				ConnectionID string `json:"connectionId"`
			}
			if res.StatusCode != http.StatusOK || json.Unmarshal(body, &got) != nil {
				t.Fatalf("%s%s: %d %s", hub, q, res.StatusCode, body)
			}
			if want := "The client requested version '0', but the server does not support this version."; got.Error != want || got.ConnectionID != "" {
				t.Errorf("%s%s: %s, want error %q", hub, q, body, want)
			}
		}
	}
	res, body := b.post("/chatHub/negotiate?negotiateVersion=1", "", "")
	var ok struct {
		ConnectionToken string `json:"connectionToken"`
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal(body, &ok) != nil || ok.ConnectionToken == "" {
		t.Fatalf("version 1: %d %s", res.StatusCode, body)
	}
}
