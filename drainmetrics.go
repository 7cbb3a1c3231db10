package signalr

import (
	"context"
	"errors"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// drainProgress is where the server's drain stands, read by the drain
// metrics at collection.
type drainProgress struct {
	draining  atomic.Bool
	remaining atomic.Int64 // connections the drain has yet to tell to reconnect
	told      atomic.Int64 // connections told to reconnect, over every drain
}

// begin records the start of a drain of n connections. A second Shutdown
// starts over with the connections still open.
func (d *drainProgress) begin(n int) {
	d.draining.Store(true)
	d.remaining.Store(int64(n))
}

// done records that the drain has dealt with one connection; told says
// whether the connection was told to reconnect (it could also have been
// closing already, or still in its handshake).
func (d *drainProgress) done(told bool) {
	d.remaining.Add(-1)
	if told {
		d.told.Add(1)
	}
}

// observeDrain registers the drain metrics: whether the server drains,
// how many connections it has yet to tell to reconnect, and how many it
// told. A rolling restart watches the first two go to 1 and 0 before it
// stops the process.
func (sm *serverMetrics) observeDrain(m metric.Meter) error {
	draining, err1 := m.Int64ObservableGauge("signalr.server.draining", metric.WithUnit("1"),
		metric.WithDescription("1 once the server has begun to drain (Shutdown), 0 before."))
	remaining, err2 := m.Int64ObservableUpDownCounter("signalr.server.drain.connections_remaining", metric.WithUnit("{connection}"),
		metric.WithDescription("Connections the drain has yet to tell to reconnect."))
	told, err3 := m.Int64ObservableCounter("signalr.server.drain.reconnect_requests", metric.WithUnit("{connection}"),
		metric.WithDescription("Connections a drain told to reconnect (a Close message allowing it)."))
	if err := errors.Join(err1, err2, err3); err != nil {
		return err
	}
	attrs := metric.WithAttributeSet(attribute.NewSet(sm.service))
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		// Read in the reverse order of the drain's writes, so that a
		// collection during a drain never sees a connection told before
		// the drain began.
		d := &sm.drain
		n := d.told.Load()
		left := d.remaining.Load()
		var on int64
		if d.draining.Load() {
			on = 1
		}
		o.ObserveInt64(draining, on, attrs)
		o.ObserveInt64(remaining, left, attrs)
		o.ObserveInt64(told, n, attrs)
		return nil
	}, draining, remaining, told)
	if reg != nil {
		sm.regs = append(sm.regs, reg)
	}
	return err
}
