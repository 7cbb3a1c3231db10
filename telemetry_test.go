package signalr

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/signalr-go/signalr/protocol"
	"github.com/signalr-go/signalr/transport"
)

// telemetryHub has a method that works and one that fails.
type telemetryHub struct{}

func (telemetryHub) Echo(s string) string { return s }
func (telemetryHub) Fail() error          { return errors.New("it failed") }

// SpanID returns the span its context carries: all zeros for none.
func (telemetryHub) SpanID(c *Context) string {
	return trace.SpanContextFromContext(c).SpanID().String()
}

// Unsendable returns what no protocol can encode: the invocation fails
// after the method returned.
func (telemetryHub) Unsendable() chan int { return make(chan int) }

// waitUntil waits for cond, which becomes true after the client has its
// answer: an invocation is recorded once its Completion is on its way.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(waitTimeout); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// collectMetrics returns the metrics of reader by name.
func collectMetrics(t *testing.T, reader sdkmetric.Reader) map[string]metricdata.Aggregation {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m.Data
		}
	}
	return out
}

// sumFor returns the value of an int64 sum's data point whose attributes
// include every one of want.
func sumFor(agg metricdata.Aggregation, want ...attribute.KeyValue) (int64, bool) {
	s, ok := agg.(metricdata.Sum[int64])
	if !ok {
		return 0, false
	}
	for _, dp := range s.DataPoints {
		if hasAll(dp.Attributes, want) {
			return dp.Value, true
		}
	}
	return 0, false
}

// histCount returns the count of a float64 histogram's data point whose
// attributes include every one of want.
func histCount(agg metricdata.Aggregation, want ...attribute.KeyValue) uint64 {
	h, ok := agg.(metricdata.Histogram[float64])
	if !ok {
		return 0
	}
	for _, dp := range h.DataPoints {
		if hasAll(dp.Attributes, want) {
			return dp.Count
		}
	}
	return 0
}

func hasAll(set attribute.Set, want []attribute.KeyValue) bool {
	for _, kv := range want {
		if v, ok := set.Value(kv.Key); !ok || v != kv.Value {
			return false
		}
	}
	return true
}

