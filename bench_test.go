package signalr

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/signalr-go/signalr/internal/benchcpu"
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

// BenchmarkDispatch feeds Add(1, 2) invocations back to back to one
// connection, as a pipelining client does; Add is a hub method, called by
// reflection.
func BenchmarkDispatch(b *testing.B) {
	benchPipelinedAdd(b, newTestHub(), nil)
}

// BenchmarkDispatchHandle is BenchmarkDispatch with a function of the same
// signature registered with Handle, which has a fast path: it is called
// without reflection.
func BenchmarkDispatchHandle(b *testing.B) {
	benchPipelinedAdd(b, nil, func(a, b int) int { return a + b })
}

// benchPipelinedAdd feeds Add(1, 2) invocations back to back to one
// connection of a server for hub, with add registered as "Add" when not
// nil.
func benchPipelinedAdd(b *testing.B, hub any, add func(a, b int) int) {
	for _, proto := range []string{"json", "messagepack"} {
		b.Run(proto, func(b *testing.B) {
			srv, _ := NewServer(hub, Options{Logger: discardLogger()})
			defer srv.Shutdown(context.Background())
			if add != nil {
				if err := srv.Handle("Add", add); err != nil {
					b.Fatal(err)
				}
			}
			fc := benchConn(b, srv, proto)
			defer fc.Close(nil)
			frame, _ := srv.protocols[proto].Append(nil, &protocol.Invocation{InvocationID: "1", Target: "Add", Arguments: []any{1, 2}})
			benchcpu.Measure(b, func() {
				for range b.N {
					fc.receive(frame)
				}
			})
		})
	}
}

// BenchmarkDispatchRoundTrip invokes Echo and waits for its completion
// before the next invocation, as a client with one call in flight does:
// every call finds the connection idle.
func BenchmarkDispatchRoundTrip(b *testing.B) {
	for _, proto := range []string{"json", "messagepack"} {
		b.Run(proto, func(b *testing.B) {
			srv, _ := NewServer(newTestHub(), Options{Logger: discardLogger()})
			defer srv.Shutdown(context.Background())
			rc := newRoundTripConn(b, srv, proto, 0)
			defer rc.Close(nil)
			frame, _ := srv.protocols[proto].Append(nil, &protocol.Invocation{InvocationID: "1", Target: "Echo", Arguments: []any{"hello"}})
			benchcpu.Measure(b, func() {
				for range b.N {
					rc.call(frame)
				}
			})
		})
	}
}

// BenchmarkDispatchParallel is BenchmarkDispatchRoundTrip on 50
// connections at once, the shape of the echo load test; ns/op is the
// inverse of the throughput.
func BenchmarkDispatchParallel(b *testing.B) {
	const conns = 50
	for _, proto := range []string{"json", "messagepack"} {
		b.Run(proto, func(b *testing.B) {
			srv, _ := NewServer(newTestHub(), Options{Logger: discardLogger()})
			defer srv.Shutdown(context.Background())
			frame, _ := srv.protocols[proto].Append(nil, &protocol.Invocation{InvocationID: "1", Target: "Echo", Arguments: []any{"hello"}})
			pool := make(chan *roundTripConn, conns)
			for i := range conns {
				rc := newRoundTripConn(b, srv, proto, i)
				defer rc.Close(nil)
				pool <- rc
			}
			b.SetParallelism((conns + 1) / 2)
			benchcpu.Measure(b, func() {
				b.RunParallel(func(pb *testing.PB) {
					rc := <-pool
					defer func() { pool <- rc }()
					for pb.Next() {
						rc.call(frame)
					}
				})
			})
		})
	}
}

// roundTripConn is a transport connection that signals each message the
// hub writes, for benchmarks waiting for completions.
type roundTripConn struct {
	id   string
	ctx  context.Context
	stop context.CancelFunc
	req  *http.Request
	s    *session
	mu   sync.Mutex // serializes Receive and Closed, as the transport does
	sent chan struct{}
}

func newRoundTripConn(b *testing.B, srv *Server, proto string, n int) *roundTripConn {
	ctx, stop := context.WithCancel(context.Background())
	id := fmt.Sprint("rt", n)
	rc := &roundTripConn{id: id, ctx: ctx, stop: stop, req: httptest.NewRequest("GET", "/hub?id="+id, nil), sent: make(chan struct{}, 1)}
	s, err := srv.open(rc)
	if err != nil {
		b.Fatal(err)
	}
	rc.s = s
	if err := s.Receive(protocol.AppendHandshakeRequest(nil, protocol.HandshakeRequest{Protocol: proto, Version: 1})); err != nil {
		b.Fatal(err)
	}
	<-rc.sent // the handshake response
	return rc
}

