package client

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// rawServer accepts one TCP connection, answers its upgrade request with
// respond's output (nil: a correct 101) and hands the connection to
// handle, which plays the server frame by frame.
type rawServer struct {
	ln  net.Listener
	req chan *http.Request
	wg  sync.WaitGroup
}

func newRawServer(t *testing.T, respond func(key string) string, handle func(c net.Conn, br *bufio.Reader)) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{ln: ln, req: make(chan *http.Request, 1)}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		s.req <- req
		key := req.Header.Get("Sec-WebSocket-Key")
		resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + testAccept(key) + "\r\n\r\n"
		if respond != nil {
			resp = respond(key)
		}
		if _, err := io.WriteString(c, resp); err != nil {
			return
		}
		if handle != nil {
			handle(c, br)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *rawServer) url() string { return "http://" + s.ln.Addr().String() + "/hub?id=x" }

// testAccept computes Sec-WebSocket-Accept independently of the client.
func testAccept(key string) string {
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// serverFrame builds a frame as a server sends it; masked builds a
// (forbidden) masked one.
func serverFrame(op byte, fin bool, payload []byte, masked bool) []byte {
	b0 := op
	if fin {
		b0 |= finBit
	}
	var f []byte
	mask := byte(0)
	if masked {
		mask = maskBit
	}
	switch n := len(payload); {
	case n > 0xffff:
		f = append(f, b0, mask|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	case n > 125:
		f = append(f, b0, mask|126)
		f = binary.BigEndian.AppendUint16(f, uint16(n))
	default:
		f = append(f, b0, mask|byte(n))
	}
	if masked {
		f = append(f, 1, 2, 3, 4)
	}
	return append(f, payload...)
}

// readClientFrame reads one frame from the client and unmasks it.
func readClientFrame(br *bufio.Reader) (op byte, fin bool, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return 0, false, nil, err
	}
	if h[1]&maskBit == 0 {
		return 0, false, nil, errors.New("client frame not masked")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		_, err = io.ReadFull(br, b[:])
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		_, err = io.ReadFull(br, b[:])
		n = binary.BigEndian.Uint64(b[:])
	}
	var key [4]byte
	if err == nil {
		_, err = io.ReadFull(br, key[:])
	}
	payload = make([]byte, n)
	if err == nil {
		_, err = io.ReadFull(br, payload)
	}
	for i := range payload {
		payload[i] ^= key[i%4]
	}
	return h[0] & 0xf, h[0]&finBit != 0, payload, err
}

func dialTest(t *testing.T, u string, r *requester) (transport, error) {
	t.Helper()
	if r == nil {
		r = &requester{client: http.DefaultClient}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return dialWebSocket(ctx, r, u, 1<<20, 5*time.Second)
}

// withHeadroom is p as session.encode leaves it.
func withHeadroom(p string) []byte { return append(make([]byte, frameHeadroom), p...) }

func TestWSFragmentsAndControlFrames(t *testing.T) {
	pongs := make(chan string, 1)
	big := bytes.Repeat([]byte("0123456789"), 7000) // 64-bit length
	s := newRawServer(t, nil, func(c net.Conn, br *bufio.Reader) {
		var out []byte
		out = append(out, serverFrame(opText, false, []byte("hel"), false)...)
		out = append(out, serverFrame(opPing, true, []byte("are you there"), false)...)
		out = append(out, serverFrame(opContinuation, false, []byte("lo "), false)...)
		out = append(out, serverFrame(opPong, true, nil, false)...)
		out = append(out, serverFrame(opContinuation, true, []byte("world"), false)...)
		out = append(out, serverFrame(opBinary, true, bytes.Repeat([]byte{7}, 300), false)...) // 16-bit length
		out = append(out, serverFrame(opBinary, true, big, false)...)
		out = append(out, serverFrame(opText, true, nil, false)...)
		c.Write(out)
		if op, _, p, err := readClientFrame(br); err == nil && op == opPong {
			pongs <- string(p)
		}
		io.Copy(io.Discard, br)
	})
	tr, err := dialTest(t, s.url(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.abort()
	for i, want := range [][]byte{[]byte("hello world"), bytes.Repeat([]byte{7}, 300), big, {}} {
		p, err := tr.read()
		if err != nil || !bytes.Equal(p, want) {
			t.Fatalf("message %d: %d bytes, %v; want %d bytes", i, len(p), err, len(want))
		}
	}
	if got := <-pongs; got != "are you there" {
		t.Errorf("pong %q", got)
	}
}

func TestWSWriteFrames(t *testing.T) {
	type frame struct {
		op      byte
		fin     bool
		payload string
	}
	got := make(chan frame, 4)
	s := newRawServer(t, nil, func(c net.Conn, br *bufio.Reader) {
		for {
			op, fin, p, err := readClientFrame(br)
			if err != nil {
				close(got)
				return
			}
			got <- frame{op, fin, string(p)}
		}
	})
	tr, err := dialTest(t, s.url(), nil)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("abcdefghij", 7000)
	for _, m := range []struct {
		p    string
		text bool
	}{{"short", true}, {strings.Repeat("x", 200), false}, {long, true}, {"", true}} {
		buf := withHeadroom(m.p)
		if err := tr.write(context.Background(), buf, m.text); err != nil {
			t.Fatal(err)
		}
		if string(buf[frameHeadroom:]) != m.p {
			t.Fatal("write left the payload masked")
		}
		want := frame{opBinary, true, m.p}
		if m.text {
			want.op = opText
		}
		if f := <-got; f != want {
			t.Errorf("server read op %d fin %v %d bytes; want op %d, %d bytes", f.op, f.fin, len(f.payload), want.op, len(m.p))
		}
	}
	tr.close(context.Background())
	f := <-got
	if f.op != opClose || len(f.payload) != 2 || binary.BigEndian.Uint16([]byte(f.payload)) != closeNormal {
		t.Errorf("close frame %+v", f)
	}
	if err := tr.write(context.Background(), withHeadroom("late"), true); err == nil {
		t.Error("write after close succeeded")
	}
}

func TestWSCloseAndErrors(t *testing.T) {
	closeFrame := func(code int, reason string) []byte {
		p := binary.BigEndian.AppendUint16(nil, uint16(code))
		return serverFrame(opClose, true, append(p, reason...), false)
	}
	cases := []struct {
		name      string
		send      []byte
		wantErr   string // "" for io.EOF
		wantClose int    // code of the client's answer, 0 for none
	}{
		{"normal close", closeFrame(closeNormal, ""), "", closeNormal},
		{"close with reason", closeFrame(4001, "go away"), "status code: 4001 (go away)", 4001},
		{"close without status", serverFrame(opClose, true, nil, false), "status code: 1005 (no reason given)", -1},
		{"bad close code", closeFrame(999, ""), "bad close code 999", closeProtocolError},
		{"masked frame", serverFrame(opText, true, []byte("x"), true), "bad MASK", closeProtocolError},
		{"reserved bit", append([]byte{finBit | 0x40 | opText, 1}, 'x'), "RSV set", closeProtocolError},
		{"bad opcode", serverFrame(0x3, true, nil, false), "bad opcode 3", closeProtocolError},
		{"continuation first", serverFrame(opContinuation, true, []byte("x"), false), "continuation after FIN", closeProtocolError},
		{"data before FIN", append(serverFrame(opText, false, []byte("x"), false), serverFrame(opText, true, []byte("y"), false)...), "data before FIN", closeProtocolError},
		{"long control", serverFrame(opPing, true, make([]byte, 126), false), "len > 125 for control", closeProtocolError},
		{"too large", serverFrame(opBinary, true, make([]byte, 1<<20+1), false), "read limit exceeded", closeMessageTooBig},
		{"dropped", []byte{finBit | opText, 5, 'x'}, "status code: 1006", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			answer := make(chan int, 1)
			s := newRawServer(t, nil, func(c net.Conn, br *bufio.Reader) {
				c.Write(tc.send)
				if tc.wantClose == 0 {
					return // drop the connection
				}
				op, _, p, err := readClientFrame(br)
				switch {
				case err != nil || op != opClose:
					answer <- 0
				case len(p) < 2:
					answer <- -1
				default:
					answer <- int(binary.BigEndian.Uint16(p))
				}
				io.Copy(io.Discard, br)
			})
			tr, err := dialTest(t, s.url(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.abort()
			_, err = tr.read()
			switch {
			case tc.wantErr == "" && !errors.Is(err, io.EOF):
				t.Errorf("read: %v, want io.EOF", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("read: %v, want an error with %q", err, tc.wantErr)
			}
			if tc.wantClose != 0 {
				if code := <-answer; code != tc.wantClose {
					t.Errorf("client answered with close %d, want %d", code, tc.wantClose)
				}
			}
		})
	}
}

func TestWSUpgradeRequest(t *testing.T) {
	jar, _ := cookiejar.New(nil)
	s := newRawServer(t, func(key string) string {
		return "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nCONNECTION: keep-alive, Upgrade\r\n" +
			"Set-Cookie: session=abc; Path=/\r\nsec-websocket-accept: " + testAccept(key) + "\r\n\r\n"
	}, nil)
	u, _ := url.Parse(s.url())
	jar.SetCookies(u, []*http.Cookie{{Name: "pref", Value: "1"}})
	r := &requester{client: &http.Client{Jar: jar}, token: "tok", headers: http.Header{
		"X-Custom":      {"a", "b"},
		"X-Injected":    {"v\r\nEvil: 1"},
		"Bad Name":      {"dropped"},
		"User-Agent":    {"overridden"},
		"Authorization": {"overridden"},
	}}
	tr, err := dialTest(t, s.url(), r)
	if err != nil {
		t.Fatal(err)
	}
	tr.abort()
	req := <-s.req
	h := req.Header
	switch {
	case req.URL.RequestURI() != "/hub?id=x" || req.Host != s.ln.Addr().String():
		t.Errorf("request for %s on %s", req.URL, req.Host)
	case h.Get("Upgrade") != "websocket" || h.Get("Connection") != "Upgrade" || h.Get("Sec-WebSocket-Version") != "13":
		t.Errorf("upgrade headers %v", h)
	case h.Get("Authorization") != "Bearer tok" || !strings.HasPrefix(h.Get("User-Agent"), "Microsoft SignalR/"):
		t.Errorf("client headers %v", h)
	case strings.Join(h["X-Custom"], ",") != "a,b" || h.Get("X-Injected") != "v  Evil: 1" || h.Get("Evil") != "":
		t.Errorf("custom headers %v", h)
	case h.Get("Cookie") != "pref=1":
		t.Errorf("Cookie %q", h.Get("Cookie"))
	}
	if _, ok := h["Bad Name"]; ok {
		t.Error("invalid header name sent")
	}
	if c := jar.Cookies(u); len(c) != 2 {
		t.Errorf("jar has %v after the upgrade", c)
	}
}

func TestWSUpgradeRefused(t *testing.T) {
	cases := []struct {
		name, resp, want string
	}{
		{"status", "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", "bad handshake (status code 404)"},
		{"accept key", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: wrong\r\n\r\n", "bad handshake (status code 101)"},
		{"no upgrade", "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", "bad handshake (status code 101)"},
		{"compression", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n", "compression"},
		{"not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", "malformed HTTP response"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newRawServer(t, func(key string) string { return strings.Replace(tc.resp, "%s", testAccept(key), 1) }, nil)
			_, err := dialTest(t, s.url(), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
			if tc.name == "status" && !errors.Is(err, websocket.ErrBadHandshake) {
				t.Errorf("err = %v, want websocket.ErrBadHandshake", err)
			}
		})
	}
	r := &requester{client: http.DefaultClient, headers: http.Header{"Sec-Websocket-Key": {"x"}}}
	if _, err := dialTest(t, "http://127.0.0.1:1/hub", r); err == nil || !strings.Contains(err.Error(), "duplicate header") {
		t.Errorf("duplicate header: err = %v", err)
	}
}

// TestWSLongResponseAndEarlyData has the server answer with headers
// longer than the read buffer, and its first message in the same write.
func TestWSLongResponseAndEarlyData(t *testing.T) {
	s := newRawServer(t, func(key string) string {
		return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Padding: " +
			strings.Repeat("p", 3000) + "\r\nSec-WebSocket-Accept: " + testAccept(key) + "\r\n\r\n" +
			string(serverFrame(opText, true, []byte("early"), false)) + string(serverFrame(opText, true, bytes.Repeat([]byte("l"), 1000), false))
	}, func(c net.Conn, br *bufio.Reader) { io.Copy(io.Discard, br) })
	tr, err := dialTest(t, s.url(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.abort()
	if p, err := tr.read(); err != nil || string(p) != "early" {
		t.Errorf("first message %q, %v", p, err)
	}
	if p, err := tr.read(); err != nil || len(p) != 1000 {
		t.Errorf("second message %d bytes, %v", len(p), err)
	}
}

// echoHandler upgrades with gorilla and echoes messages.
func echoHandler(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	for {
		mt, p, err := ws.ReadMessage()
		if err != nil {
			return
		}
		if err := ws.WriteMessage(mt, p); err != nil {
			return
		}
	}
}

func echoOnce(t *testing.T, tr transport) {
	t.Helper()
	defer tr.close(context.Background())
	if err := tr.write(context.Background(), withHeadroom("ping?"), true); err != nil {
		t.Fatal(err)
	}
	if p, err := tr.read(); err != nil || string(p) != "ping?" {
		t.Errorf("echo %q, %v", p, err)
	}
}

func TestWSOverTLS(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(echoHandler))
	defer ts.Close()
	tr, err := dialTest(t, ts.URL+"/hub", &requester{client: ts.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tr.(*wsConn); !ok {
		t.Errorf("transport %T, want the client's own", tr)
	}
	echoOnce(t, tr)
}

// TestWSThroughProxy dials through an HTTP CONNECT proxy: gorilla's
// dialer does that.
func TestWSThroughProxy(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(echoHandler))
	defer target.Close()
	var tunnels sync.WaitGroup
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		up, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
		down, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			up.Close()
			return
		}
		tunnels.Add(2)
		go func() { defer tunnels.Done(); io.Copy(up, brw); up.Close() }()
		go func() { defer tunnels.Done(); io.Copy(down, up); down.Close() }()
	}))
	defer func() {
		proxy.Close()
		tunnels.Wait()
	}()
	proxyURL, _ := url.Parse(proxy.URL)
	hc := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}}
	tr, err := dialTest(t, target.URL+"/hub", &requester{client: hc})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tr.(*wsTransport); !ok {
		t.Errorf("transport %T, want gorilla's", tr)
	}
	echoOnce(t, tr)
}