func TestMetricsOverRealConnections(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	_, url := startE2E(t, telemetryHub{}, Options{MeterProvider: mp})
	c := dialHubOnly(t, url, protocol.NewJSON(), nil)
	ws := attribute.String("signalr.transport", "web_sockets")
	svc := attribute.String("rpc.service", "telemetryHub")

	m := collectMetrics(t, reader)
	if v, _ := sumFor(m["signalr.server.active_connections"], ws, svc); v != 1 {
		t.Errorf("active connections (web_sockets) = %d, want 1", v)
	}
	for i, id := range []string{"1", "2"} {
		c.send(&protocol.Invocation{InvocationID: id, Target: "echo", Arguments: []any{"hi"}})
		if cm, _ := c.completion(id); cm.Error != "" {
			t.Fatalf("invocation %d: %s", i, cm.Error)
		}
	}
	c.send(&protocol.Invocation{InvocationID: "3", Target: "Fail"})
	if cm, _ := c.completion("3"); cm.Error == "" {
		t.Fatal("Fail did not fail")
	}
	c.send(&protocol.Invocation{InvocationID: "4", Target: "Unsendable"})
	if cm, _ := c.completion("4"); cm.Error == "" {
		t.Fatal("Unsendable did not fail")
	}
	echoOK := []attribute.KeyValue{svc, attribute.String("rpc.method", "Echo"), attribute.String("signalr.invocation.outcome", "success")}
	failErr := []attribute.KeyValue{svc, attribute.String("rpc.method", "Fail"), attribute.String("signalr.invocation.outcome", "error")}
	unsendable := []attribute.KeyValue{svc, attribute.String("rpc.method", "Unsendable"), attribute.String("signalr.invocation.outcome", "error")}
	waitUntil(t, "four invocations recorded", func() bool {
		m = collectMetrics(t, reader)
		sum, _ := m["signalr.server.invocations"].(metricdata.Sum[int64])
		n := int64(0)
		for _, dp := range sum.DataPoints { // every method and outcome
			n += dp.Value
		}
		return n >= 4
	})
	if v, _ := sumFor(m["signalr.server.invocations"], unsendable...); v != 1 {
		t.Errorf("Unsendable errors = %d, want 1 (the result could not be sent)", v)
	}
	if v, _ := sumFor(m["signalr.server.invocations"], echoOK...); v != 2 {
		t.Errorf("Echo successes = %d, want 2", v)
	}
	if v, _ := sumFor(m["signalr.server.invocations"], failErr...); v != 1 {
		t.Errorf("Fail errors = %d, want 1", v)
	}
	if n := histCount(m["signalr.server.invocation.duration"], echoOK...); n != 2 {
		t.Errorf("Echo duration count = %d, want 2", n)
	}
	json := attribute.String("signalr.protocol", "json")
	if v, _ := sumFor(m["signalr.server.messages.received"], json); v != 4 {
		t.Errorf("messages received = %d, want 4", v)
	}
	if v, _ := sumFor(m["signalr.server.messages.sent"], json); v < 4 {
		t.Errorf("messages sent = %d, want at least 4 completions", v)
	}
	if v, _ := sumFor(m["signalr.server.bytes.received"], json); v < 60 {
		t.Errorf("bytes received = %d, want the three invocations' bytes", v)
	}

	c.send(&protocol.Close{})
	c.ws.Close()
	deadline := time.Now().Add(waitTimeout)
	for {
		m = collectMetrics(t, reader)
		v, _ := sumFor(m["signalr.server.active_connections"], ws)
		n := histCount(m["signalr.server.connection.duration"], ws, attribute.String("signalr.connection.status", "normal_closure"))
		if v == 0 && n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the close: active = %d, duration count = %d; want 0 and 1", v, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSlowConsumerAndTransportGauges(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	srv := newTestServer(t, telemetryHub{}, Options{MeterProvider: mp})
	// As the transport ends a connection over its own queue limit, and
	// two shed by the server-wide budget.
	connect(t, srv, "json").fc.Close(transport.ErrSlowConsumer)
	connect(t, srv, "json").fc.Close(transport.ErrQueueBudget)
	connect(t, srv, "json").fc.Close(transport.ErrQueueBudget)
	own := attribute.String("signalr.slow_consumer.reason", "connection_limit")
	shed := attribute.String("signalr.slow_consumer.reason", "queue_budget")
	deadline := time.Now().Add(waitTimeout)
	for {
		m := collectMetrics(t, reader)
		v1, _ := sumFor(m["signalr.server.slow_consumers"], own)
		v2, _ := sumFor(m["signalr.server.slow_consumers"], shed)
		if v1 == 1 && v2 == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slow consumers counted: connection_limit %d, queue_budget %d; want 1 and 2", v1, v2)
		}
		time.Sleep(5 * time.Millisecond)
	}
	m := collectMetrics(t, reader)
	for _, name := range []string{"signalr.server.negotiations.pending", "signalr.server.queued_bytes"} {
		if _, ok := m[name].(metricdata.Gauge[int64]); !ok {
			t.Errorf("%s missing: %v", name, m[name])
		}
	}
}

// TestShutdownCountsAppShutdown: a drained connection ends with the
// app_shutdown status of the semantic conventions.
func TestShutdownCountsAppShutdown(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	srv, url := startE2E(t, telemetryHub{}, Options{MeterProvider: mp})
	dialHub(t, url, protocol.NewJSON(), nil)
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := collectMetrics(t, reader)
	shutdown := attribute.String("signalr.connection.status", "app_shutdown")
	if n := histCount(m["signalr.server.connection.duration"], shutdown); n != 1 {
		t.Errorf("app_shutdown durations %d, want 1", n)
	}
	if v, _ := sumFor(m["signalr.server.active_connections"]); v != 0 {
		t.Errorf("active connections %d after Shutdown", v)
	}
}

