package transport

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/signalr-go/signalr/internal/roundrobin"
)

// benchSetups are the ways a client reaches the endpoint in the cluster
// benchmarks: one node directly; a round-robin balancer in front of one
// node (the balancer's own hop); and the balancer in front of three nodes
// of a cluster, where two requests in three land on a node that does not
// hold the connection and are forwarded to the one that does.
var benchSetups = []struct {
	name  string
	nodes int // 0: no balancer
}{{"direct", 0}, {"balancer-1node", 1}, {"balancer-3nodes", 3}}

// benchEndpoint starts a setup and returns the URL clients use.
func benchEndpoint(b *testing.B, nodes int) string {
	if nodes == 0 {
		return newFixture(b, Options{}).ts.URL
	}
	names := []string{"a", "b", "c"}[:nodes]
	tc := newTestCluster(b, names...)
	var urls []string
	for _, f := range tc.nodes {
		urls = append(urls, f.ts.URL)
	}
	lb := roundrobin.New(urls...)
	front := httptest.NewServer(lb)
	b.Cleanup(func() { front.Close(); lb.Close() })
	return front.URL
}

// benchClient makes requests to base, failing the benchmark on errors.
type benchClient struct {
	b    *testing.B
	base string
	c    *http.Client
}

func newBenchClient(b *testing.B, base string) *benchClient {
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	b.Cleanup(c.CloseIdleConnections)
	return &benchClient{b: b, base: base, c: c}
}

func (bc *benchClient) do(method, pathQuery string, body []byte, accept string) *http.Response {
	req, _ := http.NewRequest(method, bc.base+pathQuery, bytes.NewReader(body))
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := bc.c.Do(req)
	if err != nil {
		bc.b.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		bc.b.Fatalf("%s %s: %d", method, pathQuery, resp.StatusCode)
	}
	return resp
}

func (bc *benchClient) token() string {
	resp := bc.do(http.MethodPost, "/hub/negotiate?negotiateVersion=1", nil, "")
	defer resp.Body.Close()
	var r negotiateResp
	if err := decodeJSON(resp, &r); err != nil {
		bc.b.Fatal(err)
	}
	return r.ConnectionToken
}

// send posts msg; poll returns one long poll's body.
func (bc *benchClient) send(token string, msg []byte) {
	resp := bc.do(http.MethodPost, "/hub?id="+token, msg, "")
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func (bc *benchClient) poll(token string) []byte {
	resp := bc.do(http.MethodGet, "/hub?id="+token, nil, "")
	defer resp.Body.Close()
	p, err := io.ReadAll(resp.Body)
	if err != nil {
		bc.b.Fatal(err)
	}
	return p
}

var benchMsg = append(bytes.Repeat([]byte("x"), 63), 0x1e)

// BenchmarkClusterLongPolling measures one echoed message per op over
// Long Polling: latency is a send and the poll that brings the echo back,
// one after the other; throughput is a sender posting back to back while
// a poller drains.
func BenchmarkClusterLongPolling(b *testing.B) {
	for _, s := range benchSetups {
		b.Run("latency/"+s.name, func(b *testing.B) {
			bc := newBenchClient(b, benchEndpoint(b, s.nodes))
			token := bc.token()
			bc.poll(token) // the first poll opens the connection
			b.SetBytes(int64(len(benchMsg)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				bc.send(token, benchMsg)
				for got := 0; got < len(benchMsg); {
					got += len(bc.poll(token))
				}
			}
		})
		b.Run("throughput/"+s.name, func(b *testing.B) {
			bc := newBenchClient(b, benchEndpoint(b, s.nodes))
			token := bc.token()
			bc.poll(token)
			b.SetBytes(int64(len(benchMsg)))
			b.ReportAllocs()
			b.ResetTimer()
			go func() {
				for range b.N {
					bc.send(token, benchMsg)
				}
			}()
			for got := 0; got < b.N*len(benchMsg); {
				got += len(bc.poll(token))
			}
		})
	}
}

// sseReader reads the data of SSE events.
type sseReader struct{ r *bufio.Reader }

// next returns the bytes of the data lines of the next event.
func (s *sseReader) next(b *testing.B) int {
	n := 0
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			b.Fatal(err)
		}
		switch {
		case line == "\r\n" && n > 0:
			return n
		case strings.HasPrefix(line, "data: "):
			n += len(strings.TrimRight(line[len("data: "):], "\r\n"))
		}
	}
}

// BenchmarkClusterServerSentEvents measures one echoed message per op
// over Server-Sent Events, as BenchmarkClusterLongPolling does; the
// stream stays on the node the balancer picked for its GET.
func BenchmarkClusterServerSentEvents(b *testing.B) {
	for _, s := range benchSetups {
		for _, mode := range []string{"latency", "throughput"} {
			b.Run(mode+"/"+s.name, func(b *testing.B) {
				bc := newBenchClient(b, benchEndpoint(b, s.nodes))
				token := bc.token()
				resp := bc.do(http.MethodGet, "/hub?id="+token, nil, "text/event-stream")
				b.Cleanup(func() { resp.Body.Close() })
				ev := &sseReader{r: bufio.NewReader(resp.Body)}
				b.SetBytes(int64(len(benchMsg)))
				b.ReportAllocs()
				b.ResetTimer()
				if mode == "throughput" {
					go func() {
						for range b.N {
							bc.send(token, benchMsg)
						}
					}()
					for got := 0; got < b.N*len(benchMsg); {
						got += ev.next(b)
					}
					return
				}
				for range b.N {
					bc.send(token, benchMsg)
					for got := 0; got < len(benchMsg); {
						got += ev.next(b)
					}
				}
			})
		}
	}
}
