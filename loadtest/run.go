package loadtest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Run runs one scenario and returns its summary. ctx ends the run early;
// the run also ends by itself after its connections, duration and drain.
func Run(ctx context.Context, scenario string, cfg Config) (*Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.Bare && scenario == ScenarioGroup {
		return nil, errors.New("loadtest: the group scenario has no bare variant: bare WebSockets have no groups")
	}
	ds, err := newDialers(cfg)
	if err != nil {
		return nil, err
	}
	defer ds[0].closeIdle() // the HTTP client is shared
	r := &run{cfg: cfg, ds: ds, clk: newClock(), res: &Result{
		Scenario: scenario, URL: cfg.URL, Transport: cfg.Transport, Protocol: cfg.Protocol,
		Raw: cfg.Raw, Bare: cfg.Bare, SkipNegotiation: cfg.SkipNegotiation, Clients: cfg.Clients, Rate: cfg.Rate, Payload: cfg.PayloadSize,
	}}
	if len(ds) > 1 {
		for range ds {
			r.byServer = append(r.byServer, new(Histogram))
		}
	}
	switch scenario {
	case ScenarioConnect:
		err = r.connect(ctx)
	case ScenarioBroadcast, ScenarioGroup:
		err = r.fanOut(ctx, scenario == ScenarioGroup)
	case ScenarioEcho:
		err = r.echo(ctx)
	default:
		return nil, fmt.Errorf("loadtest: unknown scenario %q", scenario)
	}
	return r.res, err
}

// run is the state of one scenario run.
type run struct {
	cfg  Config
	ds   []*dialer // per hub URL; connection i uses ds[i%len(ds)]
	clk  clock
	res  *Result
	hist Histogram
	// byServer has a histogram per hub URL when there are several
	// (index 0 is the senders' server).
	byServer []*Histogram
	conns    []conn

	opened   atomic.Int64
	failed   atomic.Int64
	dropped  atomic.Int64
	sent     atomic.Int64
	received atomic.Int64
	errors   atomic.Int64
}

// receive records one delivery to connection i.
func (r *run) receive(i int, payload string) {
	r.received.Add(1)
	if age, ok := r.clk.age(payload); ok {
		r.hist.Record(age)
		if r.byServer != nil {
			r.byServer[i%len(r.byServer)].Record(age)
		}
	}
}

// events returns the callbacks of connection i, receiving or not.
func (r *run) events(i int, receiving bool) events {
	ev := events{lost: func(error) { r.dropped.Add(1) }}
	if receiving {
		ev.receive = func(payload string) { r.receive(i, payload) }
	}
	return ev
}

// open opens n connections, cfg.Concurrency at a time and at most rate
// per second (0: no limit), keeping those that opened in r.conns in order.
func (r *run) open(ctx context.Context, n int, ev func(i int) events, rate float64) {
	begin := time.Now()
	conns := make([]conn, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, r.cfg.Concurrency)
	for i := range n {
		if rate > 0 && !sleepUntil(ctx, begin.Add(time.Duration(float64(i)/rate*float64(time.Second)))) {
			break
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			c, err := r.ds[i%len(r.ds)].dial(dctx, ev(i))
			if err != nil {
				r.failed.Add(1)
				return
			}
			conns[i] = c
			r.opened.Add(1)
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	for _, c := range conns {
		if c != nil {
			r.conns = append(r.conns, c)
		}
	}
	r.res.Connected = len(r.conns)
	r.res.ConnectFailures = n - len(r.conns)
	r.res.ConnectSeconds = elapsed.Seconds()
	if elapsed > 0 {
		r.res.ConnectPerSec = float64(len(r.conns)) / elapsed.Seconds()
	}
	// The negotiate keep-alive connections are not part of the cost.
	r.ds[0].closeIdle()
	r.measureLoad()
}

// measureLoad records what the open connections cost this process.
func (r *run) measureLoad() {
	n := int64(max(len(r.conns), 1))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	g := runtime.NumGoroutine()
	r.res.Load = LoadCost{
		Goroutines:     g,
		GoroutinesConn: float64(g) / float64(n),
		HeapPerConn:    int64(ms.HeapInuse) / n,
		StackPerConn:   int64(ms.StackInuse) / n,
	}
}

// closeAll closes every connection, cfg.Concurrency at a time. The
// connections are closed even when ctx has ended.
func (r *run) closeAll() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	sem := make(chan struct{}, r.cfg.Concurrency)
	for _, c := range r.conns {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_ = c.close(ctx)
		}()
	}
	wg.Wait()
	r.conns = nil
}

// progress calls cfg.Progress with line() once a second until stop is
// closed.
func (r *run) progress(stop <-chan struct{}, line func(elapsed time.Duration) string) {
	if r.cfg.Progress == nil {
		return
	}
	begin := time.Now()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			r.cfg.Progress(line(time.Since(begin).Truncate(time.Second)))
		}
	}
}

// withProgress runs f with a progress line.
func (r *run) withProgress(line func(elapsed time.Duration) string, f func()) {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.progress(stop, line)
	}()
	f()
	close(stop)
	<-done
}

// sleepUntil waits until t or ctx ends; it reports whether t came.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}
