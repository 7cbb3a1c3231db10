package signalr

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/semconv/v1.43.0/signalrconv"
	"go.opentelemetry.io/otel/trace"

	"github.com/signalr-go/signalr/transport"
)

// Metrics. The two instruments of the SignalR semantic conventions,
// signalr.server.active_connections and signalr.server.connection.duration,
// carry their conventional attributes (signalr.transport,
// signalr.connection.status); the others are this server's own, named in
// the same style:
//
//	signalr.server.messages.received / .sent   {message}    signalr.protocol
//	signalr.server.bytes.received / .sent      By           signalr.protocol
//	signalr.server.invocations                 {invocation} rpc.method, signalr.invocation.outcome (success, error)
//	signalr.server.invocation.duration         s            rpc.method, signalr.invocation.outcome
//	signalr.server.slow_consumers              {connection} connections closed because they did not keep up,
//	                                                        signalr.slow_consumer.reason (connection_limit, queue_budget)
//	signalr.server.stateful_reconnects         {reconnect}  WebSockets resumed by stateful reconnect
//	signalr.server.negotiations.pending        {connection} negotiated, no transport request yet (gauge)
//	signalr.server.queued_bytes                By           queued for clients, not yet handed to a transport (gauge)
//	signalr.server.draining                    1            1 once Shutdown has begun (gauge)
//	signalr.server.drain.connections_remaining {connection} connections the drain has yet to tell to reconnect
//	signalr.server.drain.reconnect_requests    {connection} connections told to reconnect by a drain
//
// Every instrument carries rpc.service, the hub's name. Messages, bytes
// and invocations are counted on atomic counters that the SDK reads when
// it collects (observable counters), so a message or an invocation costs
// an atomic add whether a provider is configured or not, and allocates
// nothing: a synchronous counter would cost the SDK's per-call work (it
// normalizes the attribute set and looks it up on every Add, some 0.4 µs
// with three attributes). The per-connection instruments and the
// invocation duration are recorded with attribute sets built once, and
// skipped when the provider does not want them (Enabled).

// instrumentationName names the meter and the tracer.
const instrumentationName = "github.com/signalr-go/signalr"

// Attribute keys of this server's own attributes.
const (
	attrProtocol = attribute.Key("signalr.protocol")
	attrOutcome  = attribute.Key("signalr.invocation.outcome")
	attrService  = attribute.Key("rpc.service")
	attrMethod   = attribute.Key("rpc.method")
	attrReason   = attribute.Key("signalr.slow_consumer.reason")
)

// traffic counts the messages and bytes of one protocol.
type traffic struct {
	msgsIn, msgsOut, bytesIn, bytesOut atomic.Int64
	attrs                              metric.ObserveOption
}

// serverMetrics holds a server's instruments.
type serverMetrics struct {
	service attribute.KeyValue
	meter   metric.Meter

	active       signalrconv.ServerActiveConnections
	duration     signalrconv.ServerConnectionDuration
	invDuration  metric.Float64Histogram
	slow         metric.Int64Counter
	slowOpts     [2][]metric.AddOption // connection_limit, queue_budget
	reconnects   metric.Int64Counter
	reconnectOpt []metric.AddOption
	drain        drainProgress

	// Attribute options built once, indexed by transportIndex and
	// statusIndex.
	activeOpts   [3][]metric.AddOption
	durationOpts [3][3][]metric.RecordOption

	traffic map[string]*traffic   // by protocol name; fixed after newServerMetrics
	methods methodList            // the methods invoked so far, for the invocations counter
	regs    []metric.Registration // callbacks, unregistered by Shutdown
}

