// Package roundrobin is a load balancer for tests and benchmarks with no
// affinity at all: every HTTP request and every WebSocket upgrade goes to
// the next backend in turn, whatever connection it belongs to.
package roundrobin

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
)

// Balancer is an http.Handler spreading requests over backends in turn.
type Balancer struct {
	targets []*url.URL
	next    atomic.Uint64
	proxy   *httputil.ReverseProxy
}

// New returns a balancer over the backends' base URLs (http://host:port).
// It panics on a URL that does not parse: the list is the test's own.
func New(backends ...string) *Balancer {
	b := &Balancer{}
	for _, s := range backends {
		u, err := url.Parse(s)
		if err != nil {
			panic(err)
		}
		b.targets = append(b.targets, u)
	}
	b.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			t := b.targets[(b.next.Add(1)-1)%uint64(len(b.targets))]
			r.SetURL(t)
			r.Out.Host = r.In.Host // the backends see the address the client used, as behind a real balancer
		},
		Transport:     &http.Transport{MaxIdleConnsPerHost: 256},
		FlushInterval: -1,
		BufferPool:    &buffers{},
	}
	return b
}

// buffers lends the proxy its copy buffers.
type buffers struct{ p sync.Pool }

func (c *buffers) Get() []byte {
	if b, ok := c.p.Get().(*[]byte); ok {
		return *b
	}
	return make([]byte, 32<<10)
}

func (c *buffers) Put(b []byte) { c.p.Put(&b) }

// ServeHTTP forwards r to the next backend.
func (b *Balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) { b.proxy.ServeHTTP(w, r) }

// Close closes the idle connections to the backends.
func (b *Balancer) Close() { b.proxy.Transport.(*http.Transport).CloseIdleConnections() }
