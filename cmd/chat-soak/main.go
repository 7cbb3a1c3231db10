// Command chat-soak runs a bounded soak against a running chat server
// (cmd/chat): people connect, talk, drop and reconnect; slow consumers
// stop reading for a while; malformed input is mixed in. It samples the
// server's resident memory, goroutines and file descriptors over time and
// fails (exit 1) if any of them keeps growing, if they do not come back
// near where they started once the load stops, or if a message the server
// acknowledged is missing from the room's history or from what a listener
// connected all along received.
//
//	chat-soak -url http://127.0.0.1:8080 -pid PID -debug http://127.0.0.1:6060 [-duration 10m]
//
// Each simulated person connects from their own loopback address
// (127.0.0.10 and up), as different machines would, so that the chat's
// per-address limits apply to each as to a real person. scripts/soak.sh
// starts a server and runs this against it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "chat-soak:", err)
		os.Exit(1)
	}
}

type config struct {
	url, debug   string
	pid          int
	duration     time.Duration
	sample       time.Duration
	people, slow int
}

func run(args []string, out io.Writer) error {
	var c config
	fs := flag.NewFlagSet("chat-soak", flag.ContinueOnError)
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "chat server `URL`")
	fs.StringVar(&c.debug, "debug", "", "`URL` of the server's debug endpoint (chat -debug-addr), for goroutines")
	fs.IntVar(&c.pid, "pid", 0, "server process `id`, for memory and file descriptors from /proc")
	fs.DurationVar(&c.duration, "duration", 10*time.Minute, "how long the load runs")
	fs.DurationVar(&c.sample, "sample", 10*time.Second, "sampling interval")
	fs.IntVar(&c.people, "people", 20, "people talking (with churn)")
	fs.IntVar(&c.slow, "slow", 4, "slow consumers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.pid <= 0 || c.debug == "" {
		return errors.New("-pid and -debug are required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return soak(ctx, c, out)
}

func soak(ctx context.Context, c config, out io.Writer) error {
	pr := probe{pid: c.pid, debug: c.debug}
	base, err := pr.sample()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "baseline: %s\n", base)

	var hp pool
	ls, err := newListener(ctx, &hp, c.url)
	if err != nil {
		return fmt.Errorf("listener: %w", err)
	}
	led := newLedger()
	load, stopLoad := context.WithTimeout(ctx, c.duration)
	defer stopLoad()
	var wg sync.WaitGroup
	errs := make(chan error, c.people+c.slow+1)
	for i := range c.people {
		wg.Go(func() { errs <- talker(load, &hp, c.url, i, led) })
	}
	for i := range c.slow {
		wg.Go(func() { errs <- slowConsumer(load, &hp, c.url, c.people+i) })
	}
	wg.Go(func() { errs <- malformed(load, &hp, c.url, c.people+c.slow) })

	var samples []sample
	tick := time.NewTicker(c.sample)
	start := time.Now()
	fmt.Fprintln(out, "t_s\trss_kib\tanon_kib\tgoroutines\tfds\tacked_messages")
sampling:
	for {
		select {
		case <-load.Done():
			break sampling
		case <-tick.C:
		}
		s, err := pr.sample()
		if err != nil {
			return err
		}
		samples = append(samples, s)
		fmt.Fprintf(out, "%d\t%d\t%d\t%d\t%d\t%d\n", int(time.Since(start).Seconds()), s.rssKiB, s.anonKiB, s.goroutines, s.fds, led.count())
	}
	tick.Stop()
	wg.Wait()
	close(errs)
	var failures []error
	for err := range errs {
		if err != nil {
			failures = append(failures, err)
		}
	}
	failures = append(failures, ls.verify(c.url, led)...)
	ls.close()
	hp.closeIdle()

	// Once everyone has gone, the server should be back near its start.
	settled, err := pr.settle(base)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "after the load: %s\n", settled)
	failures = append(failures, judge(base, settled, samples)...)
	fmt.Fprintf(out, "messages acknowledged: %d, failed sends (limited or cut by a drop): %d, reconnects: %d\n",
		led.count(), led.failed.Load(), led.reconnects.Load())
	if len(failures) > 0 {
		for _, f := range failures {
			fmt.Fprintln(out, "FAIL:", f)
		}
		return fmt.Errorf("%d failures", len(failures))
	}
	fmt.Fprintln(out, "PASS: nothing kept growing and no message was lost")
	return nil
}
