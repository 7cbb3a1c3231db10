// Package telemetry wires the OpenTelemetry SDK into the programs
// (cmd/chat, signalr-load serve): metrics exposed as Prometheus text at
// /metrics, traces exported over OTLP/HTTP when the standard
// OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
// variable is set, and the /healthz and /readyz probes.
//
// Metrics go through OpenTelemetry's Prometheus exporter into a registry
// of their own (with the Go runtime and process collectors beside them):
// the library records through the OpenTelemetry API only, so the same
// instruments reach any other exporter a program prefers, and the exporter
// gives the Prometheus names operators expect (signalr_server_active_connections,
// signalr_server_connection_duration_seconds, counters ending in _total).
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Telemetry is the SDK a program configured.
type Telemetry struct {
	// Metrics serves the Prometheus text exposition.
	Metrics http.Handler
	// Tracing is true when traces are exported (OTLP endpoint set).
	Tracing bool

	shutdown []func(context.Context) error
}

// Setup configures the global meter provider (and tracer provider when an
// OTLP endpoint is set) for service, before the program creates its hub
// servers. Shutdown flushes them.
func Setup(ctx context.Context, service string) (*Telemetry, error) {
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName(service)))
	if err != nil {
		res = resource.Default()
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("telemetry: prometheus exporter: %w", err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp), sdkmetric.WithResource(res))
	otel.SetMeterProvider(mp)
	t := &Telemetry{
		Metrics:  promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		shutdown: []func(context.Context) error{mp.Shutdown},
	}
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return t, nil
	}
	// The exporter reads the endpoint, headers and TLS settings from the
	// standard variables itself.
	te, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("telemetry: OTLP trace exporter: %w", err), mp.Shutdown(ctx))
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(te), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	t.Tracing = true
	t.shutdown = append(t.shutdown, tp.Shutdown)
	return t, nil
}

// Shutdown flushes and stops the providers.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	for _, f := range t.shutdown {
		errs = append(errs, f(ctx))
	}
	return errors.Join(errs...)
}

// Handler serves /metrics (unless metrics are served elsewhere: nil t),
// /healthz (200 while the process serves) and /readyz (200 while ready()
// is true, 503 otherwise, e.g. while draining), and everything else from
// app.
func Handler(app http.Handler, t *Telemetry, ready func() bool) http.Handler {
	mux := http.NewServeMux()
	if t != nil {
		mux.Handle("GET /metrics", t.Metrics)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if !ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("draining\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.Handle("/", app)
	return mux
}
