package signalr

import (
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/signalr-go/signalr/protocol"
	"github.com/signalr-go/signalr/transport"
)

// Options configures a [Server]. The zero value is usable: every zero field
// takes the default documented on it (ASP.NET Core's HubOptions defaults),
// applied once by [NewServer].
type Options struct {
	// Transport configures the connection layer: enabled transports,
	// stateful reconnect, authentication, CORS, queue limits.
	Transport transport.Options

	// KeepAliveInterval is how often the server pings an idle client
	// (never on Long Polling, whose polls keep it alive). Clients close the
	// connection after 30 s of silence, so keep it well below that.
	// Default 15 s.
	KeepAliveInterval time.Duration

	// ClientTimeoutInterval is how long a client may stay silent, once it
	// has sent its first ping or while it has sent only part of a message,
	// before the server closes the connection with an error that allows
	// reconnecting. Default 30 s.
	ClientTimeoutInterval time.Duration

	// HandshakeTimeout bounds the wait for the client's handshake request.
	// Default 15 s.
	HandshakeTimeout time.Duration

	// MaximumReceiveMessageSize bounds one incoming hub message (after
	// framing) and the handshake. A larger message closes the connection.
	// Default 32 KiB; negative means no limit.
	MaximumReceiveMessageSize int

	// StreamBufferCapacity is how many items of one client-to-server
	// stream are buffered before reading the connection waits for the hub
	// method to catch up. Default 10.
	StreamBufferCapacity int

	// MaximumStreamsPerClient bounds the streams one connection may have
	// open: each server-to-client stream and each client-to-server stream
	// counts one until its hub method call ends. Streaming calls take no
	// invocation slot (see MaximumParallelInvocationsPerClient), so this is
	// what bounds them; an invocation that would exceed it fails with an
	// error and starts nothing. Default 10.
	MaximumStreamsPerClient int

	// MaximumParallelInvocationsPerClient is how many hub method calls
	// without streams of one connection may run at once. Further invocations
	// wait, in arrival order, and reading the connection waits with them.
	// Default 1: one at a time, in order. A call waiting in [Invoke] for
	// its own caller's result gives its slot back meanwhile; as many again
	// may wait so, and further such Invokes fail with
	// [ErrTooManyPendingResults].
	MaximumParallelInvocationsPerClient int

	// EnableDetailedErrors appends the Go error's type and message to the
	// generic error texts sent to clients. Errors of type *[HubError] are
	// always shown. Default false.
	EnableDetailedErrors bool

	// Protocols are the hub protocols clients may choose in the handshake.
	// Default: JSON and MessagePack.
	Protocols []protocol.HubProtocol

	// StatefulReconnectBufferSize bounds, in bytes, the messages kept for
	// replay until the client acknowledges them (stateful reconnect only).
	// A connection whose client falls further behind is closed with an
	// error that allows a fresh reconnect, rather than blocking senders.
	// Default 100 000.
	StatefulReconnectBufferSize int

	// LifetimeManager routes every send, group change, presence query and
	// client result. Default: a new in-memory manager for this server; a
	// backplane replaces it to span several servers.
	LifetimeManager LifetimeManager

	// Authorize, when set, must accept a user before it may connect: it
	// runs with Transport.Authenticate's result on negotiate and on every
	// transport request, and a refusal answers 401 Unauthorized.
	Authorize Policy

	// MethodPolicies authorizes single hub methods, keyed by method name
	// (case-insensitive). A refused invocation fails with "Failed to invoke
	// '<method>' because user is unauthorized".
	MethodPolicies map[string]Policy

	// Filters wrap hub method calls and the connect and disconnect hooks,
	// the first filter outermost.
	Filters []Filter

	// Logger receives diagnostics. Default slog.Default().
	Logger *slog.Logger

	// HubName names the hub in metrics and traces (rpc.service). Default
	// the hub's Go type name, or "Hub" when NewServer gets no hub value.
	HubName string

	// MeterProvider receives the server's metrics (see metrics.go for the
	// instruments). Default the global provider (otel.GetMeterProvider),
	// which records nothing until the program sets one.
	MeterProvider metric.MeterProvider

	// TracerProvider receives a span per hub method invocation. Default the
	// global provider as it is when NewServer runs: a program that wants
	// traces sets it (otel.SetTracerProvider) first. While none is set,
	// invocations start no span.
	TracerProvider trace.TracerProvider

	// TraceFilter, if set, chooses the invocations that get a span: false
	// starts none, so that the method's context carries no span and the
	// spans it starts are roots of their own, as with otelhttp's
	// WithFilter. It runs before the tracer, which an unsampled span
	// costs about a microsecond of (BENCHMARKS.md): a filter that keeps
	// the invocations whose client sent a traceparent header and a share
	// of the others samples at a fraction of that cost. Default: every
	// invocation, the configured sampler deciding.
	TraceFilter func(*Invocation) bool

	// DrainPeriod bounds how long Shutdown spreads its Close messages over,
	// so that many clients told to reconnect do not all come back in the
	// same moment: connections are told one after the other, 10 ms apart
	// or closer, so that all of them are told within the period (a
	// thousand connections take 10 s, ten take 0.1 s). A Shutdown context
	// with an earlier deadline shortens the period to leave time for the
	// connections to close. Default 10 s; negative means all at once.
	DrainPeriod time.Duration
}

// The ASP.NET Core defaults.
const (
	defaultKeepAliveInterval           = 15 * time.Second
	defaultClientTimeoutInterval       = 30 * time.Second
	defaultHandshakeTimeout            = 15 * time.Second
	defaultMaximumReceiveMessageSize   = 32 * 1024
	defaultStreamBufferCapacity        = 10
	defaultStatefulReconnectBufferSize = 100_000
)

// defaultMaximumStreamsPerClient has no ASP.NET Core counterpart (it sets
// no bound): ten is more than the official clients' own tests open at once,
// while a connection's streams cost at most ten goroutines and buffers.
const defaultMaximumStreamsPerClient = 10

// defaultDrainPeriod spreads a thousand reconnects to about one per 10 ms,
// and keeps a rolling restart's step short.
const defaultDrainPeriod = 10 * time.Second

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	if o.KeepAliveInterval <= 0 {
		o.KeepAliveInterval = defaultKeepAliveInterval
	}
	if o.ClientTimeoutInterval <= 0 {
		o.ClientTimeoutInterval = defaultClientTimeoutInterval
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = defaultHandshakeTimeout
	}
	switch {
	case o.MaximumReceiveMessageSize == 0:
		o.MaximumReceiveMessageSize = defaultMaximumReceiveMessageSize
	case o.MaximumReceiveMessageSize < 0:
		o.MaximumReceiveMessageSize = 0 // NextFrame: no limit
	}
	if o.StreamBufferCapacity <= 0 {
		o.StreamBufferCapacity = defaultStreamBufferCapacity
	}
	if o.MaximumStreamsPerClient <= 0 {
		o.MaximumStreamsPerClient = defaultMaximumStreamsPerClient
	}
	if o.MaximumParallelInvocationsPerClient <= 0 {
		o.MaximumParallelInvocationsPerClient = 1
	}
	if len(o.Protocols) == 0 {
		o.Protocols = []protocol.HubProtocol{protocol.NewJSON(), protocol.NewMessagePack()}
	}
	if o.StatefulReconnectBufferSize <= 0 {
		o.StatefulReconnectBufferSize = defaultStatefulReconnectBufferSize
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.DrainPeriod == 0 {
		o.DrainPeriod = defaultDrainPeriod
	}
	if o.Transport.Logger == nil {
		o.Transport.Logger = o.Logger
	}
	return o
}
