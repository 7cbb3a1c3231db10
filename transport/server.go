package transport

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Handler serves the connections of one endpoint.
type Handler interface {
	// Open is called once, when the connection's transport is first
	// established (WebSocket upgrade, SSE GET, first long poll), not at
	// negotiate, and before any of its data is delivered. It returns the
	// Receiver for the connection's incoming data; an error refuses the
	// connection, which is closed without further callbacks.
	Open(c *Conn) (Receiver, error)
}

// Receiver consumes one connection's incoming data.
type Receiver interface {
	// Receive is called with the connection's incoming bytes in arrival
	// order, one call at a time. p is only valid during the call. Chunks
	// are transport units (part of a WebSocket message, a POST body or part
	// of it) and may hold several application messages or part of one: the
	// layer above does its own framing and size limits. Blocking in Receive
	// applies backpressure to that connection only. Returning an error
	// closes the connection with that error.
	Receive(p []byte) error
	// Closed is called exactly once, after the last Receive, when the
	// connection has ended; err is nil for a graceful close by either side.
	Closed(err error)
}

// Resumer is implemented by Receivers that support stateful reconnect. When
// a WebSocket of a connection that negotiated stateful reconnect drops
// without a close frame, the connection stays alive (no Closed) for
// Options.DisconnectTimeout, waiting for a new WebSocket with the same
// token. When one arrives, the bytes still queued for the old socket are
// discarded, Resume is called, and only then does the new socket send and
// read. Resume writes what must start the new socket with write, which
// also discards whatever Write queued since the reconnect arrived: the
// Resumer, serializing its writes with write, replays those bytes itself
// if they matter. If none arrives in time the connection ends with
// ErrReconnectTimeout.
type Resumer interface {
	Resume(write func(p []byte) error)
}

// Server serves one SignalR endpoint: negotiate and the transports.
type Server struct {
	handler   Handler
	opts      Options
	upgrader  websocket.Upgrader
	readBufs  sync.Pool // *[]byte for WebSocket messages and POST bodies
	firstBufs sync.Pool // *[]byte of smallReadBuf bytes, where WebSocket messages start
	writeBufs sync.Pool // gorilla's WebSocket write buffers
	wg        sync.WaitGroup
	stop      chan struct{} // closed by Shutdown to stop the scan
	writers   writerPool
	cluster   *cluster        // nil without Options.Cluster
	stopCtx   context.Context // canceled by Shutdown, ends forwarded requests
	stopAll   context.CancelFunc
	budget    budget       // bytes held for all connections
	shed      shedCounters // what the budget shed

	dropMu   sync.Mutex
	dropped  []*Conn // connections dropped, waiting for finishDropped
	dropping bool    // finishDropped runs

	mu       sync.Mutex
	conns    map[string]*Conn // by token
	scanning bool
	shutdown bool
}

// NewServer returns a server passing the connections of one endpoint to h.
func NewServer(h Handler, opts Options) *Server {
	s := &Server{
		handler: h,
		opts:    opts.withDefaults(),
		conns:   make(map[string]*Conn),
		stop:    make(chan struct{}),
		writers: newWriterPool(),
	}
	s.budget.limit = int64(s.opts.MaxTotalQueueBytes)
	s.budget.shed = func() { s.wg.Go(s.shedSlowest) }
	s.readBufs.New = func() any {
		b := make([]byte, 16<<10)
		return &b
	}
	s.upgrader = s.newUpgrader()
	s.stopCtx, s.stopAll = context.WithCancel(context.Background())
	if opts.Cluster != nil {
		s.cluster = newCluster(opts.Cluster, s)
	}
	return s
}

// Match reports whether path is the endpoint (Options.Path) or its
// negotiate URL, ignoring case and a trailing slash: the clients keep the
// casing the application gave them. Use it in front of routers whose
// patterns are case-sensitive, such as http.ServeMux.
func (s *Server) Match(path string) bool {
	path = strings.TrimSuffix(path, "/")
	if isNegotiate(path) {
		path = path[:len(path)-len("/negotiate")]
	}
	return strings.EqualFold(strings.TrimSuffix(path, "/"), strings.TrimSuffix(s.opts.Path, "/"))
}

