package signalr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/signalr-go/signalr/protocol"
	"github.com/signalr-go/signalr/transport"
)

// Server serves one hub at one endpoint. It is an http.Handler for the
// negotiate request and the transports; mount it on the hub's path and
// the path's subtree:
//
//	mux.Handle("/chat", srv)
//	mux.Handle("/chat/", srv)
type Server struct {
	opts      Options
	log       *slog.Logger
	lm        LifetimeManager
	transport *transport.Server
	protocols map[string]protocol.HubProtocol
	pings     map[string][]byte // encoded Ping per protocol name
	table     atomic.Pointer[methodTable]
	tick      time.Duration

	// idleWorkers hands invocations to worker goroutines waiting for one
	// (see startWorker).
	idleWorkers chan *call

	invoke         InvocationHandler
	onConnected    ConnectedHandler
	onDisconnected DisconnectedHandler

	hubName      string
	metrics      *serverMetrics
	epoch        time.Time     // origin of the monotonic invocation timings
	drainStepMax time.Duration // drainStepMax; tests change it

	unregisterOnce sync.Once    // the metrics' callbacks, at the end of Shutdown
	tracer         trace.Tracer // nil: no spans

	mu         sync.Mutex
	sessions   map[*session]struct{}
	ticking    bool
	shutdown   bool
	stopTicker chan struct{} // closed by Shutdown
	tickerWG   sync.WaitGroup
}

// NewServer returns a server for hub, whose exported methods become hub
// methods (inspected once, here) matched case-insensitively. hub may be
// nil when every method is registered with [Server.Handle]. One hub value
// serves every connection, so its methods must be safe for concurrent use;
// per-connection state belongs in [Context.Items].
//
// A hub method may take a *Context or a context.Context first, then
// parameters of any type the protocols can decode, including <-chan T for
// client-to-server streams. It may return nothing, a value, an error, or a
// value and an error; returning <-chan T, iter.Seq[T] or
// iter.Seq2[T, error] makes it a streaming method.
func NewServer(hub any, opts Options) (*Server, error) {
	opts = opts.withDefaults()
	s := &Server{
		idleWorkers: make(chan *call),
		epoch:       time.Now(),
		opts:        opts,
		log:         opts.Logger,
		lm:          opts.LifetimeManager,
		protocols:   make(map[string]protocol.HubProtocol, len(opts.Protocols)),
		pings:       make(map[string][]byte, len(opts.Protocols)),
		sessions:    make(map[*session]struct{}),
		stopTicker:  make(chan struct{}),
	}
	if s.lm == nil {
		s.lm = NewMemoryLifetimeManager()
	}
	for _, hp := range opts.Protocols {
		ping, err := hp.Append(nil, &protocol.Ping{})
		if err != nil {
			return nil, fmt.Errorf("signalr: protocol %q: %w", hp.Name(), err)
		}
		s.protocols[hp.Name()], s.pings[hp.Name()] = hp, ping
	}
	if err := checkHooks(hub); err != nil {
		return nil, err
	}
	ms, err := hubMethods(hub)
	if err != nil {
		return nil, err
	}
	table, err := (&methodTable{}).with(ms...)
	if err != nil {
		return nil, err
	}
	if err := s.applyPolicies(table, ms); err != nil {
		return nil, err
	}
	s.table.Store(table)
	s.tick = tickInterval(opts)
	if err := s.instrument(hub); err != nil {
		s.log.Warn("signalr: some metrics are not available", "error", err)
	}
	s.chain(hub)
	topts := opts.Transport
	if opts.Authorize != nil {
		topts.Authenticate = authorizing(topts.Authenticate, opts.Authorize)
	}
	s.transport = transport.NewServer(handler{s}, topts)
	if err := s.metrics.observeTransport(s.transport.Stats); err != nil {
		s.log.Warn("signalr: some metrics are not available", "error", err)
	}
	return s, nil
}

// checkHooks rejects OnConnected or OnDisconnected methods that do not
// have the hook signatures, which would otherwise be silently ignored.
func checkHooks(hub any) error {
	if hub == nil {
		return nil
	}
	t := reflect.TypeOf(hub)
	if _, ok := t.MethodByName("OnConnected"); ok {
		if _, ok := hub.(ConnectedHook); !ok {
			return fmt.Errorf("%w: OnConnected must be func(*signalr.Context) error", ErrInvalidHub)
		}
	}
	if _, ok := t.MethodByName("OnDisconnected"); ok {
		if _, ok := hub.(DisconnectedHook); !ok {
			return fmt.Errorf("%w: OnDisconnected must be func(*signalr.Context, error)", ErrInvalidHub)
		}
	}
	return nil
}

