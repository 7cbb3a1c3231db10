package httpserve

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// Over ServeTLS, handlers see the TLS state (net/http finds its *tls.Conn
// although the connection is counted underneath), and an idle TLS
// connection is tracked as idle like a plain one.
func TestServeTLS(t *testing.T) {
	// httptest's server supplies a certificate and a client that trusts it.
	certs := httptest.NewTLSServer(http.NotFoundHandler())
	defer certs.Close()
	s := New(Config{Logger: slog.New(slog.DiscardHandler), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			http.Error(w, "no TLS state", http.StatusInternalServerError)
		}
	})})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.ServeTLS(ln, certs.TLS.Clone()) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		<-done
	}()
	client := certs.Client()
	defer client.CloseIdleConnections()
	res, err := client.Get("https://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: the handler saw no TLS state", res.StatusCode)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.t.mu.Lock()
		idle := s.t.idle.Len()
		s.t.mu.Unlock()
		if idle == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d idle connections tracked, want the client's one", idle)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
