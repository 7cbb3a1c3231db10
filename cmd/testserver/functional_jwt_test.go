package main

import (
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestJWTRoundTrip(t *testing.T) {
	j, err := newJWTSigner()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := j.Issue("testuser")
	if err != nil {
		t.Fatal(err)
	}
	user, err := j.Verify(tok)
	if err != nil || user != "testuser" {
		t.Fatalf("Verify = %q, %v; want testuser", user, err)
	}

	r := httptest.NewRequest("POST", "/authorizedhub/negotiate?access_token="+tok, nil)
	p, err := j.Authenticate(r)
	if err != nil || p.ID != "testuser" {
		t.Fatalf("Authenticate(query) = %+v, %v", p, err)
	}
	r = httptest.NewRequest("POST", "/authorizedhub/negotiate", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	if p, err := j.Authenticate(r); err != nil || p.ID != "testuser" {
		t.Fatalf("Authenticate(header) = %+v, %v", p, err)
	}
	if _, err := j.Authenticate(httptest.NewRequest("POST", "/authorizedhub/negotiate", nil)); !errors.Is(err, errBadToken) {
		t.Fatalf("Authenticate(no token) = %v, want errBadToken", err)
	}
}

func TestJWTRejects(t *testing.T) {
	j, err := newJWTSigner()
	if err != nil {
		t.Fatal(err)
	}
	other, err := newJWTSigner()
	if err != nil {
		t.Fatal(err)
	}
	good, _ := j.Issue("testuser")
	foreign, _ := other.Issue("testuser")
	parts := strings.Split(good, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."

	old := *j
	old.now = func() time.Time { return time.Now().Add(-jwtClockSkew - time.Minute) }
	expired, _ := old.Issue("testuser")

	for name, tok := range map[string]string{
		"garbage":         "a.b",
		"foreign key":     foreign,
		"alg none":        none,
		"tampered claims": parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"SignalRTestServer"}`)) + "." + parts[2],
		"expired":         expired,
	} {
		if _, err := j.Verify(tok); !errors.Is(err, errBadToken) {
			t.Errorf("%s: Verify = %v, want errBadToken", name, err)
		}
	}

	// Within the clock skew, an expired token still passes, as in ASP.NET Core.
	recent := *j
	recent.now = func() time.Time { return time.Now().Add(-time.Minute) }
	tok, _ := recent.Issue("testuser")
	if _, err := j.Verify(tok); err != nil {
		t.Errorf("token expired within the skew: %v", err)
	}
}