func TestSpanPerInvocation(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	_, url := startE2E(t, telemetryHub{}, Options{TracerProvider: tp, HubName: "TelemetryHub"})
	c := dialHub(t, url, protocol.NewMessagePack(), nil)

	const parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	c.send(&protocol.Invocation{InvocationID: "1", Target: "Echo", Arguments: []any{"x"},
		Headers: map[string]string{"traceparent": parent, "tracestate": "k=v"}})
	c.completion("1")
	c.send(&protocol.Invocation{InvocationID: "2", Target: "Fail"})
	c.completion("2")
	c.send(&protocol.Invocation{InvocationID: "3", Target: "Unsendable"})
	c.completion("3")

	waitUntil(t, "three spans", func() bool { return len(exp.GetSpans()) >= 3 })
	spans := exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("%d spans, want 3: %v", len(spans), spans)
	}
	echo, fail, unsendable := spans[0], spans[1], spans[2]
	if unsendable.Status.Code != codes.Error {
		t.Errorf("Unsendable span status %v, want Error: its result could not be sent", unsendable.Status)
	}
	if !unsendable.EndTime.After(unsendable.StartTime) {
		t.Errorf("Unsendable span from %v to %v", unsendable.StartTime, unsendable.EndTime)
	}
	if echo.Name != "TelemetryHub/Echo" || echo.SpanKind != trace.SpanKindServer {
		t.Errorf("span %q kind %v, want TelemetryHub/Echo, server", echo.Name, echo.SpanKind)
	}
	want := map[attribute.Key]string{"rpc.system": "signalr", "rpc.service": "TelemetryHub", "rpc.method": "Echo"}
	for _, kv := range echo.Attributes {
		if w, ok := want[kv.Key]; ok && kv.Value.AsString() == w {
			delete(want, kv.Key)
		}
	}
	if len(want) > 0 {
		t.Errorf("span attributes %v lack %v", echo.Attributes, want)
	}
	if got := echo.Parent.TraceID().String(); got != "0af7651916cd43dd8448eb211c80319c" || !echo.Parent.IsRemote() {
		t.Errorf("parent trace %s (remote %v), want the traceparent's", got, echo.Parent.IsRemote())
	}
	if got := echo.Parent.SpanID().String(); got != "b7ad6b7169203331" {
		t.Errorf("parent span %s, want b7ad6b7169203331", got)
	}
	if echo.SpanContext.TraceID() != echo.Parent.TraceID() || echo.Parent.TraceState().Get("k") != "v" {
		t.Errorf("span not in the client's trace: %v, state %q", echo.SpanContext.TraceID(), echo.Parent.TraceState())
	}
	if echo.Status.Code != codes.Unset {
		t.Errorf("Echo span status %v", echo.Status)
	}
	if fail.Name != "TelemetryHub/Fail" || fail.Status.Code != codes.Error || fail.Parent.IsValid() {
		t.Errorf("Fail span %q status %v parent %v, want an error span with no parent", fail.Name, fail.Status, fail.Parent)
	}
	var errType string
	for _, kv := range fail.Attributes {
		if kv.Key == "error.type" {
			errType = kv.Value.AsString()
		}
	}
	if errType == "" {
		t.Errorf("Fail span has no error.type: %v", fail.Attributes)
	}
}

func TestStats(t *testing.T) {
	srv, url := startE2E(t, telemetryHub{}, Options{})
	j := dialHub(t, url, protocol.NewJSON(), nil)
	dialHub(t, url, protocol.NewMessagePack(), nil)
	dialHub(t, url, protocol.NewMessagePack(), nil)
	j.send(&protocol.Invocation{InvocationID: "1", Target: "Echo", Arguments: []any{"x"}})
	j.completion("1")
	st := srv.Stats()
	want := []ConnectionCount{{"WebSockets", "json", 1}, {"WebSockets", "messagepack", 2}}
	if len(st.Connections) != 2 || st.Connections[0] != want[0] || st.Connections[1] != want[1] {
		t.Errorf("connections %+v, want %+v", st.Connections, want)
	}
	if st.MessagesReceived != 1 || st.MessagesSent < 1 || st.BytesReceived == 0 || st.BytesSent == 0 {
		t.Errorf("traffic %+v", st)
	}
}

