package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signalr-go/signalr/chat/hub"
	"github.com/signalr-go/signalr/chat/store"
)

// clientFrom returns an HTTP client whose connections come from ip, a
// loopback address other than 127.0.0.1: another client address.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// loginWith posts a sign-in through c with extra headers.
func (b *bench) loginWith(c *http.Client, name, password string, hdr ...string) (*http.Response, string) {
	b.t.Helper()
	body, _ := json.Marshal(loginRequest{Name: name, Password: password})
	req, _ := http.NewRequest(http.MethodPost, b.url+"/api/login", bytes.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, resBody := b.doWith(c, req)
	return res, string(resBody)
}

// wantLimited checks a 429 with a Retry-After in whole seconds and a
// body that says what was limited.
func wantLimited(t *testing.T, res *http.Response, body, what string) {
	t.Helper()
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status %d (%s), want 429 for %s", res.StatusCode, body, what)
	}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After = %q, want whole seconds", res.Header.Get("Retry-After"))
	}
	if !strings.Contains(body, what) {
		t.Errorf("429 body %q does not mention %q", body, what)
	}
}

func TestSignInLimitPerAddress(t *testing.T) {
	b := newBench(t, Config{Limits: Limits{SignInPerAddress: Rate{time.Hour, 3}}})
	local := http.DefaultClient
	for i := range 3 {
		// A forged X-Forwarded-For changes nothing: the TCP peer counts.
		if res, body := b.loginWith(local, "Ann", "", "X-Forwarded-For", fmt.Sprint("10.0.0.", i)); res.StatusCode != http.StatusOK {
			t.Fatalf("sign-in %d: %d %s", i, res.StatusCode, body)
		}
	}
	res, body := b.loginWith(local, "Ann", "", "X-Forwarded-For", "10.9.9.9")
	wantLimited(t, res, body, "sign-in attempts from your address")
	// Another address has its own allowance.
	if res, body := b.loginWith(clientFrom("127.0.0.2"), "Ann", ""); res.StatusCode != http.StatusOK {
		t.Errorf("from another address: %d %s", res.StatusCode, body)
	}
}

func TestForwardedForWhenTrusted(t *testing.T) {
	b := newBench(t, Config{Limits: Limits{SignInPerAddress: Rate{time.Hour, 1}, TrustForwardedFor: true}})
	if res, _ := b.loginWith(http.DefaultClient, "Ann", "", "X-Forwarded-For", "203.0.113.9, 10.0.0.1"); res.StatusCode != http.StatusOK {
		t.Fatal(res.StatusCode)
	}
	res, body := b.loginWith(http.DefaultClient, "Ann", "", "X-Forwarded-For", "198.51.100.1, 10.0.0.1")
	wantLimited(t, res, body, "from your address") // the last entry, the proxy's, counts
	if res, _ := b.loginWith(http.DefaultClient, "Ann", "", "X-Forwarded-For", "10.0.0.2"); res.StatusCode != http.StatusOK {
		t.Errorf("another forwarded address: %d", res.StatusCode)
	}
}

// The first sign-in (which creates the account) hashes but checks
// nothing; then three checks are allowed, right or wrong, from any
// address.
func TestPasswordChecksPerAccount(t *testing.T) {
	b := newBench(t, Config{Limits: Limits{PasswordChecksPerAccount: Rate{time.Hour, 3}}})
	b.login("Ann", "right")
	b.login("Bob", "right")
	b.login("Ann", "right") // a right password counts too
	for i, c := range []*http.Client{http.DefaultClient, clientFrom("127.0.0.2")} {
		if res, body := b.loginWith(c, "Ann", "wrong"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d %s", i, res.StatusCode, body)
		}
	}
	// From any address, even with the right password, the account waits.
	res, body := b.loginWith(clientFrom("127.0.0.3"), "ann", "right")
	wantLimited(t, res, body, "sign-in attempts for this name")
	if res, _ := b.loginWith(http.DefaultClient, "Bob", "right"); res.StatusCode != http.StatusOK {
		t.Errorf("another account: %d", res.StatusCode)
	}
}

func TestNewAccountsPerAddress(t *testing.T) {
	b := newBench(t, Config{Limits: Limits{NewAccountsPerAddress: Rate{time.Hour, 2}}})
	b.login("Ann", "")
	b.login("Bob", "")
	res, body := b.loginWith(http.DefaultClient, "Cid", "")
	wantLimited(t, res, body, "new accounts from your address")
	b.login("Ann", "") // signing in to an existing account is not creating one
	if res, _ := b.loginWith(clientFrom("127.0.0.2"), "Cid", ""); res.StatusCode != http.StatusOK {
		t.Errorf("from another address: %d", res.StatusCode)
	}
}