// applyPolicies attaches Options.MethodPolicies to the methods.
func (s *Server) applyPolicies(table *methodTable, ms []*method) error {
	for name, p := range s.opts.MethodPolicies {
		m := table.lookup(name)
		if m == nil {
			return fmt.Errorf("%w: MethodPolicies names unknown method %q", ErrInvalidHub, name)
		}
		m.policy = p
	}
	return nil
}

// errUnauthorized refuses a user that Options.Authorize rejected.
var errUnauthorized = errors.New("signalr: unauthorized")

// authorizing wraps an Authenticate hook with a hub policy.
func authorizing(auth func(*http.Request) (transport.Principal, error), policy Policy) func(*http.Request) (transport.Principal, error) {
	return func(r *http.Request) (transport.Principal, error) {
		var p transport.Principal
		if auth != nil {
			var err error
			if p, err = auth(r); err != nil {
				return p, err
			}
		}
		if !policy(p) {
			return p, errUnauthorized
		}
		return p, nil
	}
}

// Handle registers fn as the hub method name, besides the hub's own
// methods; it may be called at any time, also while serving. fn follows
// the rules of hub methods (see [NewServer]). Names are unique
// case-insensitively. Functions of the most common signatures, such as
// func(*Context, string) (string, error), are called without reflection.
func (s *Server) Handle(name string, fn any) error {
	m, err := newMethod(name, reflect.ValueOf(fn))
	if err != nil {
		return err
	}
	if fast := fastBinder(fn); fast != nil {
		m.bind = fast
	}
	m.policy = policyFor(s.opts.MethodPolicies, name)
	for {
		old := s.table.Load()
		n, err := old.with(m)
		if err != nil {
			return err
		}
		if s.table.CompareAndSwap(old, n) {
			return nil
		}
	}
}

func policyFor(policies map[string]Policy, name string) Policy {
	for k, p := range policies {
		if strings.EqualFold(k, name) {
			return p
		}
	}
	return nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.refuseWhileDraining(w, r) {
		return
	}
	s.transport.ServeHTTP(w, r)
}

// Clients returns the hub context's client selector, to send from
// anywhere in the program.
func (s *Server) Clients() HubClients { return HubClients{lm: s.lm} }

// Groups returns the hub context's group manager.
func (s *Server) Groups() GroupManager { return GroupManager{lm: s.lm} }

// LifetimeManager returns the server's lifetime manager.
func (s *Server) LifetimeManager() LifetimeManager { return s.lm }

// UserConnections returns the ids of the connections of a user, sorted.
func (s *Server) UserConnections(ctx context.Context, userID string) ([]string, error) {
	return s.lm.Connections(ctx, userID)
}

// ConnectionCount returns the number of connections of the hub.
func (s *Server) ConnectionCount(ctx context.Context) (int, error) { return s.lm.Count(ctx) }

// Disconnect closes a connection, wherever it is, with a Close message
// that does not allow reconnecting; it carries err's message if err is a
// *HubError (nil: no message).
func (s *Server) Disconnect(ctx context.Context, connID string, err error) error {
	return s.lm.Disconnect(ctx, connID, err)
}

// DisconnectUser closes every connection of a user, like Disconnect.
func (s *Server) DisconnectUser(ctx context.Context, userID string, err error) error {
	return s.lm.DisconnectUser(ctx, userID, err)
}

// handler adapts a Server to transport.Handler without exporting Open.
type handler struct{ s *Server }

// Open implements transport.Handler.
func (h handler) Open(c *transport.Conn) (transport.Receiver, error) { return h.s.open(c) }

// open starts the hub session of a new connection.
func (s *Server) open(c transportConn) (*session, error) {
	if s.opts.Authorize != nil && !s.opts.Authorize(c.Principal()) {
		return nil, errUnauthorized
	}
	ss := newSession(s, c)
	if !s.track(ss) {
		return nil, transport.ErrShutdown
	}
	s.metrics.connOpened(c.Context(), c.Transport())
	return ss, nil
}
