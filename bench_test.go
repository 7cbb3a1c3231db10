package signalr

import (
	"context"
	"fmt"
	"testing"

	"github.com/signalr-go/signalr/protocol"
	"github.com/signalr-go/signalr/transport"
)

// benchConn opens a handshaken session on a fake connection that drops
// what is written to it.
func benchConn(b *testing.B, srv *Server, proto string) *fakeConn {
	fc := newFakeConn(fmt.Sprint("b", b.N, "-", len(srv.sessions)), transport.Principal{}, transport.WebSockets)
	s, err := srv.open(fc)
	if err != nil {
		b.Fatal(err)
	}
	fc.recv = s
	fc.receive(protocol.AppendHandshakeRequest(nil, protocol.HandshakeRequest{Protocol: proto, Version: 1}))
	fc.mu.Lock()
	fc.discard = true
	fc.mu.Unlock()
	return fc
}

func BenchmarkDispatch(b *testing.B) {
	for _, proto := range []string{"json", "messagepack"} {
		b.Run(proto, func(b *testing.B) {
			srv, _ := NewServer(newTestHub(), Options{Logger: discardLogger()})
			defer srv.Shutdown(context.Background())
			fc := benchConn(b, srv, proto)
			defer fc.Close(nil)
			frame, _ := srv.protocols[proto].Append(nil, &protocol.Invocation{InvocationID: "1", Target: "Add", Arguments: []any{1, 2}})
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				fc.receive(frame)
			}
		})
	}
}

func BenchmarkBroadcast(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			srv, _ := NewServer(nil, Options{Logger: discardLogger()})
			defer srv.Shutdown(context.Background())
			for i := range n {
				fc := benchConn(b, srv, []string{"json", "messagepack"}[i%2])
				defer fc.Close(nil)
			}
			all := srv.Clients().All()
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := all.Send(ctx, "ReceiveMessage", "user", "a short chat message"); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/delivery")
		})
	}
}