func TestHubLimits(t *testing.T) {
	b := newBench(t, Config{Limits: Limits{MessagesPerUser: Rate{time.Hour, 3}, RoomsPerUser: Rate{time.Hour, 1},
		RoomsPerAddress: Rate{time.Hour, 2}, SearchesPerUser: Rate{time.Hour, 2}}})
	ann, bob, cid := b.login("Ann", ""), b.login("Bob", ""), b.login("Cid", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	ca2, _ := b.dial("/hubs/chat", ann.Token) // a second tab shares the allowance
	var st hub.RoomState
	ca.must(&st, "JoinRoom", 1)
	for i := range 3 {
		c := []*hubClient{ca, ca2}[i%2]
		c.must(nil, "SendMessage", st.Room.ID, fmt.Sprint("m", i), "")
	}
	e := ca2.call(nil, "SendMessage", st.Room.ID, "one too many", "")
	if !strings.Contains(e, "Too many messages: try again in ") {
		t.Errorf("4th message: %q, want a rate-limit hub error", e)
	}
	cb, _ := b.dial("/hubs/chat", bob.Token)
	cb.must(nil, "SendMessage", st.Room.ID, "bob is not limited", "")

	ca.must(nil, "CreateRoom", "one")
	if e := ca.call(nil, "CreateRoom", "two"); !strings.Contains(e, "Too many new rooms: try again in ") {
		t.Errorf("second room of ann: %q", e)
	}
	cb.must(nil, "CreateRoom", "bobs")
	cc, _ := b.dial("/hubs/chat", cid.Token)
	if e := cc.call(nil, "CreateRoom", "cids"); !strings.Contains(e, "Too many new rooms from your address") {
		t.Errorf("third room from one address: %q", e)
	}
	for range 2 {
		ca.must(nil, "Search", "m1")
	}
	if e := ca2.call(nil, "Search", "m1"); !strings.Contains(e, "Too many searches: try again in ") {
		t.Errorf("third search: %q", e)
	}
	cb.must(nil, "Search", "m1")
	// The connection stays usable after a refusal.
	var rooms []hub.RoomInfo
	ca.must(&rooms, "Rooms")
	if len(rooms) != 3 {
		t.Errorf("rooms = %+v", rooms)
	}
}

func TestInviteLimit(t *testing.T) {
	b := newBench(t, Config{Limits: Limits{InvitesPerUser: Rate{time.Hour, 1}}})
	ann := b.login("Ann", "")
	b.login("Bob", "")
	b.login("Cid", "")
	ca, _ := b.dial("/hubs/chat", ann.Token)
	var secret store.Room
	ca.must(&secret, "CreateRoomWith", "secret", private)
	ca.must(nil, "InviteToRoom", secret.ID, "Bob")
	if e := ca.call(nil, "InviteToRoom", secret.ID, "Cid"); !strings.Contains(e, "Too many invitations: try again in ") {
		t.Errorf("second invitation: %q", e)
	}
}

func TestUploadLimits(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DataDir: dir, Limits: Limits{UploadsPerUser: Rate{time.Hour, 3}, UploadQuota: 100}}
	b := newBench(t, cfg)
	ann, bob := b.login("Ann", ""), b.login("Bob", "")
	if status, _ := b.upload(ann.Token, 1, "a.bin", make([]byte, 60)); status != http.StatusOK {
		t.Fatalf("first upload: %d", status)
	}
	status, _ := b.upload(ann.Token, 1, "b.bin", make([]byte, 60))
	if status != http.StatusRequestEntityTooLarge {
		t.Errorf("upload over the quota: %d, want 413", status)
	}
	if status, _ := b.upload(ann.Token, 1, "c.bin", make([]byte, 40)); status != http.StatusOK {
		t.Errorf("upload up to the quota: %d", status)
	}
	res, body := b.uploadRaw(ann.Token, 1, "d.bin", []byte("x"))
	wantLimited(t, res, body, "too many uploads")
	if status, _ := b.upload(bob.Token, 1, "bob.bin", make([]byte, 100)); status != http.StatusOK {
		t.Errorf("bob's first upload: %d", status)
	}

	// The quota is counted in the database: a restarted server keeps it.
	b.app.Shutdown(context.Background())
	b2 := newBench(t, cfg)
	res, body = b2.uploadRaw(ann.Token, 1, "e.bin", []byte("x"))
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "upload quota exceeded: you have shared 100 of your 100 bytes") {
		t.Errorf("after a restart: %d %q, want 413 quota exceeded", res.StatusCode, body)
	}
}

