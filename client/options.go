package client

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/signalr-go/signalr/protocol"
)

// TransportType is a set of transports, as bit flags with the values the
// negotiate protocol and the official clients use.
type TransportType int

// The transports.
const (
	WebSockets       TransportType = 1
	ServerSentEvents TransportType = 2
	LongPolling      TransportType = 4
	// AllTransports allows every transport, tried in the server's order.
	AllTransports = WebSockets | ServerSentEvents | LongPolling
)

// String returns the name the negotiate response uses for a single
// transport.
func (t TransportType) String() string {
	switch t {
	case WebSockets:
		return "WebSockets"
	case ServerSentEvents:
		return "ServerSentEvents"
	case LongPolling:
		return "LongPolling"
	}
	return "Unknown"
}

// parseTransport maps a negotiate transport name (case-sensitive, as the
// JS client) to its flag, or 0 for names the client does not know.
func parseTransport(name string) TransportType {
	for _, t := range []TransportType{WebSockets, ServerSentEvents, LongPolling} {
		if t.String() == name {
			return t
		}
	}
	return 0
}

// Defaults, as the official clients.
const (
	DefaultServerTimeout     = 30 * time.Second
	DefaultKeepAliveInterval = 15 * time.Second
	DefaultHandshakeTimeout  = 15 * time.Second
	// DefaultStatefulReconnectBufferSize is how many bytes of sent but
	// unacknowledged messages are kept before sends wait for an Ack.
	DefaultStatefulReconnectBufferSize = 100_000
	// DefaultMaxMessageSize is the largest hub message accepted from the
	// server. The official clients have no limit; a server legitimately
	// sends messages far above its own 32 KiB receive limit.
	DefaultMaxMessageSize = 1 << 20
	// DefaultRequestTimeout bounds negotiate, send and DELETE requests
	// (not polls), as the JS client's 100 s.
	DefaultRequestTimeout = 100 * time.Second
)

// payloadsPerMessage bounds one transport payload (WebSocket message, SSE
// event, poll body) in multiples of the maximum message size: a server may
// batch many hub messages into one payload.
const payloadsPerMessage = 64

// Option configures a Client in [New].
type Option func(*options)

type options struct {
	transports       TransportType
	protocol         protocol.HubProtocol
	accessToken      func(ctx context.Context) (string, error)
	headers          http.Header
	httpClient       *http.Client
	skipNegotiation  bool
	reconnect        ReconnectPolicy
	stateful         bool
	statefulBuffer   int
	serverTimeout    time.Duration
	keepAlive        time.Duration
	handshakeTimeout time.Duration
	requestTimeout   time.Duration
	maxMessageSize   int
	logger           *slog.Logger
}

func defaultOptions() options {
	return options{
		transports:       AllTransports,
		protocol:         protocol.NewJSON(),
		httpClient:       http.DefaultClient,
		reconnect:        DefaultReconnectPolicy(),
		statefulBuffer:   DefaultStatefulReconnectBufferSize,
		serverTimeout:    DefaultServerTimeout,
		keepAlive:        DefaultKeepAliveInterval,
		handshakeTimeout: DefaultHandshakeTimeout,
		requestTimeout:   DefaultRequestTimeout,
		maxMessageSize:   DefaultMaxMessageSize,
		logger:           discardLogger,
	}
}

// discardLogger is the default logger. A Logger is immutable, so one
// serves every client.
var discardLogger = slog.New(slog.DiscardHandler)

// WithTransports restricts the transports the client may use (default
// [AllTransports]).
func WithTransports(t TransportType) Option { return func(o *options) { o.transports = t } }

// WithProtocol selects the hub protocol: protocol.NewJSON() (the default)
// or protocol.NewMessagePack(). MessagePack cannot use Server-Sent Events.
func WithProtocol(p protocol.HubProtocol) Option { return func(o *options) { o.protocol = p } }

// WithAccessToken sets a function that supplies a bearer token. It is
// called before every negotiate; the token is sent as
// "Authorization: Bearer" on every HTTP request and on the WebSocket
// handshake.
func WithAccessToken(f func(ctx context.Context) (string, error)) Option {
	return func(o *options) { o.accessToken = f }
}

// WithHeaders adds headers to every HTTP request and WebSocket handshake.
func WithHeaders(h http.Header) Option { return func(o *options) { o.headers = h.Clone() } }

// WithHTTPClient sets the HTTP client for negotiate, Server-Sent Events
// and Long Polling; its Jar and Transport's proxy settings also serve the
// WebSocket dialer. Default http.DefaultClient. Its Timeout should be
// zero: Server-Sent Events streams and polls are long requests.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.httpClient = c } }

// WithSkipNegotiation connects straight to the hub URL over WebSockets
// without negotiating. It requires WithTransports(WebSockets); the
// connection has no id and no stateful reconnect.
func WithSkipNegotiation() Option { return func(o *options) { o.skipNegotiation = true } }

// WithReconnectPolicy sets the automatic reconnect policy. The default is
// [DefaultReconnectPolicy]; nil turns automatic reconnect off.
func WithReconnectPolicy(p ReconnectPolicy) Option { return func(o *options) { o.reconnect = p } }

// WithStatefulReconnect asks the server for stateful reconnect: over
// WebSockets a dropped connection is resumed without losing messages.
// bufferSize bounds the bytes of unacknowledged sent messages kept for
// replay (<= 0: [DefaultStatefulReconnectBufferSize]).
func WithStatefulReconnect(bufferSize int) Option {
	return func(o *options) {
		o.stateful = true
		if bufferSize > 0 {
			o.statefulBuffer = bufferSize
		}
	}
}

// WithServerTimeout sets how long the connection may stay silent before
// it is considered lost (default 30 s; not used on Long Polling). It
// should be at least twice the server's keep-alive interval.
func WithServerTimeout(d time.Duration) Option { return func(o *options) { o.serverTimeout = d } }

// WithKeepAliveInterval sets how long the client may send nothing before
// it sends a Ping (default 15 s; not used on Long Polling).
func WithKeepAliveInterval(d time.Duration) Option { return func(o *options) { o.keepAlive = d } }

// WithHandshakeTimeout bounds the wait for the server's handshake
// response (default 15 s).
func WithHandshakeTimeout(d time.Duration) Option { return func(o *options) { o.handshakeTimeout = d } }

// WithRequestTimeout bounds negotiate, send and DELETE requests (default
// 100 s).
func WithRequestTimeout(d time.Duration) Option { return func(o *options) { o.requestTimeout = d } }

// WithMaxMessageSize sets the largest hub message accepted from the
// server, in bytes (default 1 MiB). A larger message closes the
// connection with an error wrapping protocol.ErrMessageTooLarge.
func WithMaxMessageSize(n int) Option { return func(o *options) { o.maxMessageSize = n } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }
