// Package redistest starts throwaway redis-server processes for tests:
// on free loopback ports (never 6379), keeping nothing on disk, killed
// with SIGKILL when the test ends. Kill and Restart simulate a crash and
// a recovery on the same port; StartCluster builds a Redis Cluster.
package redistest

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server is one redis-server process.
type Server struct {
	// Addr is host:port of the server.
	Addr string
	// Port is its port.
	Port int
	// TLSAddr is host:port of its TLS listener and CAFile the PEM file of
	// the CA that signed its certificate (StartTLS only).
	TLSAddr, CAFile string

	t     testing.TB
	dir   string
	extra []string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
}

// Start starts a redis-server on a free loopback port and stops it when
// the test ends. It fails the test when redis-server is missing (install
// it with scripts/deps.sh redis-server).
func Start(t testing.TB) *Server {
	t.Helper()
	return start(t, nil, false)
}

func start(t testing.TB, extra []string, cluster bool) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redistest: redis-server not found (scripts/deps.sh redis-server): %v", err)
	}
	var lastErr error
	for range 10 {
		s := &Server{t: t, dir: t.TempDir(), extra: extra}
		s.Port = freePort(t, cluster)
		s.Addr = "127.0.0.1:" + strconv.Itoa(s.Port)
		if lastErr = s.run(); lastErr == nil {
			t.Cleanup(s.Kill)
			return s
		}
	}
	t.Fatalf("redistest: starting redis-server: %v", lastErr)
	return nil
}

// freePort finds a free loopback port; for a cluster node the bus port
// (port+10000) must be free as well.
func freePort(t testing.TB, cluster bool) int {
	for range 100 {
		if !cluster {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			p := l.Addr().(*net.TCPAddr).Port
			l.Close()
			if p != 6379 {
				return p
			}
			continue
		}
		p := 20000 + rand.IntN(30000)
		if free(p) && free(p+10000) {
			return p
		}
	}
	t.Fatal("redistest: no free port")
	return 0
}

func free(port int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// run starts the process and waits until it answers PING.
func (s *Server) run() error {
	args := append([]string{
		"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir,
		"--protected-mode", "no", "--loglevel", "warning",
	}, s.extra...)
	cmd := exec.Command("redis-server", args...)
	log, err := os.Create(filepath.Join(s.dir, "redis.log"))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return err
	}
	log.Close()
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		select {
		case <-exited:
			out, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			return fmt.Errorf("redis-server exited: %s", out)
		default:
		}
		if reply, err := s.Do("PING"); err == nil && reply == "PONG" {
			s.mu.Lock()
			s.cmd, s.exited = cmd, exited
			s.mu.Unlock()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	<-exited
	return fmt.Errorf("redis-server on %s did not answer PING", s.Addr)
}

// Kill stops the server with SIGKILL, as a crash would; it does nothing
// when the server is not running.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Process.Signal(syscall.SIGCONT) // a paused process dies only when continued
	<-exited
}

// Pause freezes the server with SIGSTOP: connections stay open but
// nothing answers, as with a peer lost in the network. Resume ends it.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume continues a paused server with SIGCONT.
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(sig)
	}
}

// Restart starts the server again on the same port, empty (nothing is
// kept on disk), after Kill.
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	var err error
	for range 50 { // the port may linger a moment after the kill
		if err = s.run(); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("redistest: restarting redis-server on %s: %v", s.Addr, err)
}

// Do sends one command and returns its reply as text: simple strings,
// errors (prefixed "ERR:"), integers and bulk strings as they are, arrays
// as their items joined by newlines.
func (s *Server) Do(args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		return "", err
	}
	return readReply(bufio.NewReader(c))
}

func readReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("redistest: empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "ERR:" + line[1:], nil
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return "", nil
		}
		buf := make([]byte, n+2)
		if _, err := io(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		items := make([]string, 0, max(n, 0))
		for range n {
			item, err := readReply(r)
			if err != nil {
				return "", err
			}
			items = append(items, item)
		}
		return strings.Join(items, "\n"), nil
	}
	return "", fmt.Errorf("redistest: unexpected reply %q", line)
}

func io(r *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
