package signalr

import (
	"context"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/signalr-go/signalr/protocol"
)

// gaugeValue returns the value of an int64 gauge's only data point.
func gaugeValue(agg metricdata.Aggregation) (int64, bool) {
	g, ok := agg.(metricdata.Gauge[int64])
	if !ok || len(g.DataPoints) != 1 {
		return 0, false
	}
	return g.DataPoints[0].Value, true
}

// drainFigures reads the three drain metrics.
func drainFigures(t *testing.T, reader sdkmetric.Reader) (draining, remaining, told int64) {
	t.Helper()
	m := collectMetrics(t, reader)
	var ok1, ok2, ok3 bool
	draining, ok1 = gaugeValue(m["signalr.server.draining"])
	remaining, ok2 = sumFor(m["signalr.server.drain.connections_remaining"])
	told, ok3 = sumFor(m["signalr.server.drain.reconnect_requests"])
	if !ok1 || !ok2 || !ok3 {
		t.Fatalf("drain metrics missing: %v %v %v", m["signalr.server.draining"],
			m["signalr.server.drain.connections_remaining"], m["signalr.server.drain.reconnect_requests"])
	}
	return draining, remaining, told
}

// TestDrainMetrics follows a drain of three connections paced a minute
// apart: before it, nothing; once the first is told to reconnect, the
// server reports draining, one connection told and two to go.
func TestDrainMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	srv, url := startE2E(t, telemetryHub{}, Options{MeterProvider: mp, DrainPeriod: time.Hour})
	srv.drainStepMax = time.Minute // the test ends the drain by cancelling it
	for range 3 {
		dialHub(t, url, protocol.NewJSON(), nil)
	}
	if d, r, n := drainFigures(t, reader); d != 0 || r != 0 || n != 0 {
		t.Fatalf("before Shutdown: draining %d, remaining %d, told %d; want 0 0 0", d, r, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx) }()
	deadline := time.Now().Add(waitTimeout)
	for {
		d, r, n := drainFigures(t, reader)
		if n == 1 {
			if d != 1 || r != 2 {
				t.Errorf("one connection told: draining %d, remaining %d; want 1 and 2", d, r)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection told to reconnect: draining %d, remaining %d, told %d", d, r, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel() // the rest are told at once
	<-done
	// Shutdown unregistered the callbacks; the counts they read are final.
	if r, n := srv.metrics.drain.remaining.Load(), srv.metrics.drain.told.Load(); r != 0 || n != 3 {
		t.Errorf("after the drain: remaining %d, told %d; want 0 and 3", r, n)
	}
}
