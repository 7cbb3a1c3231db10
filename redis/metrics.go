package redis

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Metrics of the backplane, through the OpenTelemetry API (the meter
// provider of Options.MeterProvider, default the global one), named in the
// style of the hub's signalr.server.* instruments:
//
//	signalr.backplane.publications      {publication} written to Redis (signalr.backplane.outcome: published) or not (dropped)
//	signalr.backplane.receptions        {message}     received from Redis, echoes of this server's own included
//	signalr.backplane.echoes            {message}     echoes of this server's own publications, not delivered again
//	signalr.backplane.errors            {error}       error.type: publish_failed, invalid_payload
//	signalr.backplane.reconnects        {reconnect}   the subscriber connection came back
//	signalr.backplane.up                {state}       1 while the subscriber is connected and subscribed
//	signalr.backplane.publish.duration  s             one pipelined batch of publications, written and answered
//
// The counters are the backplane's own (see [Stats]), read when the SDK
// collects, so the publish and receive paths pay nothing for them.

const instrumentationName = "github.com/signalr-go/signalr/redis"

// backplaneMetrics are a backplane's instruments.
type backplaneMetrics struct {
	publishDuration metric.Float64Histogram
	reg             metric.Registration
}

// instrument registers the backplane's instruments on mp (nil: the
// global provider). A failure is logged: metrics never stop the backplane.
func (b *Backplane) instrument(mp metric.MeterProvider) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(instrumentationName)
	var err error
	b.metrics.publishDuration, err = m.Float64Histogram("signalr.backplane.publish.duration", metric.WithUnit("s"),
		metric.WithDescription("How long a pipelined batch of publications took to be written to Redis and answered."),
		metric.WithExplicitBucketBoundaries(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3))
	if err != nil {
		b.log.Warn("redis: metrics", "error", err)
	}
	counter := func(name, unit, desc string) metric.Int64ObservableCounter {
		c, cerr := m.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		if cerr != nil {
			err = cerr
		}
		return c
	}
	pubs := counter("signalr.backplane.publications", "{publication}", "Publications written to Redis, or dropped.")
	recv := counter("signalr.backplane.receptions", "{message}", "Messages received from Redis, echoes included.")
	echoes := counter("signalr.backplane.echoes", "{message}", "Echoes of this server's own publications, not delivered again.")
	errs := counter("signalr.backplane.errors", "{error}", "Publications that failed and payloads that could not be read.")
	reconnects := counter("signalr.backplane.reconnects", "{reconnect}", "Times the subscriber connection to Redis came back.")
	up, gerr := m.Int64ObservableGauge("signalr.backplane.up", metric.WithUnit("{state}"),
		metric.WithDescription("1 while the backplane is connected to Redis and subscribed, else 0."))
	if err != nil || gerr != nil {
		b.log.Warn("redis: metrics", "error", err, "gauge", gerr)
		return
	}
	published := metric.WithAttributeSet(attribute.NewSet(attribute.String("signalr.backplane.outcome", "published")))
	dropped := metric.WithAttributeSet(attribute.NewSet(attribute.String("signalr.backplane.outcome", "dropped")))
	pubFailed := metric.WithAttributeSet(attribute.NewSet(attribute.String("error.type", "publish_failed")))
	invalid := metric.WithAttributeSet(attribute.NewSet(attribute.String("error.type", "invalid_payload")))
	b.metrics.reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		st := b.Stats()
		o.ObserveInt64(pubs, int64(st.Published), published)
		o.ObserveInt64(pubs, int64(st.Dropped), dropped)
		o.ObserveInt64(recv, int64(st.Received))
		o.ObserveInt64(echoes, int64(st.Echoes))
		o.ObserveInt64(errs, int64(st.Dropped), pubFailed)
		o.ObserveInt64(errs, int64(st.Invalid), invalid)
		o.ObserveInt64(reconnects, int64(st.Reconnects))
		var v int64
		if b.isUp() {
			v = 1
		}
		o.ObserveInt64(up, v)
		return nil
	}, pubs, recv, echoes, errs, reconnects, up)
	if err != nil {
		b.log.Warn("redis: metrics", "error", err)
	}
}

// publishStarted returns the start of a batch's write, zero when its
// duration is not recorded.
func (b *Backplane) publishStarted() time.Time {
	if h := b.metrics.publishDuration; h != nil && h.Enabled(b.ctx) {
		return time.Now()
	}
	return time.Time{}
}

// published records a batch's write that started at start.
func (b *Backplane) published(start time.Time) {
	if !start.IsZero() {
		b.metrics.publishDuration.Record(b.ctx, time.Since(start).Seconds())
	}
}

// unregisterMetrics stops the callbacks (Close).
func (b *Backplane) unregisterMetrics() {
	if b.metrics.reg != nil {
		_ = b.metrics.reg.Unregister()
	}
}
