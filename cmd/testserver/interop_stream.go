package main

import (
	"context"
	"errors"
	"iter"
	"time"

	"github.com/signalr-go/signalr"
)

// Streams record their fate under a key the test chooses, which
// StreamState reports: "running", "completed" or "cancelled".

// Count streams 0 ... n-1 to the caller, one every delayMs milliseconds,
// until the client cancels the stream (or the connection ends).
func (h *interopHub) Count(c *signalr.Context, key string, n, delayMs int) <-chan int {
	h.rec.setStream(key, "running")
	out := make(chan int)
	go func() {
		defer close(out)
		for i := range n {
			if delayMs > 0 && !iopSleep(c, time.Duration(delayMs)*time.Millisecond) {
				h.rec.setStream(key, "cancelled")
				return
			}
			select {
			case out <- i:
			case <-c.Done():
				h.rec.setStream(key, "cancelled")
				return
			}
		}
		h.rec.setStream(key, "completed")
	}()
	return out
}

// iopSleep waits for d or until ctx is done; false if ctx ended first.
func iopSleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Range streams 0 ... n-1 through an iterator.
func (*interopHub) Range(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

// FailAfter streams 0 ... n-1, then fails: with a HubError when hub is
// true, else with a plain error.
func (*interopHub) FailAfter(n int, hub bool) iter.Seq2[int, error] {
	return func(yield func(int, error) bool) {
		for i := range n {
			if !yield(i, nil) {
				return
			}
		}
		if hub {
			yield(0, &signalr.HubError{Message: "stream broke"})
			return
		}
		yield(0, errors.New("stream broke"))
	}
}

// StreamState reports the fate of the stream recorded under key.
func (h *interopHub) StreamState(key string) string { return h.rec.stream(key) }

// Sum adds the numbers a client streams until it completes the stream.
func (h *interopHub) Sum(c *signalr.Context, key string, nums <-chan int) (int, error) {
	h.rec.setStream(key, "running")
	total := 0
	for {
		select {
		case n, ok := <-nums:
			if !ok {
				h.rec.setStream(key, "completed")
				return total, nil
			}
			total += n
		case <-c.Done():
			h.rec.setStream(key, "cancelled")
			return total, c.Err()
		}
	}
}

// Collect returns the strings a client streams, in order.
func (*interopHub) Collect(items <-chan string) []string {
	out := []string{}
	for s := range items {
		out = append(out, s)
	}
	return out
}

// Double streams back twice each number the client streams, until the
// client's stream ends or the client cancels the result stream.
func (h *interopHub) Double(c *signalr.Context, key string, in <-chan int) <-chan int {
	h.rec.setStream(key, "running")
	out := make(chan int)
	go func() {
		defer close(out)
		for {
			select {
			case n, ok := <-in:
				if !ok {
					h.rec.setStream(key, "completed")
					return
				}
				select {
				case out <- 2 * n:
				case <-c.Done():
					h.rec.setStream(key, "cancelled")
					return
				}
			case <-c.Done():
				h.rec.setStream(key, "cancelled")
				return
			}
		}
	}()
	return out
}

// Client results.

// iopResultTimeout bounds every wait for a client's answer.
const iopResultTimeout = 5 * time.Second

// AskCaller asks the caller's Ask(q) handler for a number.
func (*interopHub) AskCaller(c *signalr.Context, q string) (int, error) {
	ctx, cancel := context.WithTimeout(c, iopResultTimeout)
	defer cancel()
	return iopAsk.Invoke(ctx, c.Clients.Caller(), q)
}

// AskClient asks another connection's Ask(q) handler for a number.
func (*interopHub) AskClient(c *signalr.Context, id, q string) (int, error) {
	ctx, cancel := context.WithTimeout(c, iopResultTimeout)
	defer cancel()
	return iopAsk.Invoke(ctx, c.Clients.Client(id), q)
}
