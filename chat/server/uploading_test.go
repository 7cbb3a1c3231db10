package server

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// slowUpload starts an upload that sends its headers and the start of a
// big file, then nothing, as a slow or hostile client does; closing the
// connection ends it.
func (b *bench) slowUpload(token string) net.Conn {
	b.t.Helper()
	host := strings.TrimPrefix(b.url, "http://")
	c, err := net.Dial("tcp", host)
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST /api/rooms/1/files HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: multipart/form-data; boundary=XX\r\nContent-Length: 5000000\r\n\r\n"+
		"--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\r\n%s",
		host, token, strings.Repeat("a", 1000))
	return c
}

// waitUploads waits until n uploads are running on the server.
func (b *bench) waitUploads(n int) {
	b.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		active := b.app.limits.uploading.total.running("")
		if active == n {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%d uploads running, want %d", active, n)
		}
	}
}

// Slow uploads cannot pile up: each holds a connection, a temporary file
// and disk for minutes, and the upload rate limit alone let the accounts
// of one address hold hundreds of them open.
func TestUploadsAtOnceAreBounded(t *testing.T) {
	b := newBench(t, Config{Limits: Limits{UploadsAtOncePerUser: 2, UploadsAtOncePerAddress: 3, UploadsAtOnce: 100}})
	ann, bob := b.login("Ann", ""), b.login("Bob", "")
	slow := []net.Conn{b.slowUpload(ann.Token), b.slowUpload(ann.Token)}
	b.waitUploads(2)
	res, body := b.uploadRaw(ann.Token, 1, "a.txt", []byte("hi"))
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "too many uploads at once for you") || res.Header.Get("Retry-After") == "" {
		t.Fatalf("Ann's third upload at once: %d %q", res.StatusCode, body)
	}
	b.slowUpload(bob.Token)
	b.waitUploads(3)
	res, body = b.uploadRaw(bob.Token, 1, "b.txt", []byte("hi"))
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "from your address") {
		t.Fatalf("a fourth upload from one address: %d %q", res.StatusCode, body)
	}

	// An upload ended, by its client going away: its place is free.
	slow[0].Close()
	b.waitUploads(2)
	if res, body = b.uploadRaw(bob.Token, 1, "b.txt", []byte("hi")); res.StatusCode != http.StatusOK {
		t.Fatalf("Bob's upload once Ann's ended: %d %q", res.StatusCode, body)
	}
	b.waitUploads(2)
}