// isNegotiate reports whether path ends in "/negotiate", in any case.
func isNegotiate(path string) bool {
	const suffix = "/negotiate"
	return len(path) >= len(suffix) && strings.EqualFold(path[len(path)-len(suffix):], suffix)
}

// ServeHTTP serves POST .../negotiate (any path ending in "/negotiate") and
// the transports on any other path. With Options.Path set, other paths get
// 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opts.Path != "" && !s.Match(r.URL.Path) {
		http.NotFound(w, r)
		return
	}
	if remote, ok := s.fromPeer(r); ok {
		// The node that received it from the client checked Host and
		// Origin and answered CORS; this one only serves it, as if the
		// client had come directly.
		r = r.WithContext(context.WithValue(r.Context(), peerKey{}, true))
		r.RemoteAddr = remote
	} else {
		if !HostAllowed(r.Host, s.opts.AllowedHosts) {
			plainError(w, http.StatusBadRequest, "Invalid Host")
			return
		}
		if r.Method == http.MethodOptions {
			s.preflight(w, r)
			return
		}
		s.addCORS(w, r)
	}
	if !s.enter() {
		plainError(w, http.StatusServiceUnavailable, "Server is shutting down.")
		return
	}
	defer s.wg.Done()
	if s.budget.over() && (isNegotiate(r.URL.Path) || (r.Method == http.MethodGet && r.URL.Query().Get("id") == "")) {
		// Every new connection adds to what is queued (a hub telling
		// everyone about arrivals, most of all): none is admitted until
		// the shed brought the total back under the budget.
		w.Header().Set("Retry-After", "1")
		plainError(w, http.StatusServiceUnavailable, msgOverBudget)
		return
	}
	if isNegotiate(r.URL.Path) {
		s.negotiate(w, r)
		return
	}
	s.serveTransport(w, r)
}

// enter counts a request in, unless the server is shutting down.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		return false
	}
	s.wg.Add(1)
	return true
}

// serveTransport dispatches a request on the endpoint itself.
func (s *Server) serveTransport(w http.ResponseWriter, r *http.Request) {
	var t Type
	switch r.Method {
	case http.MethodGet:
		switch {
		case websocket.IsWebSocketUpgrade(r):
			t = WebSockets
		case strings.Contains(r.Header.Get("Accept"), "text/event-stream"):
			t = ServerSentEvents
		default:
			t = LongPolling
		}
		if s.opts.Transports&t == 0 {
			plainError(w, http.StatusNotFound, t.String()+" transport not supported by this end point type")
			return
		}
		if requestHeaderBytes(r) > s.opts.MaxRequestHeaderBytes {
			plainError(w, http.StatusRequestHeaderFieldsTooLarge, "Request headers too large.")
			return
		}
	case http.MethodPost, http.MethodDelete:
	default:
		plainError(w, http.StatusMethodNotAllowed, "")
		return
	}
	p, err := s.authenticate(r)
	if err != nil {
		plainError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	token := r.URL.Query().Get("id")
	if token == "" && t == WebSockets {
		s.serveWebSocket(w, r, nil, p)
		return
	}
	if token == "" {
		plainError(w, http.StatusBadRequest, "Connection ID required")
		return
	}
	c := s.lookup(token)
	if c == nil && s.cluster != nil && !isPeer(r) && s.forward(w, r, token) {
		return
	}
	if c == nil {
		plainError(w, http.StatusNotFound, msgNoConnection)
		return
	}
	if c.principal.ID != p.ID {
		plainError(w, http.StatusForbidden, "Forbidden")
		return
	}
	switch {
	case r.Method == http.MethodPost:
		s.serveSend(w, r, c)
	case r.Method == http.MethodDelete:
		s.serveDelete(w, c)
	case t == WebSockets:
		s.serveWebSocket(w, r, c, p)
	case t == ServerSentEvents:
		s.serveSSE(w, r, c)
	default:
		s.servePoll(w, r, c)
	}
}

// Status texts of the transport endpoint, as ASP.NET Core words them.
const (
	msgNoConnection    = "No Connection with that ID"
	msgChangeTransport = "Cannot change transports mid-connection"
	msgAlreadyActive   = "Another connection is already using this ID."
	msgOverBudget      = "Server is busy: too much data is waiting to be sent."
)

// plainError answers status with a text/plain body.
func plainError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write([]byte(msg))
}