// newServerMetrics creates the instruments on mp's meter. An instrument
// that cannot be created is replaced by a no-op one by the semconv package
// and by the API's noop values here, so metrics never stop a server.
func newServerMetrics(mp metric.MeterProvider, hubName string, protocols []string) (*serverMetrics, error) {
	m := mp.Meter(instrumentationName)
	sm := &serverMetrics{service: attrService.String(hubName), meter: m, traffic: make(map[string]*traffic, len(protocols))}
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	var err error
	sm.active, err = signalrconv.NewServerActiveConnections(m)
	add(err)
	sm.duration, err = signalrconv.NewServerConnectionDuration(m)
	add(err)
	add(sm.observeInvocations(m))
	sm.invDuration, err = m.Float64Histogram("signalr.server.invocation.duration", metric.WithUnit("s"),
		metric.WithDescription("How long hub method invocations took, by method and outcome."),
		metric.WithExplicitBucketBoundaries(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
	add(err)
	sm.slow, err = m.Int64Counter("signalr.server.slow_consumers", metric.WithUnit("{connection}"),
		metric.WithDescription("Connections closed because their client did not keep up with what was sent to it."))
	add(err)
	sm.reconnects, err = m.Int64Counter("signalr.server.stateful_reconnects", metric.WithUnit("{reconnect}"),
		metric.WithDescription("WebSockets resumed by stateful reconnect."))
	add(err)
	sm.reconnectOpt = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(sm.service))}
	for i, reason := range []string{"connection_limit", "queue_budget"} {
		sm.slowOpts[i] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(sm.service, attrReason.String(reason)))}
	}
	add(sm.observeDrain(m))
	transports := [3]signalrconv.TransportAttr{signalrconv.TransportWebSockets, signalrconv.TransportServerSentEvents, signalrconv.TransportLongPolling}
	statuses := [3]signalrconv.ConnectionStatusAttr{signalrconv.ConnectionStatusNormalClosure, signalrconv.ConnectionStatusTimeout, signalrconv.ConnectionStatusAppShutdown}
	for i, tr := range transports {
		ta := sm.active.AttrTransport(tr)
		sm.activeOpts[i] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(sm.service, ta))}
		for j, st := range statuses {
			set := attribute.NewSet(sm.service, ta, sm.duration.AttrConnectionStatus(st))
			sm.durationOpts[i][j] = []metric.RecordOption{metric.WithAttributeSet(set)}
		}
	}
	err = sm.observeTraffic(m, protocols)
	add(err)
	return sm, errors.Join(errs...)
}

// observeTraffic registers the message and byte counters of every protocol.
func (sm *serverMetrics) observeTraffic(m metric.Meter, protocols []string) error {
	for _, p := range protocols {
		sm.traffic[p] = &traffic{attrs: metric.WithAttributeSet(attribute.NewSet(sm.service, attrProtocol.String(p)))}
	}
	counter := func(name, unit, desc string) metric.Int64ObservableCounter {
		c, err := m.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		if err != nil {
			return nil
		}
		return c
	}
	msgsIn := counter("signalr.server.messages.received", "{message}", "Hub protocol messages received from clients, by protocol.")
	msgsOut := counter("signalr.server.messages.sent", "{message}", "Hub protocol messages queued for clients, by protocol.")
	bytesIn := counter("signalr.server.bytes.received", "By", "Bytes received from clients after the handshake, by protocol.")
	bytesOut := counter("signalr.server.bytes.sent", "By", "Bytes of hub messages queued for clients, by protocol.")
	var insts []metric.Observable
	for _, c := range []metric.Int64ObservableCounter{msgsIn, msgsOut, bytesIn, bytesOut} {
		if c != nil {
			insts = append(insts, c)
		}
	}
	if len(insts) < 4 {
		return errors.New("signalr: creating the traffic counters failed")
	}
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for _, t := range sm.traffic {
			o.ObserveInt64(msgsIn, t.msgsIn.Load(), t.attrs)
			o.ObserveInt64(msgsOut, t.msgsOut.Load(), t.attrs)
			o.ObserveInt64(bytesIn, t.bytesIn.Load(), t.attrs)
			o.ObserveInt64(bytesOut, t.bytesOut.Load(), t.attrs)
		}
		return nil
	}, insts...)
	if reg != nil {
		sm.regs = append(sm.regs, reg)
	}
	return err
}

// methodList holds the methodMetrics built so far, which the invocations
// counter reads at collection.
type methodList struct {
	mu   sync.Mutex
	list []*methodMetrics
}

// observeInvocations registers the invocations counter.
func (sm *serverMetrics) observeInvocations(m metric.Meter) error {
	c, err := m.Int64ObservableCounter("signalr.server.invocations", metric.WithUnit("{invocation}"),
		metric.WithDescription("Hub method invocations that ended, by method and outcome."))
	if err != nil {
		return err
	}
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		sm.methods.mu.Lock()
		defer sm.methods.mu.Unlock()
		for _, mm := range sm.methods.list {
			for i := range mm.count {
				// An outcome that never happened has no data point, as
				// with a counter never added to.
				if n := mm.count[i].Load(); n > 0 {
					o.ObserveInt64(c, n, mm.obs[i])
				}
			}
		}
		return nil
	}, c)
	if reg != nil {
		sm.regs = append(sm.regs, reg)
	}
	return err
}

// observeTransport registers the gauges read from the connection layer
// (stats visits every connection, at collection time only).
func (sm *serverMetrics) observeTransport(stats func() transport.Stats) error {
	pending, err1 := sm.meter.Int64ObservableGauge("signalr.server.negotiations.pending", metric.WithUnit("{connection}"),
		metric.WithDescription("Connections negotiated whose client has not made its first transport request yet."))
	queued, err2 := sm.meter.Int64ObservableGauge("signalr.server.queued_bytes", metric.WithUnit("By"),
		metric.WithDescription("Bytes queued for clients and not yet handed to their transports."))
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	attrs := metric.WithAttributeSet(attribute.NewSet(sm.service))
	reg, err := sm.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		st := stats()
		o.ObserveInt64(pending, int64(st.Pending), attrs)
		o.ObserveInt64(queued, st.QueuedBytes, attrs)
		return nil
	}, pending, queued)
	if reg != nil {
		sm.regs = append(sm.regs, reg)
	}
	return err
}

