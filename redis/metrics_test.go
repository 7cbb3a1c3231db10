package redis

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/signalr-go/signalr/internal/redistest"
)

// metricValues collects reader's int64 sums and gauges by name and
// attribute value ("" for none), and histogram counts by name.
func metricValues(t *testing.T, reader sdkmetric.Reader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					key := m.Name
					for _, kv := range dp.Attributes.ToSlice() {
						key += "/" + kv.Value.AsString()
					}
					out[key] = dp.Value
				}
			case metricdata.Gauge[int64]:
				for _, dp := range d.DataPoints {
					out[m.Name] = dp.Value
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					out[m.Name] = int64(dp.Count)
				}
			}
		}
	}
	return out
}

// TestMetrics sends across two servers over a real Redis, restarts it,
// and reads the backplane's metrics through the OpenTelemetry SDK.
func TestMetrics(t *testing.T) {
	srv := redistest.Start(t)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	s1 := newNode(t, []string{srv.Addr}, func(o *Options) { o.MeterProvider = mp })
	s2 := newNode(t, []string{srv.Addr})
	c := s2.add(t, newConn("c", ""))
	s1.add(t, newConn("a", ""))
	for range 3 {
		s1.send(t, all(), "Hello", "x")
	}
	c.waitN(t, 3)
	// The echoes may come back before the pipeline's answers are counted.
	waitUntil(t, "the echoes and the answers", func() bool { st := s1.b.Stats(); return st.Echoes >= 3 && st.Published >= 3 })
	m := metricValues(t, reader)
	if m["signalr.backplane.publications/published"] < 3 || m["signalr.backplane.publish.duration"] < 1 {
		t.Errorf("publications %d, publish durations %d; want at least 3 and 1", m["signalr.backplane.publications/published"], m["signalr.backplane.publish.duration"])
	}
	if m["signalr.backplane.receptions"] < 3 || m["signalr.backplane.echoes"] < 3 {
		t.Errorf("receptions %d, echoes %d; want the 3 echoes at least", m["signalr.backplane.receptions"], m["signalr.backplane.echoes"])
	}
	if m["signalr.backplane.up"] != 1 || m["signalr.backplane.reconnects"] != 0 {
		t.Errorf("up %d, reconnects %d; want 1 and 0", m["signalr.backplane.up"], m["signalr.backplane.reconnects"])
	}

	srv.Kill()
	waitUntil(t, "the server to notice", func() bool { return !s1.b.isUp() })
	if m := metricValues(t, reader); m["signalr.backplane.up"] != 0 {
		t.Errorf("up %d while Redis is down", m["signalr.backplane.up"])
	}
	_ = s1.h.Send(ctx5(t), all(), msg("Lost", "x")) // fails: counted as dropped
	srv.Restart()
	waitUntil(t, "the server to reconnect", func() bool { return s1.b.isUp() })
	m = metricValues(t, reader)
	if m["signalr.backplane.up"] != 1 || m["signalr.backplane.reconnects"] != 1 {
		t.Errorf("after the restart: up %d, reconnects %d; want 1 and 1", m["signalr.backplane.up"], m["signalr.backplane.reconnects"])
	}
	if m["signalr.backplane.publications/dropped"] < 1 || m["signalr.backplane.errors/publish_failed"] < 1 {
		t.Errorf("dropped %d, publish errors %d; want at least 1", m["signalr.backplane.publications/dropped"], m["signalr.backplane.errors/publish_failed"])
	}
}