// lookup returns the connection with token, or nil.
func (s *Server) lookup(token string) *Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns[token]
}

// add stores c and makes sure the scan runs.
func (s *Server) add(c *Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns[c.token] = c
	s.ensureScanLocked()
}

// ensureScan makes sure the scan runs.
func (s *Server) ensureScan() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureScanLocked()
}

func (s *Server) ensureScanLocked() {
	if !s.scanning && !s.shutdown {
		s.scanning = true
		s.wg.Go(s.scan)
	}
}

// remove forgets c.
func (s *Server) remove(c *Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns[c.token] == c {
		delete(s.conns, c.token)
	}
}

// scanInterval is how often the scan looks for connections idle past
// DisconnectTimeout: every second, or more often for short timeouts.
func (s *Server) scanInterval() time.Duration {
	return max(min(time.Second, s.opts.DisconnectTimeout/4), 10*time.Millisecond)
}

// scan ends idle connections and idle writers. One goroutine serves all
// connections, and it only runs while there are connections or idle
// writers.
func (s *Server) scan() {
	t := time.NewTicker(s.scanInterval())
	defer t.Stop()
	var batch []*Conn
	for {
		select {
		case <-s.stop:
			return
		case now := <-t.C:
			s.writers.reap(now.Add(-writerIdle))
			s.mu.Lock()
			// A writer parking after this check starts the scan again.
			if len(s.conns) == 0 && s.writers.empty() {
				s.scanning = false
				s.mu.Unlock()
				return
			}
			batch = batch[:0]
			for _, c := range s.conns {
				batch = append(batch, c)
			}
			s.mu.Unlock()
			for _, c := range batch {
				c.reapIfIdle(now, s.opts.DisconnectTimeout)
			}
			clear(batch)
		}
	}
}

// snapshot returns the live connections.
func (s *Server) snapshot() []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Conn, 0, len(s.conns))
	for _, c := range s.conns {
		out = append(out, c)
	}
	return out
}

// Shutdown stops accepting requests, closes every connection with
// ErrShutdown (the layer above turns that into a close message that lets
// clients reconnect elsewhere) and waits until they have ended or ctx is
// done; then it ends the rest at once. When it returns, no goroutine of the
// server is left. It returns ctx's error if ctx ended first.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.shutdown {
		s.shutdown = true
		close(s.stop)
		s.stopAll()
	}
	s.mu.Unlock()
	for _, c := range s.snapshot() {
		c.Close(ErrShutdown)
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var err error
	for err == nil && len(s.snapshot()) > 0 {
		select {
		case <-tick.C:
			s.reapClosing()
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	for _, c := range s.snapshot() {
		c.finish(ErrShutdown)
	}
	s.writers.stop()
	s.wg.Wait()
	if s.cluster != nil && s.cluster.own != nil {
		s.cluster.own.CloseIdleConnections()
	}
	return err
}

// reapClosing stands in for the stopped scan during Shutdown. A long
// polling client between two polls gets a second at most (the clients poll
// again at once) to fetch what is queued for it.
func (s *Server) reapClosing() {
	timeout := min(s.opts.DisconnectTimeout, time.Second)
	for _, c := range s.snapshot() {
		c.reapIfIdle(time.Now(), timeout)
	}
}
