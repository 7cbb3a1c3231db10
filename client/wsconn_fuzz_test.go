package client

import (
	"io"
	"net"
	"testing"
	"time"
)

// FuzzWebSocketRead feeds arbitrary server byte streams to the client's
// WebSocket frame reader: it must return messages within the read limit
// or an error, never panic or hang, whatever the frames claim.
func FuzzWebSocketRead(f *testing.F) {
	f.Add([]byte{0x81, 0x05, 'h', 'e', 'l', 'l', 'o'})                        // text
	f.Add([]byte{0x89, 0x00, 0x82, 0x7e, 0x00, 0x03, 1, 2, 3})                // ping, then 16-bit length
	f.Add([]byte{0x01, 0x02, 'a', 'b', 0x80, 0x01, 'c'})                      // fragmented
	f.Add([]byte{0x88, 0x02, 0x03, 0xe8})                                     // close 1000
	f.Add([]byte{0x82, 0x7f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) // huge length
	f.Add([]byte{0x81, 0x85, 1, 2, 3, 4, 'x', 'x', 'x', 'x', 'x'})            // masked: refused
	const limit = 1 << 16
	f.Fuzz(func(t *testing.T, stream []byte) {
		client, server := net.Pipe()
		defer client.Close()
		done := make(chan struct{})
		go func() {
			defer close(done)
			// The reader may answer (pong, close) while the stream is
			// written: drain its writes.
			go io.Copy(io.Discard, server)
			server.Write(stream)
			server.Close()
		}()
		ws := newWSConn(time.Second, limit)
		ws.conn = client
		for range 64 {
			p, err := ws.read()
			if err != nil {
				break
			}
			if len(p) > limit {
				t.Fatalf("%d-byte message past the %d-byte limit", len(p), limit)
			}
		}
		client.Close()
		<-done
	})
}
