package redis

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/signalr-go/signalr/internal/redistest"
)

// Two servers on a Redis reached over TLS only: messages, a remote group
// change (an ack round trip), presence, and a Redis restart.
func TestTLS(t *testing.T) {
	srv, tlsConf := redistest.StartTLS(t)
	over := func(o *Options) { o.TLSConfig = tlsConf }
	s1, s2 := newNode(t, []string{srv.TLSAddr}, over), newNode(t, []string{srv.TLSAddr}, over)
	a := s1.add(t, newConn("a", "ua"))
	c := s2.add(t, newConn("c", ""))
	if err := s1.h.AddToGroup(ctx5(t), "c", "g"); err != nil {
		t.Fatalf("remote group change over TLS: %v", err)
	}
	s1.send(t, groups("g"), "G", "1")
	s2.send(t, users("ua"), "U", "2")
	s2.send(t, all("c"), "A", "3")
	equal(t, c, "G:1")
	equal(t, a, "U:2", "A:3")
	waitUntil(t, "presence over TLS", func() bool { n, err := s2.h.Count(ctx5(t)); return err == nil && n == 2 })

	srv.Kill()
	waitUntil(t, "both servers to notice", func() bool { return !s1.b.isUp() && !s2.b.isUp() })
	srv.Restart()
	waitUntil(t, "both servers to reconnect over TLS", func() bool { return s1.b.isUp() && s2.b.isUp() })
	s2.send(t, all("c"), "After", "restart")
	equal(t, a, "U:2", "A:3", "After:restart")
}

// A wrong TLS setup never connects: a plain client on the TLS port, and a
// TLS client that does not trust the server's CA.
func TestTLSRefused(t *testing.T) {
	srv, _ := redistest.StartTLS(t)
	for name, conf := range map[string]*tls.Config{
		"plain TCP":    nil,
		"untrusted CA": {MinVersion: tls.VersionTLS12},
	} {
		b, err := Open(context.Background(), Options{
			Addrs: []string{srv.TLSAddr}, TLSConfig: conf, OpTimeout: 300 * time.Millisecond, Logger: quietLogger,
		})
		if err != nil {
			t.Fatal(err)
		}
		if b.isUp() {
			t.Errorf("%s: connected to a TLS-only port", name)
		}
		b.Close()
	}
}

// rediss:// with ca= reads the CA file and connects.
func TestParseURLTLS(t *testing.T) {
	srv, _ := redistest.StartTLS(t)
	o, err := ParseURL("rediss://" + srv.TLSAddr + "?ca=" + srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	if o.TLSConfig == nil || o.TLSConfig.RootCAs == nil {
		t.Fatalf("rediss:// with ca=: TLS config %+v", o.TLSConfig)
	}
	o.Logger = quietLogger
	b, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !b.isUp() {
		t.Fatal("rediss:// did not connect")
	}
	for _, bad := range []string{"rediss://h:1?ca=/nonexistent", "redis://h:1?ca=" + srv.CAFile, "rediss://h:1?ca=" + srv.CAFile + ".missing"} {
		if _, err := ParseURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if o, err := ParseURL("rediss://h:1"); err != nil || o.TLSConfig == nil || o.TLSConfig.RootCAs != nil {
		t.Errorf("rediss:// without ca=: %+v, %v (want the system's roots)", o.TLSConfig, err)
	}
}
