package transport

import (
	"log/slog"
	"net/http"
	"time"
)

// Options configures a [Server]. The zero value is usable: every zero field
// takes the default documented on it, applied once by [NewServer].
type Options struct {
	// Path is the endpoint path (e.g. "/chat") that [Server.Match] compares
	// case-insensitively, and that ServeHTTP enforces (404 for other paths)
	// when set. Empty: every path is served, for routers that already
	// matched.
	Path string

	// Transports lists the enabled transports. Default AllTransports.
	Transports Type

	// AllowStatefulReconnect lets negotiate grant a client's
	// useStatefulReconnect request. Default false, as in ASP.NET Core.
	AllowStatefulReconnect bool

	// DisconnectTimeout is how long a connection may stay without a
	// transport: after negotiate before the first transport request,
	// between two long polls, and after a WebSocket of a stateful-reconnect
	// connection dropped. Default 15 s.
	DisconnectTimeout time.Duration

	// PollTimeout is how long a long poll waits for data before it is
	// answered with an empty 200. Default 90 s.
	PollTimeout time.Duration

	// SendTimeout bounds a single transport write (an SSE event, a poll
	// body, a WebSocket's backlog write); a write blocked longer ends the
	// connection with ErrSendTimeout. Default 10 s.
	SendTimeout time.Duration

	// CloseTimeout is how long a WebSocket closed by the server waits for
	// the client's close frame before the TCP connection is dropped.
	// Default 5 s.
	CloseTimeout time.Duration

	// MaxQueueBytes bounds the bytes queued for one connection and not yet
	// handed to its transport. A Write that would exceed it ends the
	// connection with ErrSlowConsumer; a Write into an empty queue is always
	// accepted, so one message larger than the limit still goes out.
	// While a WebSocket's socket is behind, later messages wait here: the
	// socket holds at most one batch beyond the queue. Default 1 MiB.
	MaxQueueBytes int

	// MaxTotalQueueBytes bounds the bytes held for all connections
	// together: their queues (each message charged 24 bytes on top of its
	// length; a broadcast is charged once per connection although its bytes
	// are shared; a queue is counted in whole 4 KiB, so one under 4 KiB
	// counts nothing) and what their sockets have not taken yet. When the total
	// passes it, the connections holding the most are ended with
	// ErrSlowConsumer, largest first, until the total is back under 7/8 of
	// it, and meanwhile negotiate and new WebSockets are answered 503
	// (Retry-After: 1). A Write to a connection whose client has taken
	// none of its data for a second ends it at once while the total is
	// over. MaxQueueBytes alone lets many connections that stopped reading
	// hold MaxQueueBytes each. Default: 1/256 of the memory available (the
	// Go memory limit, GOMEMLIMIT, when set, else the machine's physical
	// memory), between 16 MiB and 512 MiB. Negative: no limit.
	MaxTotalQueueBytes int

	// MaxFrameBytes caps how many queued bytes are batched into one
	// WebSocket frame or SSE event (a single larger message still goes out
	// whole). Long polls always return everything queued. Default 64 KiB.
	MaxFrameBytes int

	// MinNegotiateVersion is the lowest negotiateVersion accepted. Default 0.
	MinNegotiateVersion int

	// Authenticate, when set, runs on negotiate and on every transport
	// request; an error answers 401 Unauthorized. A transport request whose
	// Principal.ID differs from the one at negotiate is answered 403. Nil:
	// every client is anonymous.
	Authenticate func(r *http.Request) (Principal, error)

	// AllowedOrigins lists the browser origins (e.g. "https://app.example")
	// allowed cross-origin: they get CORS headers (with credentials) and may
	// open WebSockets. "*" allows every origin. Default: none, i.e. no CORS
	// headers and same-origin WebSockets only (requests without an Origin
	// header, like non-browser clients, are always allowed).
	AllowedOrigins []string

	// AllowedHosts, when not empty, lists the host names a request's Host
	// header may carry (see [HostAllowed] for the forms); any other is
	// answered 400 Bad Request, as ASP.NET Core's host filtering does. A
	// server reachable on loopback only should allow [LoopbackHosts](): a
	// DNS rebinding page then cannot reach it under a name of its own,
	// with an Origin that matches that name. Default: every host.
	AllowedHosts []string

	// CheckOrigin, when set, replaces the AllowedOrigins decision for both
	// CORS and WebSockets. It is only called for requests carrying an
	// Origin header.
	CheckOrigin func(r *http.Request) bool

	// Cluster, when set, lets several nodes serve this endpoint behind a
	// load balancer without sticky sessions: a request for a connection
	// another node of the cluster holds is forwarded to it (see
	// [Cluster]). Nil: a request for a connection this node does not hold
	// is answered 404. NewServer panics on an incomplete Cluster.
	Cluster *Cluster

	// WebSocketReadBufferSize is the per-connection buffer for reading
	// WebSocket frame headers and small payloads; it is held while the
	// connection is idle, so it is small. Default and minimum 512 bytes.
	WebSocketReadBufferSize int

	// MaxRequestHeaderBytes bounds the size of a transport GET's URL and
	// headers (names and values): the request that starts a connection's
	// transport is kept for the connection's whole life (Conn.Request), and
	// net/http alone allows a megabyte of headers, which an idle connection
	// would then hold. Larger requests are answered 431. Default 32 KiB,
	// ASP.NET Core's (Kestrel's) limit on request headers.
	MaxRequestHeaderBytes int

	// Logger receives diagnostics. Default slog.Default().
	Logger *slog.Logger
}

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	if o.Transports == 0 {
		o.Transports = AllTransports
	}
	if o.DisconnectTimeout <= 0 {
		o.DisconnectTimeout = 15 * time.Second
	}
	if o.PollTimeout <= 0 {
		o.PollTimeout = 90 * time.Second
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 10 * time.Second
	}
	if o.CloseTimeout <= 0 {
		o.CloseTimeout = 5 * time.Second
	}
	if o.MaxQueueBytes <= 0 {
		o.MaxQueueBytes = 1 << 20
	}
	if o.MaxTotalQueueBytes == 0 {
		o.MaxTotalQueueBytes = defaultTotalQueueBytes()
	}
	if o.MaxFrameBytes <= 0 {
		o.MaxFrameBytes = 64 << 10
	}
	if o.WebSocketReadBufferSize < 512 {
		o.WebSocketReadBufferSize = 512
	}
	if o.MaxRequestHeaderBytes <= 0 {
		o.MaxRequestHeaderBytes = 32 << 10
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}