// Password checks run on a bounded number of hashers; past the queue,
// requests are refused at once rather than piling up.
func TestPasswordHashingIsBounded(t *testing.T) {
	b := newBench(t, Config{Limits: Limits{PasswordHashers: 1, PasswordQueue: 1, SignInPerAddress: Rate{Burst: -1},
		NewAccountsPerAddress: Rate{Burst: -1}}})
	var wg sync.WaitGroup
	var ok, busy atomic.Int32
	for i := range 12 {
		wg.Go(func() {
			res, body := b.loginWith(http.DefaultClient, fmt.Sprint("user", i), "pw")
			switch res.StatusCode {
			case http.StatusOK:
				ok.Add(1)
			case http.StatusServiceUnavailable:
				if res.Header.Get("Retry-After") == "" || !strings.Contains(body, "busy checking passwords") {
					t.Errorf("503 without Retry-After or reason: %q", body)
				}
				busy.Add(1)
			default:
				t.Errorf("status %d %s", res.StatusCode, body)
			}
		})
	}
	wg.Wait()
	if ok.Load() < 1 || busy.Load() < 1 {
		t.Errorf("%d signed in, %d refused as busy; want some of each", ok.Load(), busy.Load())
	}
}

func TestHashersRunOneAtATime(t *testing.T) {
	ls, err := newLimiters(Limits{PasswordHashers: 2, PasswordQueue: 100})
	if err != nil {
		t.Fatal(err)
	}
	var now, peak atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			err := ls.hashing(context.Background(), func() {
				n := now.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				time.Sleep(time.Millisecond)
				now.Add(-1)
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if peak.Load() != 2 {
		t.Errorf("%d hashes at once, want 2", peak.Load())
	}
}

// Each limit remembers a bounded number of keys, however many an
// attacker rotates through.
func TestLimiterMapsAreBounded(t *testing.T) {
	k, err := newKeyed(Rate{time.Hour, 1}, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10_000 {
		k.take(fmt.Sprint("10.0.", i/256, ".", i%256))
	}
	if n := k.lims.Len(); n != 100 {
		t.Errorf("%d keys remembered, want 100", n)
	}
	if d := k.take("10.0.39.15"); d <= 0 { // the most recent one is still limited
		t.Error("a recent key lost its limit")
	}
}

func TestClientAddr(t *testing.T) {
	ls, _ := newLimiters(Limits{})
	for remote, want := range map[string]string{
		"127.0.0.1:5000":             "127.0.0.1",
		"[::ffff:10.1.2.3]:80":       "10.1.2.3",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443": "2001:db8:1:2::/64",
	} {
		if got := ls.clientAddr(&http.Request{RemoteAddr: remote}); got != want {
			t.Errorf("clientAddr(%s) = %s, want %s", remote, got, want)
		}
	}
}

// uploadRaw is upload returning the response and body text.
func (b *bench) uploadRaw(token string, roomID int64, name string, data []byte) (*http.Response, string) {
	b.t.Helper()
	req := uploadRequest(b.url, token, roomID, name, data)
	res, body := b.do(req)
	return res, string(body)
}

// Guesses sent at once cannot all slip past the per-account limit while
// the first ones are still being checked.
func TestConcurrentGuessesCannotExceedTheLimit(t *testing.T) {
	b := newBench(t, Config{Limits: Limits{PasswordChecksPerAccount: Rate{time.Hour, 3}, SignInPerAddress: Rate{Burst: -1}}})
	b.login("Ann", "right")
	var wg sync.WaitGroup
	var wrong, limited atomic.Int32
	for range 10 {
		wg.Go(func() {
			res, body := b.loginWith(http.DefaultClient, "Ann", "guess")
			switch res.StatusCode {
			case http.StatusUnauthorized:
				wrong.Add(1)
			case http.StatusTooManyRequests:
				limited.Add(1)
			default:
				t.Errorf("status %d %s", res.StatusCode, body)
			}
		})
	}
	wg.Wait()
	if wrong.Load() != 3 || limited.Load() != 7 {
		t.Errorf("%d guesses checked and %d limited, want 3 and 7", wrong.Load(), limited.Load())
	}
}
