package signalr

import (
	"context"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Traces follow ASP.NET Core 9's hub method activities: one server span
// per invocation, named "<hub>/<method>", with rpc.system "signalr",
// rpc.service the hub's name and rpc.method the method's; its parent is
// the W3C trace context the client sent in the invocation's headers
// (traceparent, tracestate: the .NET 9 client sends them), and a failed
// invocation sets error.type and the span's status to Error. The hub
// method's Context carries the span, so the spans it starts are children.

// unsetTracerProvider is the global tracer provider as it is before a
// program sets one: the delegating placeholder, which would cost a context
// per invocation and record nothing. Comparing with it never panics, its
// dynamic type being a pointer.
var unsetTracerProvider = otel.GetTracerProvider()

// tracerFor returns the tracer of tp (nil: the global provider as it is
// now), or nil when no provider is configured, in which case invocations
// start no span at all.
func tracerFor(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		tp = otel.GetTracerProvider()
		if tp == unsetTracerProvider {
			return nil
		}
	}
	if _, ok := tp.(noop.TracerProvider); ok {
		return nil
	}
	return tp.Tracer(instrumentationName)
}

var traceContext propagation.TraceContext

var rpcSystem = attribute.String("rpc.system", "signalr")

// startSpan starts the span of an invocation of mm's method, returning
// the context the method runs in.
func (srv *Server) startSpan(ctx context.Context, c *call, mm *methodMetrics) (context.Context, trace.Span) {
	if len(c.Headers) > 0 {
		ctx = traceContext.Extract(ctx, propagation.MapCarrier(c.Headers))
	}
	ctx, span := srv.tracer.Start(ctx, mm.spanName, mm.spanOpts...)
	if span.IsRecording() {
		// Set here rather than passed to Start, where they would cost an
		// allocation for every span, the sampled out included; samplers
		// see the method in the span's name.
		span.SetAttributes(mm.spanAttrs...)
	}
	return ctx, span
}

// endSpan records err on span and ends it at end (zero: now).
func endSpan(span trace.Span, end time.Time, err error) {
	if span == nil {
		return
	}
	if err != nil {
		span.SetAttributes(attribute.String("error.type", spanErrorType(err)))
		span.SetStatus(codes.Error, err.Error())
	}
	if end.IsZero() {
		span.End()
		return
	}
	span.End(trace.WithTimestamp(end))
}

// spanErrorType names an error for error.type, as .NET puts the
// exception's type there: the name detailed error texts show.
func spanErrorType(err error) string {
	return strings.TrimPrefix(strings.SplitN(errorDetail(err), ":", 2)[0], " ")
}

// callObservation is what beginCall started for one invocation.
//
// Its times are taken when the method returns (stopCall), but recorded only
// after the answer is on its way (endCall): the histogram's Record and the
// span's End then cost the caller no latency, while durations still cover
// the method alone, as ASP.NET Core's activity does. Start and stop read
// the monotonic clock only, as a duration since the server's epoch, which
// costs half of a time.Now.
type callObservation struct {
	mm      *methodMetrics
	timed   bool
	start   time.Duration // since the server's epoch
	took    time.Duration // set by stop
	stopped bool
	span    trace.Span // nil: not traced
	end     time.Time  // when a recorded span's method returned
}

// beginCall starts measuring and tracing an invocation; the call's
// context then carries its span.
func (srv *Server) beginCall(c *call) callObservation {
	o := callObservation{mm: srv.methodMetrics(c.m)}
	ctx := c.ctx.Context
	if srv.metrics.durationEnabled(ctx) {
		o.timed, o.start = true, time.Since(srv.epoch)
	}
	if srv.tracer != nil && (srv.opts.TraceFilter == nil || srv.opts.TraceFilter(&c.Invocation)) {
		c.ctx.Context, o.span = srv.startSpan(ctx, c, o.mm)
	}
	return o
}

// stopCall marks the end of the invocation's method; endCall records it.
func (srv *Server) stopCall(o *callObservation) {
	o.stopped = true
	if o.timed {
		o.took = time.Since(srv.epoch) - o.start
	}
	if o.span != nil && o.span.IsRecording() {
		o.end = time.Now()
	}
}

// endCall records an invocation started with beginCall, which ended with
// err, as of its stop (now if it was not stopped).
func (srv *Server) endCall(o callObservation, c *call, err error) {
	if !o.stopped {
		srv.stopCall(&o)
	}
	srv.metrics.invoked(c.ctx.Context, o.mm, o.timed, o.took, err)
	endSpan(o.span, o.end, err)
}
