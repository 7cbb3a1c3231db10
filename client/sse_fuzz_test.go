package client

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzSSERead feeds arbitrary event streams to the Server-Sent Events
// parser: it must never panic, return more than its limit, or loop; and a
// payload framed as the server frames it must come back unchanged.
func FuzzSSERead(f *testing.F) {
	for _, s := range []string{
		":\r\n\r\ndata: {\"type\":6}\x1e\r\n\r\n",
		"data: a\ndata: b\n\n",
		"data:x\r\n\r\ndatabase: y\n\n",
		"data\n\n",
		": comment only\n",
		strings.Repeat("data: long\n", 200) + "\n",
	} {
		f.Add([]byte(s), []byte("payload\x1e"))
	}
	const limit = 512
	f.Fuzz(func(t *testing.T, stream, payload []byte) {
		tr := &sseTransport{br: bufio.NewReaderSize(bytes.NewReader(stream), 16), limit: limit}
		for range len(stream) + 1 { // each event consumes at least one byte
			data, err := tr.read()
			if err != nil {
				break
			}
			if len(data) > limit {
				t.Fatalf("event of %d bytes over the %d-byte limit", len(data), limit)
			}
		}

		if len(payload) > limit || bytes.ContainsAny(payload, "\r\n") {
			return
		}
		framed := ":\r\n\r\ndata: " + string(payload) + "\r\n\r\n"
		tr = &sseTransport{br: bufio.NewReaderSize(strings.NewReader(framed), 16), limit: limit}
		got, err := tr.read()
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("read %q, %v; want %q", got, err, payload)
		}
		if _, err := tr.read(); !errors.Is(err, io.EOF) {
			t.Fatalf("after the event: %v, want EOF", err)
		}
	})
}