func TestStatefulReconnectCounted(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	srv := newTestServer(t, newTestHub(), Options{MeterProvider: mp})
	c := open(t, srv, "json", func(f *fakeConn) { f.stateful = true })
	c.handshake(2)
	c.fc.recv.Resume(c.fc.Write) // as the transport does for a reconnected WebSocket
	if v, _ := sumFor(collectMetrics(t, reader)["signalr.server.stateful_reconnects"]); v != 1 {
		t.Errorf("stateful reconnects %d, want 1", v)
	}
}

// TestInstrumentationAllocs checks what the instrumentation allocates per
// invocation: nothing without a provider or with the metrics SDK, and with
// a tracer no more than the SDK's own Start and End (here for a span the
// sampler drops, the common case under a ratio sampler).
func TestInstrumentationAllocs(t *testing.T) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer mp.Shutdown(context.Background())
	never := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
	defer never.Shutdown(context.Background())
	tracer := never.Tracer("t")
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}
	sdkAllocs := testing.AllocsPerRun(200, func() {
		_, span := tracer.Start(context.Background(), "Hub/Echo", opts...)
		span.End()
	})
	for _, tc := range []struct {
		name string
		opts Options
		want float64
	}{
		{"no provider", Options{}, 0},
		{"metrics", Options{MeterProvider: mp}, 0},
		{"unsampled traces", Options{MeterProvider: mp, TracerProvider: never}, sdkAllocs},
		{"traces filtered out", Options{MeterProvider: mp, TracerProvider: never, TraceFilter: func(*Invocation) bool { return false }}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Logger = discardLogger()
			srv, err := NewServer(newTestHub(), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Shutdown(context.Background())
			var c call
			c.m = srv.table.Load().lookup("Echo")
			got := testing.AllocsPerRun(200, func() {
				c.ctx.Context = context.Background()
				o := srv.beginCall(&c)
				srv.stopCall(&o)
				srv.endCall(o, &c, nil)
			})
			if got != tc.want {
				t.Errorf("%v allocations per invocation, want %v", got, tc.want)
			}
		})
	}
}

// A TraceFilter keeps the invocations whose client sent a traceparent:
// the others start no span, and their method's context carries none.
func TestTraceFilter(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	var asked []string
	filter := func(inv *Invocation) bool {
		asked = append(asked, inv.Method) // invocations of one connection run one at a time
		return inv.Headers["traceparent"] != ""
	}
	_, url := startE2E(t, telemetryHub{}, Options{TracerProvider: tp, TraceFilter: filter})
	c := dialHub(t, url, protocol.NewJSON(), nil)

	const parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	c.send(&protocol.Invocation{InvocationID: "1", Target: "SpanID"})
	untraced, _ := c.completion("1")
	c.send(&protocol.Invocation{InvocationID: "2", Target: "SpanID", Headers: map[string]string{"traceparent": parent}})
	traced, _ := c.completion("2")
	c.send(&protocol.Invocation{InvocationID: "3", Target: "Fail"})
	c.completion("3")

	var untracedID, tracedID string
	c.value(untraced.Result, &untracedID)
	c.value(traced.Result, &tracedID)
	if untracedID != "0000000000000000" {
		t.Errorf("a filtered-out invocation ran in span %s", untracedID)
	}
	waitUntil(t, "the traced invocation's span", func() bool { return len(exp.GetSpans()) >= 1 })
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].Name != "telemetryHub/SpanID" || spans[0].SpanContext.SpanID().String() != tracedID {
		t.Fatalf("spans %v, want only the traceparent's invocation's, whose method saw span %s", spans, tracedID)
	}
	if spans[0].Parent.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" {
		t.Errorf("the kept span's parent is %v, want the traceparent's", spans[0].Parent)
	}
	if len(asked) != 3 || asked[0] != "SpanID" || asked[2] != "Fail" {
		t.Errorf("the filter was asked about %v, want every invocation", asked)
	}
}
