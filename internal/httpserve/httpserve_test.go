package httpserve

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start serves cfg on a free loopback port until the test ends.
func start(t *testing.T, cfg Config) (*Server, string) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := New(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		s.Close()
		<-done
	})
	return s, ln.Addr().String()
}

// keepAlive opens a connection, makes one request on it and leaves it
// open, idle.
func keepAlive(t *testing.T, addr, path string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	br := bufio.NewReader(c)
	if path != "" {
		get(t, c, br, path)
	}
	return c, br
}

// get sends GET path on c and reads the answer.
func get(t *testing.T, c net.Conn, br *bufio.Reader, path string) *http.Response {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// closedByServer reports whether the server closed c within wait (after
// whatever answer it still sent).
func closedByServer(c net.Conn, br *bufio.Reader, wait time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(wait))
	_, err := io.Copy(io.Discard, br)
	return err == nil || !isTimeout(err)
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// TestShedIdleOldestFirst: at the connection limit, idle keep-alive
// connections are closed oldest first, while a hijacked connection and a
// request in progress stay; a new client is answered throughout.
func TestShedIdleOldestFirst(t *testing.T) {
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/hijack":
			c, brw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			brw.WriteString("HTTP/1.1 101 Switching Protocols\r\n\r\n")
			brw.Flush()
			go func() { io.Copy(io.Discard, c); c.Close() }()
		case "/slow":
			<-release
		}
	})
	const limit = 20
	s, addr := start(t, Config{Handler: h, MaxConns: limit})
	defer close(release)

	// The oldest connections: hijacked, and one whose request lasts.
	hj, hjr := keepAlive(t, addr, "")
	io.WriteString(hj, "GET /hijack HTTP/1.1\r\nHost: localhost\r\n\r\n")
	hjr.ReadString('\n')
	slow, slowr := keepAlive(t, addr, "")
	io.WriteString(slow, "GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n")
	time.Sleep(50 * time.Millisecond)

	var idle []net.Conn
	var readers []*bufio.Reader
	for range limit - 3 {
		c, br := keepAlive(t, addr, "/")
		idle, readers = append(idle, c), append(readers, br)
	}
	// Each new one now makes room by closing the oldest idle ones.
	for i := range 5 {
		c, br := keepAlive(t, addr, "")
		if resp := get(t, c, br, "/"); resp.StatusCode != http.StatusOK {
			t.Fatalf("new client %d: %d", i, resp.StatusCode)
		}
	}
	if !closedByServer(idle[0], readers[0], 2*time.Second) {
		t.Error("the oldest idle connection is still open")
	}
	if closedByServer(idle[len(idle)-1], readers[len(idle)-1], 300*time.Millisecond) {
		t.Error("the newest idle connection was closed")
	}
	if closedByServer(hj, hjr, 300*time.Millisecond) {
		t.Error("the hijacked connection was closed")
	}
	if closedByServer(slow, slowr, 300*time.Millisecond) {
		t.Error("the connection with a request in progress was closed")
	}
	st := s.Stats()
	if st.Shed == 0 || st.Open > limit {
		t.Errorf("Stats() = %+v, limit %d", st, limit)
	}
}

// TestTimeouts: an idle keep-alive connection and a request whose body
// never comes are closed by the defaults' kind of timeouts.
func TestTimeouts(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) })
	_, addr := start(t, Config{Handler: h, IdleTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond})

	c, br := keepAlive(t, addr, "/")
	if !closedByServer(c, br, 2*time.Second) {
		t.Error("idle keep-alive connection not closed")
	}
	c2, br2 := keepAlive(t, addr, "")
	io.WriteString(c2, "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nonly part")
	if !closedByServer(c2, br2, 2*time.Second) {
		t.Error("slow body not cut")
	}
}

// TestAllowedHosts: other Host headers get 400.
func TestAllowedHosts(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	_, addr := start(t, Config{Handler: h, AllowedHosts: []string{"localhost"}})
	for host, want := range map[string]int{"localhost": 200, "rebind.attacker.example": 400} {
		c, br := keepAlive(t, addr, "")
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: "+host+"\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
}
