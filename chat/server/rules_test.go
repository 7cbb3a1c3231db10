package server

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signalr-go/signalr/chat/hub"
	"github.com/signalr-go/signalr/chat/store"
)

func TestSignIn(t *testing.T) {
	b := newBench(t, Config{})
	ann := b.login("Ann", "pw1")
	if again := b.login("ann", "pw1"); again.UserID != ann.UserID || again.Name != "Ann" {
		t.Errorf("second sign-in = %+v, want user %s named Ann", again, ann.UserID)
	}
	if res, _ := b.post("/api/login", "", `{"name":"ANN","password":"wrong"}`); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %d, want 401", res.StatusCode)
	}
	if res, _ := b.post("/api/login", "", `{"name":"  "}`); res.StatusCode != http.StatusBadRequest {
		t.Errorf("blank name: %d, want 400", res.StatusCode)
	}
	// Without a password, the name is enough (and is the same user).
	bob := b.login("Bob", "")
	if again := b.login("Bob", ""); again.UserID != bob.UserID {
		t.Error("password-less name gave another user")
	}
	if res, _ := b.post("/api/session", bob.Token, ""); res.StatusCode != http.StatusOK {
		t.Errorf("session with a valid token: %d", res.StatusCode)
	}
	if res, _ := b.post("/api/session", bob.Token+"x", ""); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("session with a bad token: %d, want 401", res.StatusCode)
	}
}

func TestHubNeedsAValidToken(t *testing.T) {
	b := newBench(t, Config{})
	if _, status := b.dial("/hubs/chat", ""); status != http.StatusUnauthorized {
		t.Errorf("anonymous: %d, want 401", status)
	}
	ann := b.login("Ann", "")
	p, sig, _ := strings.Cut(ann.Token, ".")
	if _, status := b.dial("/hubs/chat", p+"."+sig[:len(sig)-2]+"AA"); status != http.StatusUnauthorized {
		t.Errorf("bad signature: %d, want 401", status)
	}
	// The seed hub stays open to anonymous clients.
	if _, status := b.dial("/chatHub", ""); status != http.StatusOK {
		t.Errorf("seed hub, anonymous: %d", status)
	}
}

// The author of a message is the token's user, whatever the client sends.
func TestCannotPostAsAnotherUser(t *testing.T) {
	b := newBench(t, Config{})
	ann, bob := b.login("Ann", ""), b.login("Bob", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	cb, _ := b.dial("/hubs/chat", bob.Token)
	var general hub.RoomState
	ca.must(&general, "JoinRoom", 1)

	var sent store.Message
	ca.must(&sent, "SendMessage", general.Room.ID, "hi", "c1")
	var got store.Message
	cb.event("MessageReceived", &got)
	if got.ID != sent.ID || got.UserID != ann.UserID || got.UserName != "Ann" || got.Text != "hi" {
		t.Errorf("bob got %+v, want ann's message %d", got, sent.ID)
	}
	// There is no way to name the author: an extra argument is refused.
	if e := ca.call(nil, "SendMessage", general.Room.ID, "as bob", "c2", bob.UserID); e == "" {
		t.Error("SendMessage with an author argument succeeded")
	}
	// Replaying ann's client id does not store a second message.
	var again store.Message
	ca.must(&again, "SendMessage", general.Room.ID, "hi", "c1")
	var page []store.Message
	cb.must(&page, "MessagesSince", general.Room.ID, 0)
	if again.ID != sent.ID || len(page) != 1 {
		t.Errorf("retried send: id %d (want %d), room has %d messages (want 1)", again.ID, sent.ID, len(page))
	}
}

func TestCannotReadARoomWithoutJoining(t *testing.T) {
	ca, _, secret, m := bobsRoom(t, "for members only")

	for _, call := range []struct {
		method string
		args   []any
	}{
		{"History", []any{secret.ID, 0}},
		{"MessagesSince", []any{secret.ID, 0}},
		{"SendMessage", []any{secret.ID, "let me in", ""}},
		{"MarkRead", []any{secret.ID, m.ID}},
		{"Typing", []any{secret.ID}},
	} {
		var out any
		e := ca.call(&out, call.method, call.args...)
		if !strings.Contains(e, "not a member") {
			t.Errorf("%s on a room not joined: error %q, result %v; want 'not a member'", call.method, e, out)
		}
	}
	if ca.seen("MessageReceived") {
		t.Error("a non-member received a room's message")
	}
	// Joining opens the history.
	var st hub.RoomState
	ca.must(&st, "JoinRoom", secret.ID)
	if len(st.Messages) != 1 || st.Messages[0].Text != "for members only" {
		t.Errorf("after joining: %+v", st.Messages)
	}
	// Leaving closes it again.
	ca.must(nil, "LeaveRoom", secret.ID)
	if e := ca.call(nil, "History", secret.ID, 0); !strings.Contains(e, "not a member") {
		t.Errorf("History after leaving: %q", e)
	}
}

// upload shares a file in a room and returns the status and message.
func (b *bench) upload(token string, roomID int64, name string, data []byte) (int, store.Message) {
	b.t.Helper()
	res, resBody := b.do(uploadRequest(b.url, token, roomID, name, data))
	var m store.Message
	if res.StatusCode == http.StatusOK {
		if err := jsonUnmarshal(resBody, &m); err != nil {
			b.t.Fatal(err)
		}
	}
	return res.StatusCode, m
}

// uploadRequest is the multipart request that shares a file.
func uploadRequest(url, token string, roomID int64, name string, data []byte) *http.Request {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, _ := w.CreateFormFile("file", name)
	part.Write(data)
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, url+"/api/rooms/"+itoa(roomID)+"/files", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

func (b *bench) download(token, path string) (*http.Response, []byte) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.url+path, nil)
	if token != "" {
		req.AddCookie(&http.Cookie{Name: tokenCookie, Value: token})
	}
	return b.do(req)
}

