package identity

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTokenRoundTrip(t *testing.T) {
	s, err := NewSigner([]byte(strings.Repeat("k", 32)), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Issue("u1", "Ann", 3)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Verify(tok)
	if err != nil || c.UserID != "u1" || c.Name != "Ann" || c.Gen != 3 {
		t.Fatalf("Verify = %+v, %v", c, err)
	}
	other, _ := NewSigner([]byte(strings.Repeat("x", 32)), time.Hour)
	if _, err := other.Verify(tok); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("other key: %v, want ErrInvalidToken", err)
	}
	// A payload changed to another user no longer matches its signature.
	p, sig, _ := strings.Cut(tok, ".")
	forged, _ := s.Issue("u2", "Bob", 0)
	fp, _, _ := strings.Cut(forged, ".")
	if _, err := s.Verify(fp + "." + sig); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("forged payload: %v", err)
	}
	for _, bad := range []string{"", "abc", p + ".", "." + sig, p + "." + sig + "x"} {
		if _, err := s.Verify(bad); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("Verify(%q) = %v, want ErrInvalidToken", bad, err)
		}
	}
	s.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if _, err := s.Verify(tok); !errors.Is(err, ErrExpiredToken) {
		t.Errorf("expired: %v", err)
	}
	if _, err := NewSigner([]byte("short"), time.Hour); err == nil {
		t.Error("short key accepted")
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "token.key")
	k1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil || string(k1) != string(k2) {
		t.Fatalf("second load = %x, %v; want %x", k2, err, k1)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", fi.Mode())
	}
	os.WriteFile(path, []byte("zz"), 0o600)
	if _, err := LoadOrCreateKey(path); err == nil {
		t.Error("corrupt key file accepted")
	}
}

func TestPassword(t *testing.T) {
	h, err := hashWith("s3cret", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, "s3cret") {
		t.Error("right password refused")
	}
	if CheckPassword(h, "s3cret ") || CheckPassword(h, "") || CheckPassword("", "s3cret") || CheckPassword("garbage$1$2$3", "s3cret") {
		t.Error("wrong password or hash accepted")
	}
	h2, _ := hashWith("s3cret", 1000)
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
}
