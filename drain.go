package signalr

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/signalr-go/signalr/protocol"
	"github.com/signalr-go/signalr/transport"
)

// instrument creates the server's metrics and tracer (see metrics.go and
// tracing.go).
func (s *Server) instrument(hub any) error {
	s.hubName = s.opts.HubName
	if s.hubName == "" {
		s.hubName = "Hub"
		if hub != nil {
			t := reflect.TypeOf(hub)
			for t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
			if t.Name() != "" {
				s.hubName = t.Name()
			}
		}
	}
	s.tracer = tracerFor(s.opts.TracerProvider)
	mp := s.opts.MeterProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	names := make([]string, 0, len(s.opts.Protocols))
	for _, hp := range s.opts.Protocols {
		names = append(names, hp.Name())
	}
	s.drainStepMax = drainStepMax
	var err error
	s.metrics, err = newServerMetrics(mp, s.hubName, names)
	return err
}

// Draining reports whether Shutdown has begun: the server accepts no new
// connection and is telling its clients to reconnect elsewhere. A
// readiness probe reports not ready from then on.
func (s *Server) Draining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shutdown
}

// refuseWhileDraining answers a negotiate request with 503 once Shutdown
// has begun, so that a reconnecting client goes to another server (or
// retries) instead of opening a connection that would be closed at once.
// Requests of existing connections (long polls, sends) still pass: they
// carry the Close message.
func (s *Server) refuseWhileDraining(w http.ResponseWriter, r *http.Request) bool {
	if !strings.HasSuffix(strings.ToLower(r.URL.Path), "/negotiate") || !s.Draining() {
		return false
	}
	w.Header().Set("Retry-After", "1")
	http.Error(w, "Server is shutting down.", http.StatusServiceUnavailable)
	return true
}

// Shutdown drains the server: it accepts no new connection, tells every
// client to reconnect (a Close message allowing it) each at its own moment
// spread over Options.DrainPeriod, after the connection's running
// invocations have finished (their results are sent), closes each
// connection once what is queued for it is sent, and waits for them until
// ctx is done. It returns ctx's error if ctx ended first.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.shutdown {
		s.shutdown = true
		close(s.stopTicker)
	}
	all := make([]*session, 0, len(s.sessions))
	for ss := range s.sessions {
		all = append(all, ss)
	}
	s.mu.Unlock()
	s.metrics.drain.begin(len(all))
	step := s.drainStep(ctx, len(all))
	next := time.Now()
	for i, ss := range all {
		if i > 0 && step > 0 {
			next = next.Add(step)
			if !sleepUntil(ctx, next) {
				step = 0 // out of time: tell the rest at once
			}
		}
		s.metrics.drain.done(ss.drain(ctx))
	}
	err := s.transport.Shutdown(ctx)
	s.tickerWG.Wait()
	s.unregisterOnce.Do(s.metrics.unregister)
	return err
}

// drainStep is the time between two connections' Close messages: the
// drain period over the connections, shortened to three quarters of what
// is left until ctx's deadline, so that the last ones have time to close,
// and at most drainStepMax.
func (s *Server) drainStep(ctx context.Context, n int) time.Duration {
	period := s.opts.DrainPeriod
	if period <= 0 || n < 2 {
		return 0
	}
	if dl, ok := ctx.Deadline(); ok {
		period = min(period, time.Until(dl)*3/4)
	}
	return max(min(period/time.Duration(n), s.drainStepMax), 0)
}

// drainStepMax keeps a drain of few connections short: a hundred
// reconnects a second are easy for any server, so only a thousand
// connections or more take the whole default period.
const drainStepMax = 10 * time.Millisecond

// sleepUntil waits until t or ctx's end; false if ctx ended.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// drain waits (until ctx ends) for the connection's running invocations,
// then tells the client to reconnect and closes the connection behind what
// is queued. A session still in its handshake is marked closed too, so
// that it never answers it; see session.handshake. It reports whether it
// sent the Close message.
func (ss *session) drain(ctx context.Context) (told bool) {
	for ss.running.Load() > 0 && ss.state.Load() == stConnected {
		if !sleepUntil(ctx, time.Now().Add(5*time.Millisecond)) {
			break
		}
	}
	ss.writeMu.Lock()
	sent := ss.closeSent
	if !sent && ss.state.Load() == stConnected {
		if b, err := ss.proto.Append(nil, &protocol.Close{AllowReconnect: true}); err == nil {
			told = ss.conn.Write(b) == nil
		}
	}
	if !sent {
		ss.closeCause = transport.ErrShutdown // even if the client closes first
	}
	ss.closeSent = true
	ss.writeMu.Unlock()
	if !sent {
		ss.conn.Close(transport.ErrShutdown)
	}
	return told
}
