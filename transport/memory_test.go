package transport

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestIdleWebSocketMemory measures the server's memory per idle WebSocket
// connection (heap in use plus goroutine stacks, after GC). It opens
// thousands of sockets, so it runs only with SIGNALR_MEASURE=<count>, e.g.
//
//	SIGNALR_MEASURE=5000 go test -run IdleWebSocketMemory -v ./transport
//
// The figure includes the test's own client side: one raw net.Conn per
// socket, a few hundred bytes.
func TestIdleWebSocketMemory(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SIGNALR_MEASURE"))
	if n <= 0 {
		t.Skip("set SIGNALR_MEASURE=<connections> to measure")
	}
	if os.Getenv("SIGNALR_MEMPROFILE") != "" {
		// Record every allocation, so that small per-connection ones show.
		defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
		runtime.MemProfileRate = 1
	}
	f := newFixture(t, Options{})
	addr := f.ts.Listener.Addr().String()
	tokens := make([]string, n)
	before, stackBefore := inUse()
	for i := range tokens {
		tokens[i] = f.token()
	}
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = rawWebSocket(t, addr, tokens[i])
	}
	for range n {
		<-f.rec.opened
	}
	time.Sleep(200 * time.Millisecond)
	after, stackAfter := inUse()
	t.Logf("%d idle WebSockets: %.0f B/connection (stacks %.0f B), %d goroutines in total",
		n, float64(after-before)/float64(n), float64(stackAfter-stackBefore)/float64(n), runtime.NumGoroutine())
	if path := os.Getenv("SIGNALR_MEMPROFILE"); path != "" {
		if out, err := os.Create(path); err == nil {
			pprof.Lookup("heap").WriteTo(out, 0)
			out.Close()
		}
	}
	for _, c := range conns {
		c.Close()
	}
	for range n {
		f.rec.waitClosed(t)
	}
}

// inUse returns heap in use plus stacks, and stacks alone, after
// collecting garbage.
func inUse() (total, stacks uint64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse, m.StackInuse
}

// rawWebSocket opens a WebSocket with as little client state as possible.
func rawWebSocket(t *testing.T, addr, token string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 16)
	rand.Read(key)
	fmt.Fprintf(c, "GET /hub?id=%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", token, addr, base64.StdEncoding.EncodeToString(key))
	br := bufio.NewReaderSize(c, 256)
	status, err := br.ReadString('\n')
	if err != nil || !strings.Contains(status, " 101 ") {
		t.Fatalf("upgrade: %q %v", status, err)
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == "\r\n" {
			return c
		}
	}
}

// TestIdleReaderStack checks that a connection which has delivered a
// message through a deep call chain (as a hub's dispatch is) goes idle
// with a small reader stack, not the grown one: the garbage collector can
// only shrink a goroutine parked in a network read to 4 KB.
func TestIdleReaderStack(t *testing.T) {
	const n = 300
	rec := newRecorder()
	rec.onReceive = func([]byte) { growStack(32) }
	f := newFixtureWith(t, rec, Options{})
	addr := f.ts.Listener.Addr().String()
	_, before := inUse()
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = rawWebSocket(t, addr, f.token())
		defer conns[i].Close()
		<-rec.opened
		// A masked text frame; the zero mask leaves the payload as it is.
		if _, err := conns[i].Write([]byte{0x81, 0x80 | 3, 0, 0, 0, 0, 'h', 'i', 0x1e}); err != nil {
			t.Fatal(err)
		}
		echo := make([]byte, 5)
		conns[i].SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(conns[i], echo); err != nil || string(echo[2:]) != "hi\x1e" {
			t.Fatalf("echo %q: %v", echo, err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	_, after := inUse()
	// Grown stacks take twice the minimum or more.
	if per := float64(after-before) / n; per > 1.5*minStack {
		t.Errorf("%.0f B of stack per idle connection after a delivery, want about the %d B minimum", per, minStack)
	}
}

// growStack uses about depth × 256 bytes of stack.
//
//go:noinline
func growStack(depth int) byte {
	var pad [256]byte
	pad[depth%len(pad)] = byte(depth)
	if depth == 0 {
		return pad[0]
	}
	return growStack(depth-1) + pad[depth%len(pad)]
}
