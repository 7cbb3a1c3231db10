package client_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/client"
	"github.com/signalr-go/signalr/internal/benchcpu"
	"github.com/signalr-go/signalr/protocol"
)

// The benchmarks in this file run the client against the real server of
// this module in a child process (this test binary, re-executed), so that
// allocs/op, B/op, cpu-ns/op and the memory figures are the client's
// alone, as on the load generator's side of signalr-load.
//
//	go test -run '^$' -bench 'Receive|Invoke' -benchmem -count 5 ./client
//	go test -run '^$' -bench Connect -benchtime 2000x -benchmem -count 5 ./client
//
// BenchmarkConnect also reports the heap and stack each idle client holds
// (SIGNALR_MEMPROFILE=<file> writes the heap profile at that point).

// hubProcessEnv tells a re-executed test binary to serve benchHub.
const hubProcessEnv = "SIGNALR_CLIENT_HUB_PROCESS"

// benchHub is the hub served by the child process.
type benchHub struct{}

// Echo returns payload.
func (benchHub) Echo(payload string) string { return payload }

// Blast sends Receive(payload) n times to the caller.
func (benchHub) Blast(c *signalr.Context, n int, payload string) error {
	for range n {
		if err := c.Clients.Caller().Send(c, "Receive", payload); err != nil {
			return err
		}
	}
	return nil
}