// call sends frame, one invocation, and waits for the hub's answer.
func (rc *roundTripConn) call(frame []byte) {
	rc.mu.Lock()
	err := rc.s.Receive(frame)
	rc.mu.Unlock()
	if err != nil {
		panic(err)
	}
	<-rc.sent
}

func (rc *roundTripConn) ID() string                                  { return rc.id }
func (rc *roundTripConn) Transport() transport.Type                   { return transport.WebSockets }
func (rc *roundTripConn) Request() *http.Request                      { return rc.req }
func (rc *roundTripConn) Principal() transport.Principal              { return transport.Principal{} }
func (rc *roundTripConn) Context() context.Context                    { return rc.ctx }
func (rc *roundTripConn) SupportsFormat(protocol.TransferFormat) bool { return true }
func (rc *roundTripConn) SetFormat(protocol.TransferFormat)           {}
func (rc *roundTripConn) StatefulReconnect() bool                     { return false }
func (rc *roundTripConn) DisableReconnect()                           {}

func (rc *roundTripConn) Write([]byte) error {
	select {
	case rc.sent <- struct{}{}:
	default:
	}
	return nil
}

func (rc *roundTripConn) Close(err error) {
	rc.stop()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.s.Closed(err)
}

func BenchmarkBroadcast(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchBroadcast(b, n, Options{}) })
	}
}

// benchBroadcast sends to n connections of a server with opts.
func benchBroadcast(b *testing.B, n int, opts Options) {
	opts.Logger = discardLogger()
	opts.DrainPeriod = -1 // a benchmark's end closes everything at once
	srv, _ := NewServer(nil, opts)
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
}

// BenchmarkBroadcastCrowd broadcasts to 10 000 connections from 64
// goroutines at once, as a crowd arriving at a hub that tells everyone
// about each arrival does. peak-MB is the most heap the run held, sampled
// every millisecond: what the broadcasts in flight hold between them.
func BenchmarkBroadcastCrowd(b *testing.B) {
	const n = 10000
	srv, _ := NewServer(nil, Options{Logger: discardLogger(), DrainPeriod: -1})
	defer srv.Shutdown(context.Background())
	for range n {
		fc := benchConn(b, srv, "json")
		defer fc.Close(nil)
	}
	all := srv.Clients().All()
	ctx := context.Background()
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	peak := make(chan uint64)
	stop := make(chan struct{})
	go func() {
		var most uint64
		var ms runtime.MemStats
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				peak <- most
				return
			case <-tick.C:
			}
			runtime.ReadMemStats(&ms)
			most = max(most, ms.HeapAlloc)
		}
	}()
	b.ReportAllocs()
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := all.Send(ctx, "UserConnected", "an-arriving-connection-id"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.StopTimer()
	close(stop)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/delivery")
	b.ReportMetric(float64(int64(<-peak)-int64(base.HeapAlloc))/(1<<20), "peak-MB")
}

// BenchmarkWebSocketEcho invokes Echo over real WebSockets on loopback
// from 50 connections at once, each waiting for its completion before the
// next call: the echo load scenario without a separate process. ns/op is
// the inverse of the throughput; cpu-ns/op includes the clients.
func BenchmarkWebSocketEcho(b *testing.B) {
	for _, hp := range []protocol.HubProtocol{protocol.NewJSON(), protocol.NewMessagePack()} {
		b.Run(hp.Name(), func(b *testing.B) { benchWebSocketEcho(b, hp, Options{}) })
	}
}

// benchWebSocketEcho is BenchmarkWebSocketEcho in protocol hp on a server
// with opts.
func benchWebSocketEcho(b *testing.B, hp protocol.HubProtocol, opts Options) {
	const conns = 50
	opts.DrainPeriod = -1
	_, url := startE2E(b, newTestHub(), opts)
	pool := make(chan *wsClient, conns)
	for range conns {
		pool <- dialHub(b, url, hp, nil)
	}
	frame, _ := hp.Append(nil, &protocol.Invocation{InvocationID: "1", Target: "Echo", Arguments: []any{"hello"}})
	typ := websocket.TextMessage
	if hp.TransferFormat() == protocol.BinaryFormat {
		typ = websocket.BinaryMessage
	}
	b.SetParallelism((conns + 1) / 2)
	benchcpu.Measure(b, func() {
		b.RunParallel(func(pb *testing.PB) {
			c := <-pool
			defer func() { pool <- c }()
			for pb.Next() {
				if err := c.ws.WriteMessage(typ, frame); err != nil {
					b.Error(err)
					return
				}
				if _, _, err := c.ws.ReadMessage(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
