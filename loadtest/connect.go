package loadtest

import (
	"context"
	"fmt"
	"time"
)

// warmups is how many connections open and close before the baseline is
// read, so that the server's one-time costs (pools, first handshake, GC
// pacing) are not charged to the measured connections.
const warmups = 16

// connect opens cfg.Clients connections at cfg.Rate, holds them for
// cfg.Duration and closes them, reading the server's memory on the way.
func (r *run) connect(ctx context.Context) error {
	var mem *ServerMemory
	if r.cfg.PID != 0 {
		start, err := ReadRSS(r.cfg.PID)
		if err != nil {
			return err
		}
		mem = &ServerMemory{PID: r.cfg.PID, RSSStart: start}
		r.res.Server = mem
		r.open(ctx, warmups, func(int) events { return events{} }, 0)
		r.closeAll()
		r.ds[0].closeIdle()
		if mem.RSSBaseline, err = ReadRSS(r.cfg.PID); err != nil {
			return err
		}
		r.opened.Store(0)
		r.failed.Store(0)
	}
	line := func(el time.Duration) string {
		return fmt.Sprintf("connect %v: %d/%d open, %d failed, %d dropped",
			el, r.opened.Load(), r.cfg.Clients, r.failed.Load(), r.dropped.Load())
	}
	defer r.closeAll()
	r.withProgress(line, func() {
		r.open(ctx, r.cfg.Clients, func(i int) events { return r.events(i, false) }, r.cfg.Rate)
		sleepUntil(ctx, time.Now().Add(r.cfg.Duration))
	})
	r.res.Dropped = r.dropped.Load()
	if mem != nil && r.res.Connected > 0 {
		after, err := ReadRSS(r.cfg.PID)
		if err != nil {
			return err
		}
		n := int64(r.res.Connected)
		mem.RSSAfter = after
		mem.PerConn = (after - mem.RSSStart) / n
		mem.PerConnBaseline = (after - mem.RSSBaseline) / n
	}
	return ctx.Err()
}
