package signalr

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/signalr-go/signalr/internal/benchcpu"
	"github.com/signalr-go/signalr/protocol"
)

// BenchmarkTelemetry runs the echo, broadcast and round-trip benchmarks
// without a provider ("off": the global providers, unset) and with the
// OpenTelemetry SDK configured: a meter provider with a reader ("metrics"),
// and besides it a tracer provider sampling every invocation ("traces") or
// one in a hundred ("traces1%") into a batch processor; one after the
// other in the same run, for the cost of the instrumentation.
func BenchmarkTelemetry(b *testing.B) {
	for _, mode := range telemetryModes {
		opts := func(b *testing.B) Options { return telemetryOptions(b, mode) }
		b.Run("WebSocketEcho/json/"+mode, func(b *testing.B) { benchWebSocketEcho(b, protocol.NewJSON(), opts(b)) })
		b.Run("Broadcast/1000/"+mode, func(b *testing.B) { benchBroadcast(b, 1000, opts(b)) })
		b.Run("DispatchRoundTrip/json/"+mode, func(b *testing.B) {
			o := opts(b)
			o.Logger = discardLogger()
			srv, _ := NewServer(newTestHub(), o)
			defer srv.Shutdown(context.Background())
			rc := newRoundTripConn(b, srv, "json", 0)
			defer rc.Close(nil)
			frame, _ := srv.protocols["json"].Append(nil, &protocol.Invocation{InvocationID: "1", Target: "Echo", Arguments: []any{"hello"}})
			benchcpu.Measure(b, func() {
				for range b.N {
					rc.call(frame)
				}
			})
		})
	}
}

// BenchmarkTelemetryCall measures what the instrumentation adds to one
// invocation, without the connection around it: beginCall, stop and
// endCall on an Echo call, under the same configurations as
// BenchmarkTelemetry; the part of it that delays the answer ("answer":
// beginCall and stop, endCall running once the answer is queued); the
// trace path alone ("span": startSpan and endSpan); and, for comparison,
// the SDK alone ("sdkspan"): tracer.Start and End with the same tracer
// provider and span kind, which is the part of the traced cost that is
// the SDK's. span minus sdkspan is what the server's trace path adds.
func BenchmarkTelemetryCall(b *testing.B) {
	for _, mode := range telemetryModes {
		o := telemetryOptions(b, mode)
		b.Run(mode, func(b *testing.B) {
			o.Logger = discardLogger()
			srv, _ := NewServer(newTestHub(), o)
			defer srv.Shutdown(context.Background())
			var c call
			c.m = srv.table.Load().lookup("Echo")
			c.ctx.Context = context.Background()
			b.ReportAllocs()
			for range b.N {
				c.ctx.Context = context.Background()
				o := srv.beginCall(&c)
				srv.stopCall(&o)
				srv.endCall(o, &c, nil)
			}
		})
		b.Run("answer/"+mode, func(b *testing.B) {
			o.Logger = discardLogger()
			srv, _ := NewServer(newTestHub(), o)
			defer srv.Shutdown(context.Background())
			var c call
			c.m = srv.table.Load().lookup("Echo")
			var obs [256]callObservation // ended in batches, off the clock
			b.ReportAllocs()
			for done := 0; done < b.N; {
				n := min(len(obs), b.N-done)
				for i := range n {
					c.ctx.Context = context.Background()
					obs[i] = srv.beginCall(&c)
					srv.stopCall(&obs[i])
				}
				b.StopTimer()
				for i := range n {
					srv.endCall(obs[i], &c, nil)
				}
				b.StartTimer()
				done += n
			}
		})
		if o.TracerProvider == nil {
			continue
		}
		b.Run("span/"+mode, func(b *testing.B) {
			o.Logger = discardLogger()
			srv, _ := NewServer(newTestHub(), o)
			defer srv.Shutdown(context.Background())
			var c call
			mm := srv.methodMetrics(srv.table.Load().lookup("Echo"))
			b.ReportAllocs()
			for range b.N {
				_, span := srv.startSpan(context.Background(), &c, mm)
				endSpan(span, time.Time{}, nil)
			}
		})
		b.Run("sdkspan/"+mode, func(b *testing.B) {
			tr := o.TracerProvider.Tracer("bench")
			ctx := context.Background()
			kind := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)} // as the server's spans
			b.ReportAllocs()
			for range b.N {
				_, span := tr.Start(ctx, "Hub/Echo", kind...)
				span.End()
			}
		})
	}
}

// telemetryModes are the configurations the telemetry benchmarks compare.
var telemetryModes = []string{"off", "metrics", "traces", "traces1%", "filter1%"}

// telemetryOptions returns the providers of a BenchmarkTelemetry mode,
// shut down when b ends: "filter1%" samples one in a hundred invocations
// with a TraceFilter, which the tracer, sampling all, never sees the
// others of (and keeps those whose client sent a traceparent).
func telemetryOptions(b *testing.B, mode string) Options {
	if mode == "off" {
		return Options{}
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	if mode == "metrics" {
		return Options{MeterProvider: mp}
	}
	sampler := sdktrace.ParentBased(sdktrace.AlwaysSample())
	if mode == "traces1%" {
		sampler = sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.01))
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler), sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	o := Options{MeterProvider: mp, TracerProvider: tp}
	if mode == "filter1%" {
		o.TraceFilter = func(inv *Invocation) bool { return inv.Headers["traceparent"] != "" || rand.N(100) == 0 }
	}
	return o
}
