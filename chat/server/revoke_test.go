package server

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

func TestSignOutRevokesEveryToken(t *testing.T) {
	b := newBench(t, Config{})
	ann1, ann2 := b.login("Ann", ""), b.login("Ann", "")
	bob := b.login("Bob", "")
	live, _ := b.dial("/hubs/chat", ann1.Token)
	live.must(nil, "Rooms")
	bobs, _ := b.dial("/hubs/chat", bob.Token)

	if res, _ := b.post("/api/logout", ann2.Token, ""); res.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	if e := live.closed(); !strings.Contains(e, "signed out") {
		t.Errorf("live connection closed with %q, want 'signed out'", e)
	}
	for _, tok := range []string{ann1.Token, ann2.Token} {
		if res, _ := b.post("/api/session", tok, ""); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("session with a revoked token: %d, want 401", res.StatusCode)
		}
		if _, status := b.dial("/hubs/chat", tok); status != http.StatusUnauthorized {
			t.Errorf("hub with a revoked token: %d, want 401", status)
		}
		if res, _ := b.download(tok, "/api/files/x"); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("download with a revoked cookie: %d, want 401", res.StatusCode)
		}
	}
	bobs.must(nil, "Rooms") // others are untouched
	again := b.login("Ann", "")
	if res, _ := b.post("/api/session", again.Token, ""); res.StatusCode != http.StatusOK {
		t.Errorf("a new sign-in after sign-out: %d", res.StatusCode)
	}
}

// The page signs out with the cookie alone.
func TestSignOutByCookie(t *testing.T) {
	b := newBench(t, Config{})
	ann := b.login("Ann", "")
	req, _ := http.NewRequest(http.MethodPost, b.url+"/api/logout", nil)
	req.AddCookie(&http.Cookie{Name: tokenCookie, Value: ann.Token})
	if res, _ := b.do(req); res.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	if res, _ := b.post("/api/session", ann.Token, ""); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("token after a cookie sign-out: %d, want 401", res.StatusCode)
	}
}

func TestPasswordChange(t *testing.T) {
	b := newBench(t, Config{Limits: Limits{PasswordChangesPerUser: Rate{time.Hour, 2}}})
	ann := b.login("Ann", "old")
	other := b.login("Ann", "old")
	live, _ := b.dial("/hubs/chat", other.Token)
	live.must(nil, "Rooms")

	if res, _ := b.post("/api/password", "", `{"old":"old","new":"new"}`); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous password change: %d, want 401", res.StatusCode)
	}
	if res, _ := b.post("/api/password", ann.Token, `{"old":"wrong","new":"new"}`); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong old password: %d, want 401", res.StatusCode)
	}
	res, body := b.post("/api/password", ann.Token, `{"old":"old","new":"new"}`)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("password change: %d %s", res.StatusCode, body)
	}
	var fresh loginResponse
	jsonUnmarshal(body, &fresh)
	if e := live.closed(); !strings.Contains(e, "signed out") {
		t.Errorf("other session's connection closed with %q", e)
	}
	for _, tok := range []string{ann.Token, other.Token} {
		if res, _ := b.post("/api/session", tok, ""); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("token from before the change: %d, want 401", res.StatusCode)
		}
	}
	if res, _ := b.post("/api/session", fresh.Token, ""); res.StatusCode != http.StatusOK {
		t.Errorf("the token the change returned: %d", res.StatusCode)
	}
	if res, _ := b.loginWith(http.DefaultClient, "Ann", "old"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("old password after the change: %d", res.StatusCode)
	}
	b.login("Ann", "new")
	res, text := b.post("/api/password", fresh.Token, `{"old":"new","new":"newer"}`)
	wantLimited(t, res, string(text), "too many password changes")
}

// Two servers share one PostgreSQL database: a token revoked on one is
// refused by the other, whose live connection of it is closed, within
// its RevocationPoll.
func TestRevocationAcrossServers(t *testing.T) {
	dsn := testPostgres(t)
	dir := t.TempDir() // one signing key for both
	a := newBench(t, Config{DataDir: dir, DB: dsn, RevocationPoll: 50 * time.Millisecond})
	b := newBench(t, Config{DataDir: dir, DB: dsn, RevocationPoll: 50 * time.Millisecond})
	ann := a.login("Ann", "")
	if res, _ := b.post("/api/session", ann.Token, ""); res.StatusCode != http.StatusOK {
		t.Fatalf("the other server refuses a valid token: %d", res.StatusCode)
	}
	live, _ := b.dial("/hubs/chat", ann.Token)
	live.must(nil, "Rooms")

	if res, _ := a.post("/api/logout", ann.Token, ""); res.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	if e := live.closed(); !strings.Contains(e, "signed out") {
		t.Errorf("connection on the other server closed with %q", e)
	}
	if res, _ := b.post("/api/session", ann.Token, ""); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the other server accepts a revoked token: %d", res.StatusCode)
	}
	if _, status := b.dial("/hubs/chat", ann.Token); status != http.StatusUnauthorized {
		t.Errorf("the other server's hub accepts a revoked token: %d", status)
	}
}

// testPostgres returns the URL of a fresh schema on the test PostgreSQL
// server (CHAT_TEST_POSTGRES, or the local one), dropped at the end.
func testPostgres(t *testing.T) string {
	t.Helper()
	base := os.Getenv("CHAT_TEST_POSTGRES")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		t.Fatalf("PostgreSQL is required for this test and %s is not reachable: %v (scripts/test.sh starts one; or set CHAT_TEST_POSTGRES)", base, err)
	}
	schema := "chat_test_" + strings.ToLower(rand.Text()[:12])
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
