package loadtest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// defaultFanOutRate is the message rate of broadcast and group when none
// is given: a sustainable rate at which latency is meaningful.
const defaultFanOutRate = 10

// sendTimeout bounds one send or invocation of a scenario.
const sendTimeout = 10 * time.Second

// fanOut runs the broadcast scenario, or with group the group scenario:
// every client listens, cfg.Senders of them send cfg.Rate messages per
// second in total for cfg.Duration, to everyone or round-robin to groups
// of cfg.GroupSize, and each delivery's age is recorded.
func (r *run) fanOut(ctx context.Context, group bool) error {
	line := func(el time.Duration) string {
		return fmt.Sprintf("%s %v: %d open, %d failed, %d dropped, sent %d, received %d, errors %d",
			r.res.Scenario, el, r.opened.Load(), r.failed.Load(), r.dropped.Load(),
			r.sent.Load(), r.received.Load(), r.errors.Load())
	}
	r.withProgress(line, func() {
		r.open(ctx, r.cfg.Clients, func(i int) events { return r.events(i, true) }, 0)
		defer r.closeAll()
		if len(r.conns) == 0 || ctx.Err() != nil {
			return
		}
		members, err := r.joinGroups(ctx, group)
		if err != nil {
			r.errors.Add(1)
			return
		}
		r.sendAll(ctx, members)
	})
	if r.res.Connected == 0 {
		return errors.Join(errors.New("loadtest: no connection opened"), ctx.Err())
	}
	return ctx.Err()
}

// joinGroups puts connection i in group i mod G, G = ceil(n/GroupSize),
// and returns each group's size; without groups, one group of everyone.
func (r *run) joinGroups(ctx context.Context, group bool) ([]int64, error) {
	n := len(r.conns)
	if !group {
		return []int64{int64(n)}, nil
	}
	g := (n + r.cfg.GroupSize - 1) / r.cfg.GroupSize
	members := make([]int64, g)
	var wg sync.WaitGroup
	sem := make(chan struct{}, r.cfg.Concurrency)
	errs := make([]error, n)
	for i, c := range r.conns {
		members[i%g]++
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			jctx, cancel := context.WithTimeout(ctx, sendTimeout)
			defer cancel()
			errs[i] = c.join(jctx, groupName(i%g))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("loadtest: joining groups: %w", err)
	}
	return members, nil
}

func groupName(i int) string { return "g" + strconv.Itoa(i) }

// sendAll runs the senders for cfg.Duration, waits for the deliveries to
// drain and fills in the result.
func (r *run) sendAll(ctx context.Context, members []int64) {
	rate := r.cfg.Rate
	if rate == 0 {
		rate = defaultFanOutRate
	}
	senders := min(r.cfg.Senders, len(r.conns))
	perSender := rate / float64(senders)
	due := make([]int64, senders)
	begin := time.Now()
	end := begin.Add(r.cfg.Duration)
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			due[s] = r.sender(ctx, r.conns[s], s, senders, perSender, members, end)
		}()
	}
	wg.Wait()
	var total int64
	for _, d := range due {
		total += d
	}
	// Wait for the deliveries still on their way, or for the drain limit.
	drainEnd := time.Now().Add(r.cfg.Drain)
	for r.received.Load() < total && time.Now().Before(drainEnd) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	window := time.Since(begin)
	r.finish(window, total)
}

// sender sends from c at rate messages per second until end, to group
// (k*senders + s) mod G for its k-th message, and returns the deliveries
// those messages are due.
func (r *run) sender(ctx context.Context, c conn, s, senders int, rate float64, members []int64, end time.Time) int64 {
	p := newPayloads(r.clk, r.cfg.PayloadSize)
	interval := time.Duration(float64(time.Second) / rate)
	begin := time.Now()
	var due int64
	for k := 0; ; k++ {
		next := begin.Add(time.Duration(k) * interval)
		if !next.Before(end) || !sleepUntil(ctx, next) {
			return due
		}
		g := (k*senders + s) % len(members)
		sctx, cancel := context.WithTimeout(ctx, sendTimeout)
		var err error
		if len(members) == 1 && r.res.Scenario == ScenarioBroadcast {
			err = c.send(sctx, "Broadcast", p.next())
		} else {
			err = c.send(sctx, "SendToGroup", groupName(g), p.next())
		}
		cancel()
		if err != nil {
			r.errors.Add(1)
			continue
		}
		r.sent.Add(1)
		due += members[g]
	}
}

// finish fills in the delivery figures of the result.
func (r *run) finish(window time.Duration, expected int64) {
	got := r.received.Load()
	r.res.Seconds = window.Seconds()
	r.res.Sent = r.sent.Load()
	r.res.Expected = expected
	r.res.Received = got
	r.res.Errors = r.errors.Load()
	r.res.Dropped = r.dropped.Load()
	if expected > 0 {
		r.res.DeliveryRatio = float64(got) / float64(expected)
	}
	if window > 0 {
		r.res.PerSecond = float64(got) / window.Seconds()
	}
	r.res.Latency = r.hist.Summary()
	for _, h := range r.byServer {
		r.res.LatencyByServer = append(r.res.LatencyByServer, h.Summary())
	}
}
