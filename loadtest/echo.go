package loadtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// echo runs the echo scenario: every client keeps cfg.InFlight Echo
// invocations outstanding (or, with a rate, paces them) for cfg.Duration;
// each completion's latency is the age of the payload it returns.
func (r *run) echo(ctx context.Context) error {
	line := func(el time.Duration) string {
		return fmt.Sprintf("echo %v: %d open, %d failed, %d dropped, invoked %d, completed %d, errors %d",
			el, r.opened.Load(), r.failed.Load(), r.dropped.Load(), r.sent.Load(), r.received.Load(), r.errors.Load())
	}
	r.withProgress(line, func() {
		r.open(ctx, r.cfg.Clients, func(i int) events { return r.events(i, false) }, 0)
		defer r.closeAll()
		if len(r.conns) == 0 {
			return
		}
		workers := len(r.conns) * r.cfg.InFlight
		var interval time.Duration
		if r.cfg.Rate > 0 {
			interval = time.Duration(float64(time.Second) * float64(workers) / r.cfg.Rate)
		}
		begin := time.Now()
		end := begin.Add(r.cfg.Duration)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.echoWorker(ctx, r.conns[w%len(r.conns)], interval, end)
			}()
		}
		wg.Wait()
		r.finish(time.Since(begin), r.sent.Load())
	})
	if r.res.Connected == 0 {
		return errors.Join(errors.New("loadtest: no connection opened"), ctx.Err())
	}
	return ctx.Err()
}

// echoWorker invokes Echo on c until end, back to back or one per
// interval.
func (r *run) echoWorker(ctx context.Context, c conn, interval time.Duration, end time.Time) {
	p := newPayloads(r.clk, r.cfg.PayloadSize)
	begin := time.Now()
	for k := 0; ; k++ {
		if interval > 0 && !sleepUntil(ctx, begin.Add(time.Duration(k)*interval)) {
			return
		}
		if !time.Now().Before(end) || ctx.Err() != nil {
			return
		}
		r.sent.Add(1)
		ictx, cancel := context.WithTimeout(ctx, sendTimeout)
		res, err := c.echo(ictx, p.next())
		cancel()
		if err != nil {
			r.errors.Add(1)
			continue
		}
		r.received.Add(1)
		if age, ok := r.clk.age(res); ok {
			r.hist.Record(age)
		}
	}
}