func TestFilesStayInTheirRoom(t *testing.T) {
	b := newBench(t, Config{MaxUploadBytes: 1 << 16})
	ann, bob := b.login("Ann", ""), b.login("Bob", "")
	cb, _ := b.dial("/hubs/chat", bob.Token)
	var secret store.Room
	cb.must(&secret, "CreateRoom", "secret")

	if status, _ := b.upload(ann.Token, secret.ID, "x.txt", []byte("x")); status != http.StatusForbidden {
		t.Errorf("upload to a room not joined: %d, want 403", status)
	}
	html := []byte("<!doctype html><script>alert(document.cookie)</script>")
	status, m := b.upload(bob.Token, secret.ID, "../evil.html", html)
	if status != http.StatusOK || m.File == nil {
		t.Fatalf("upload: %d %+v", status, m)
	}
	var announced store.Message
	cb.event("MessageReceived", &announced)
	if announced.ID != m.ID || announced.File == nil || announced.File.Name != "evil.html" {
		t.Errorf("announcement = %+v, want message %d with evil.html", announced, m.ID)
	}
	path := "/api/files/" + m.File.ID + "/evil.html"
	if res, _ := b.download(ann.Token, path); res.StatusCode != http.StatusNotFound {
		t.Errorf("non-member download: %d, want 404", res.StatusCode)
	}
	if res, _ := b.download("", path); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous download: %d, want 401", res.StatusCode)
	}
	res, body := b.download(bob.Token, path)
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, html) {
		t.Fatalf("member download: %d %q", res.StatusCode, body)
	}
	for h, want := range map[string]string{
		"Content-Type":           "application/octet-stream",
		"Content-Disposition":    `attachment; filename=evil.html`,
		"X-Content-Type-Options": "nosniff",
	} {
		if got := res.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "sandbox") {
		t.Errorf("CSP = %q", csp)
	}

	// An image keeps its (sniffed) type and is shown inline; an SVG does not.
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	_, img := b.upload(bob.Token, secret.ID, "cat.png", png)
	res, _ = b.download(bob.Token, "/api/files/"+img.File.ID+"/cat.png")
	if res.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "inline") {
		t.Errorf("png served as %q, %q", res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
	}
	_, svg := b.upload(bob.Token, secret.ID, "x.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))
	if svg.File.ContentType != "application/octet-stream" {
		t.Errorf("svg stored as %q", svg.File.ContentType)
	}

	if status, _ := b.upload(bob.Token, secret.ID, "big.bin", make([]byte, 1<<16+1)); status != http.StatusRequestEntityTooLarge {
		t.Errorf("upload over the limit: %d, want 413", status)
	}
	if status, _ := b.upload(bob.Token, secret.ID, "fits.bin", make([]byte, 1<<16)); status != http.StatusOK {
		t.Errorf("upload at the limit: %d, want 200", status)
	}
}

func TestPresenceFollowsTheLastTab(t *testing.T) {
	b := newBench(t, Config{})
	ann, bob, cid := b.login("Ann", ""), b.login("Bob", ""), b.login("Cid", "")
	cb, _ := b.dial("/hubs/chat", bob.Token)
	var st hub.RoomState
	cb.must(&st, "JoinRoom", 1)

	tab1, _ := b.dial("/hubs/chat", ann.Token)
	tab1.must(&st, "JoinRoom", 1)
	if len(st.Members) != 2 || st.Members[0].Name != "Ann" || st.Members[1].UserID != bob.UserID {
		t.Fatalf("the full list ann gets on joining: %+v", st.Members)
	}
	for d := cb.delta(); !slices.ContainsFunc(d.joined, func(m hub.Member) bool { return m.Name == "Ann" }); d = cb.delta() {
		if len(d.left) != 0 || len(d.joined) != 1 || d.joined[0].UserID != bob.UserID { // bob's own arrival may come first
			t.Fatalf("before ann's arrival: %+v", d)
		}
	}
	tab2, _ := b.dial("/hubs/chat", ann.Token)
	tab2.must(nil, "Rooms")
	tab1.ws.Close()
	waitConns(t, b.app, ann.UserID, 1)
	// News are sent in the order of the changes: what bob hears after cid
	// arrives tells whether ann's closed tab made news.
	cc, _ := b.dial("/hubs/chat", cid.Token)
	cc.must(nil, "JoinRoom", 1)
	if d := cb.delta(); len(d.left) != 0 || len(d.joined) != 1 || d.joined[0].UserID != cid.UserID {
		t.Errorf("closing one of ann's two tabs: %+v, want only cid joining", d)
	}
	tab2.must(nil, "Typing", 1) // ann is still in the room through tab 2
	var typer string
	var room int64
	cb.event("UserTyping", &room, new(string), &typer)
	if typer != "Ann" {
		t.Errorf("typing from %q", typer)
	}
	tab2.ws.Close()
	if d := cb.delta(); len(d.left) != 1 || d.left[0] != ann.UserID || len(d.joined) != 0 {
		t.Errorf("after ann's last tab closed: %+v", d)
	}
}

// presenceDelta is a PresenceDelta as a client receives it.
type presenceDelta struct {
	room   int64
	joined []hub.Member
	left   []string
}

// delta returns the next PresenceDelta.
func (c *hubClient) delta() presenceDelta {
	c.t.Helper()
	var d presenceDelta
	c.event("PresenceDelta", &d.room, &d.joined, &d.left)
	return d
}

func TestReadReceipts(t *testing.T) {
	b := newBench(t, Config{})
	ann, bob := b.login("Ann", ""), b.login("Bob", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	cb, _ := b.dial("/hubs/chat", bob.Token)
	var m1, m2 store.Message
	ca.must(&m1, "SendMessage", 1, "one", "")
	ca.must(&m2, "SendMessage", 1, "two", "")
	cb.must(nil, "MarkRead", 1, m2.ID)
	var r store.Read
	ca.event("ReadReceipt", &r)
	if r.UserID != bob.UserID || r.MessageID != m2.ID {
		t.Errorf("receipt = %+v", r)
	}
	cb.must(nil, "MarkRead", 1, m1.ID) // backwards: stored mark stays
	var st hub.RoomState
	ca.must(&st, "JoinRoom", 1)
	if len(st.Reads) != 1 || st.Reads[0].MessageID != m2.ID {
		t.Errorf("reads = %+v", st.Reads)
	}
	if e := cb.call(nil, "MarkRead", 1, m2.ID+100); e == "" {
		t.Error("marking a message that does not exist succeeded")
	}
}

// waitConns waits until a user has n connections.
func waitConns(t *testing.T, app *App, userID string, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		ids, err := app.chat.Server().UserConnections(context.Background(), userID)
		if err == nil && len(ids) == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("user has %d connections, want %d", len(ids), n)
		}
	}
}