// unregister stops the callbacks: a server that has shut down reports
// nothing more, and its meter keeps no reference to it.
func (sm *serverMetrics) unregister() {
	for _, r := range sm.regs {
		_ = r.Unregister()
	}
	sm.regs = nil
}

// transportIndex maps a transport to the index of its attribute options.
func transportIndex(t transport.Type) int {
	switch t {
	case transport.ServerSentEvents:
		return 1
	case transport.LongPolling:
		return 2
	}
	return 0
}

// statusIndex maps the error a connection ended with to
// signalr.connection.status, as ASP.NET Core classifies it.
func statusIndex(err error) int {
	switch {
	case errors.Is(err, transport.ErrShutdown):
		return 2
	case errors.Is(err, transport.ErrDisconnectTimeout), errors.Is(err, transport.ErrReconnectTimeout),
		errors.Is(err, errClientTimeout), errors.Is(err, errHandshakeTimeout):
		return 1
	}
	return 0
}

// connOpened counts a new connection.
func (sm *serverMetrics) connOpened(ctx context.Context, t transport.Type) {
	if sm.active.Enabled(ctx) {
		sm.active.Int64UpDownCounter.Add(ctx, 1, sm.activeOpts[transportIndex(t)]...)
	}
}

// connClosed counts the end of a connection opened at opened.
func (sm *serverMetrics) connClosed(ctx context.Context, t transport.Type, opened time.Time, err error) {
	ti := transportIndex(t)
	if sm.active.Enabled(ctx) {
		sm.active.Int64UpDownCounter.Add(ctx, -1, sm.activeOpts[ti]...)
	}
	if sm.duration.Enabled(ctx) {
		sm.duration.Float64Histogram.Record(ctx, time.Since(opened).Seconds(), sm.durationOpts[ti][statusIndex(err)]...)
	}
	if (errors.Is(err, transport.ErrSlowConsumer) || errors.Is(err, errReplayFull)) && sm.slow.Enabled(ctx) {
		reason := 0 // its own queue, or its stateful reconnect buffer
		if errors.Is(err, transport.ErrQueueBudget) {
			reason = 1
		}
		sm.slow.Add(ctx, 1, sm.slowOpts[reason]...)
	}
}

// resumed counts a stateful reconnect.
func (sm *serverMetrics) resumed(ctx context.Context) {
	if sm.reconnects.Enabled(ctx) {
		sm.reconnects.Add(ctx, 1, sm.reconnectOpt...)
	}
}

// methodMetrics are what a method's invocations are measured and traced
// with, built on its first invocation.
type methodMetrics struct {
	count     [2]atomic.Int64          // invocations ended: success, error
	obs       [2]metric.ObserveOption  // success, error
	rec       [2][]metric.RecordOption // success, error
	spanName  string
	spanOpts  []trace.SpanStartOption // built once: a variadic argument to Start would be allocated per call
	spanAttrs []attribute.KeyValue
}

// methodMetrics returns m's, building them on first use.
func (srv *Server) methodMetrics(m *method) *methodMetrics {
	if mm := m.metrics.Load(); mm != nil {
		return mm
	}
	sm := srv.metrics
	mm := &methodMetrics{spanName: srv.hubName + "/" + m.name}
	for i, outcome := range []string{"success", "error"} {
		set := attribute.NewSet(sm.service, attrMethod.String(m.name), attrOutcome.String(outcome))
		mm.obs[i] = metric.WithAttributeSet(set)
		mm.rec[i] = []metric.RecordOption{metric.WithAttributeSet(set)}
	}
	mm.spanOpts = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}
	mm.spanAttrs = []attribute.KeyValue{rpcSystem, sm.service, attrMethod.String(m.name)}
	if !m.metrics.CompareAndSwap(nil, mm) {
		return m.metrics.Load() // built at the same time by another invocation
	}
	sm.methods.mu.Lock()
	sm.methods.list = append(sm.methods.list, mm)
	sm.methods.mu.Unlock()
	return mm
}

// durationEnabled tells whether invocations are timed, which is when
// their start time is worth taking.
func (sm *serverMetrics) durationEnabled(ctx context.Context) bool {
	return sm.invDuration.Enabled(ctx)
}

// invoked counts an invocation with mm that ended with err, and records
// its duration if it was timed.
func (sm *serverMetrics) invoked(ctx context.Context, mm *methodMetrics, timed bool, took time.Duration, err error) {
	i := 0
	if err != nil {
		i = 1
	}
	mm.count[i].Add(1)
	if timed {
		sm.invDuration.Record(ctx, took.Seconds(), mm.rec[i]...)
	}
}