// TestHubProcess is the child process of the benchmarks: it serves
// benchHub, prints its URL and runs until its standard input closes.
func TestHubProcess(t *testing.T) {
	if os.Getenv(hubProcessEnv) == "" {
		t.Skip("only run as the benchmarks' server process")
	}
	_, url := startHub(t, benchHub{}, signalr.Options{})
	fmt.Println(url)
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// hubURLEnv names a hub already running to use instead of a child
// process, as tools that trace this process alone need (valgrind):
//
//	SIGNALR_CLIENT_HUB_PROCESS=1 ./client.test -test.run '^TestHubProcess$' # prints the URL
//	SIGNALR_CLIENT_HUB_URL=<url> valgrind --tool=callgrind ./client.test -test.run '^$' -test.bench Connect/json
const hubURLEnv = "SIGNALR_CLIENT_HUB_URL"

// startHubProcess starts the child process and returns the hub URL; the
// process ends with the benchmark.
func startHubProcess(b *testing.B) string {
	b.Helper()
	if url := os.Getenv(hubURLEnv); url != "" {
		b.Cleanup(http.DefaultTransport.(*http.Transport).CloseIdleConnections)
		return url
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHubProcess$", "-test.bench=^$", "-test.count=1")
	cmd.Env = append(os.Environ(), hubProcessEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		b.Fatalf("hub process: no URL: %v", lines.Err())
	}
	url := strings.TrimSpace(lines.Text())
	b.Cleanup(func() {
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		stdin.Close()
		_, _ = io.Copy(io.Discard, stdout)
		if err := cmd.Wait(); err != nil {
			b.Errorf("hub process: %v", err)
		}
	})
	return url
}

// benchProtocols are the hub protocols each benchmark runs with.
var benchProtocols = []struct {
	name string
	hp   protocol.HubProtocol
}{
	{"json", protocol.NewJSON()},
	{"messagepack", protocol.NewMessagePack()},
}

// inUse returns heap in use and goroutine stacks after collecting garbage.
func inUse() (heap, stacks uint64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse, m.StackInuse
}

// BenchmarkConnect starts one client per op with the default options
// (negotiate, WebSocket, handshake) and keeps them all open, then reports
// the heap and stack each idle connection holds.
func BenchmarkConnect(b *testing.B) {
	for _, p := range benchProtocols {
		b.Run(p.name, func(b *testing.B) {
			url := startHubProcess(b)
			ctx := context.Background()
			clients := make([]*client.Client, 0, b.N)
			heap, stacks := inUse()
			benchcpu.Measure(b, func() {
				for range b.N {
					c, err := client.New(url, client.WithProtocol(p.hp), client.WithReconnectPolicy(nil))
					if err != nil {
						b.Fatal(err)
					}
					c.On("Receive", func(string) {})
					if err := c.Start(ctx); err != nil {
						b.Fatal(err)
					}
					clients = append(clients, c)
				}
			})
			time.Sleep(100 * time.Millisecond) // let the first pings go out
			heapAfter, stacksAfter := inUse()
			if path := os.Getenv("SIGNALR_MEMPROFILE"); path != "" {
				writeHeapProfile(b, path)
			}
			n := float64(b.N)
			b.ReportMetric((float64(heapAfter)-float64(heap))/n, "heap-B/conn")
			b.ReportMetric((float64(stacksAfter)-float64(stacks))/n, "stack-B/conn")
			for _, c := range clients {
				if err := c.Stop(ctx); err != nil {
					b.Error(err)
				}
			}
		})
	}
}

// writeHeapProfile writes the heap profile to path.
func writeHeapProfile(b *testing.B, path string) {
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	if err := pprof.Lookup("heap").WriteTo(out, 0); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkReceive has the server send Receive(payload) to a handler of
// one client, in windows of 100 messages; one op is one message.
func BenchmarkReceive(b *testing.B) { benchReceive(b, 100) }

// BenchmarkReceiveIdle has the server send one Receive(payload) at a
// time, each to a client with nothing else to do, as a broadcast at a
// low rate reaches its clients; one op is one message (and its request).
func BenchmarkReceiveIdle(b *testing.B) { benchReceive(b, 1) }

func benchReceive(b *testing.B, window int) {
	payload := strings.Repeat("x", 64)
	for _, p := range benchProtocols {
		b.Run(p.name, func(b *testing.B) {
			url := startHubProcess(b)
			ctx := context.Background()
			c, err := client.New(url, client.WithProtocol(p.hp))
			if err != nil {
				b.Fatal(err)
			}
			var got, want atomic.Int64
			done := make(chan struct{}, 1)
			c.On("Receive", func(s string) {
				if got.Add(1) == want.Load() {
					done <- struct{}{}
				}
			})
			if err := c.Start(ctx); err != nil {
				b.Fatal(err)
			}
			defer c.Stop(ctx)
			benchcpu.Measure(b, func() {
				for sent := 0; sent < b.N; sent += window {
					k := min(window, b.N-sent)
					want.Store(int64(sent + k))
					if err := c.Send(ctx, "Blast", k, payload); err != nil {
						b.Fatal(err)
					}
					<-done
				}
			})
		})
	}
}

// BenchmarkInvoke makes Invoke round trips to Echo: one at a time, and
// from 50 goroutines sharing the client as the echo scenario's in-flight
// calls do.
func BenchmarkInvoke(b *testing.B) {
	payload := strings.Repeat("x", 64)
	for _, p := range benchProtocols {
		b.Run(p.name, func(b *testing.B) {
			c := startBenchClient(b, p.hp)
			benchcpu.Measure(b, func() {
				for range b.N {
					if _, err := client.Invoke[string](context.Background(), c, "Echo", payload); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
		b.Run(p.name+"/parallel", func(b *testing.B) {
			c := startBenchClient(b, p.hp)
			b.SetParallelism(25) // 50 goroutines on 2 cores
			benchcpu.Measure(b, func() {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := client.Invoke[string](context.Background(), c, "Echo", payload); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		})
	}
}

// startBenchClient starts a client of a new hub process, stopped when the
// benchmark ends.
func startBenchClient(b *testing.B, hp protocol.HubProtocol) *client.Client {
	b.Helper()
	c, err := client.New(startHubProcess(b), client.WithProtocol(hp))
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := c.Stop(context.Background()); err != nil {
			b.Error(err)
		}
	})
	return c
}
