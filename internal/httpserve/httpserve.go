// Package httpserve builds the HTTP server of the programs (cmd/chat,
// cmd/testserver, signalr-load serve): timeouts that free idle and slow
// connections without cutting WebSockets, Server-Sent Events or long
// polls, a Host allow-list, and, when open connections near the file
// descriptor limit, closing idle keep-alive connections oldest first so
// that a new request is still answered while a flood lasts.
//
// The timeouts are connection-wide; a request that legitimately takes
// longer sets its own deadlines with [http.ResponseController], as the
// SignalR transport does for its streams and polls (WebSockets are
// hijacked, which clears them) and the chat does for uploads.
package httpserve

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/signalr-go/signalr/transport"
)

// Config configures a [Server]. Zero fields take the defaults documented
// on them.
type Config struct {
	// Handler serves the requests.
	Handler http.Handler

	// ReadHeaderTimeout bounds reading a request's headers. Default 10 s.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included, from
	// its first byte. Default 30 s.
	ReadTimeout time.Duration
	// IdleTimeout is how long a keep-alive connection may wait for its
	// next request. Default 60 s.
	IdleTimeout time.Duration

	// MaxConns is how many connections may be open (hijacked WebSockets
	// included) before idle ones are closed, oldest first, to make room.
	// Default: the soft RLIMIT_NOFILE less a margin for the program's other
	// files (1/16 of it, at least 64).
	MaxConns int

	// AllowedHosts, when not empty, is the Host allow-list of every
	// request (see [transport.HostAllowed]); other hosts are answered 400.
	AllowedHosts []string

	// Logger receives what was shed, at most once a second. Default
	// slog.Default().
	Logger *slog.Logger
}

// Server is an [http.Server] whose Serve tracks connections and sheds
// idle ones near the descriptor limit.
type Server struct {
	*http.Server
	t *tracker
}

// New returns the server for cfg.
func New(cfg Config) *Server {
	if cfg.ReadHeaderTimeout <= 0 {
		cfg.ReadHeaderTimeout = 10 * time.Second
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 30 * time.Second
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 60 * time.Second
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = defaultMaxConns()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	t := newTracker(cfg.MaxConns, cfg.Logger)
	h := cfg.Handler
	if len(cfg.AllowedHosts) > 0 {
		h = hostFilter(h, cfg.AllowedHosts)
	}
	return &Server{t: t, Server: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ConnState:         t.connState,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}}
}

// Serve accepts connections on ln until Shutdown or Close.
func (s *Server) Serve(ln net.Listener) error {
	return s.Server.Serve(&listener{Listener: ln, t: s.t})
}

// ServeTLS accepts TLS connections on ln until Shutdown or Close. The
// connections are counted beneath TLS, so net/http still sees *tls.Conn
// (Request.TLS set, HTTP/2 offered).
func (s *Server) ServeTLS(ln net.Listener, cfg *tls.Config) error {
	return s.Server.Serve(tls.NewListener(&listener{Listener: ln, t: s.t}, cfg))
}

// Shutdown stops the server gracefully (see [http.Server.Shutdown]).
func (s *Server) Shutdown(ctx context.Context) error {
	return s.Server.Shutdown(ctx)
}

// Stats counts connections.
type Stats struct {
	Open int64 // open now, hijacked ones included
	Shed int64 // idle ones closed to make room
}

// Stats returns the counts so far.
func (s *Server) Stats() Stats {
	return Stats{Open: s.t.open.Load(), Shed: s.t.shed.Load()}
}

// hostFilter answers 400 to requests whose Host is not allowed.
func hostFilter(h http.Handler, allowed []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !transport.HostAllowed(r.Host, allowed) {
			http.Error(w, "Invalid Host", http.StatusBadRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// defaultMaxConns is Config.MaxConns's default.
func defaultMaxConns() int {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil || l.Cur == 0 || l.Cur > 1<<30 {
		return 1 << 16
	}
	limit := int(l.Cur)
	return max(limit-max(64, limit/16), 16)
}
