package server

import (
	"net/http"
	"testing"

	"github.com/signalr-go/signalr/chat/files"
	"github.com/signalr-go/signalr/chat/store"
)

// A room's file list is for its members only, newest first, with the
// upload limit a page checks before sending anything.
func TestRoomFileList(t *testing.T) {
	b := newBench(t, Config{MaxUploadBytes: 1 << 16})
	ann, bob := b.login("Ann", ""), b.login("Bob", "")
	cb, _ := b.dial("/hubs/chat", bob.Token)
	var secret store.Room
	cb.must(&secret, "CreateRoom", "secret")
	for _, name := range []string{"a.txt", "b.txt"} {
		if status, _ := b.upload(bob.Token, secret.ID, name, []byte(name)); status != http.StatusOK {
			t.Fatalf("upload %s: %d", name, status)
		}
	}
	list := func(token string) (int, files.Listing) {
		req, _ := http.NewRequest(http.MethodGet, b.url+"/api/rooms/"+itoa(secret.ID)+"/files", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, body := b.do(req)
		var l files.Listing
		if res.StatusCode == http.StatusOK {
			if err := jsonUnmarshal(body, &l); err != nil {
				t.Fatal(err)
			}
		}
		return res.StatusCode, l
	}
	if status, _ := list(""); status != http.StatusUnauthorized {
		t.Errorf("anonymous list: %d, want 401", status)
	}
	if status, _ := list(ann.Token); status != http.StatusForbidden {
		t.Errorf("non-member list: %d, want 403", status)
	}
	status, l := list(bob.Token)
	if status != http.StatusOK || l.MaxBytes != 1<<16 || len(l.Files) != 2 {
		t.Fatalf("member list: %d %+v", status, l)
	}
	if l.Files[0].Name != "b.txt" || l.Files[1].Name != "a.txt" {
		t.Errorf("order: %s, %s; want the newest first", l.Files[0].Name, l.Files[1].Name)
	}
}
