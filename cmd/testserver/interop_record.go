package main

import (
	"strings"
	"sync"

	"github.com/signalr-go/signalr"
)

// iopRecorder remembers what the tests ask about after the fact: how streams
// ended, which connections ended and why. Per-connection records live in
// the connection's Items and end with it. Every record is bounded, the
// server being open to anyone: the newest iopRecords of each kind are
// kept, and the newest iopRecords entries of each per-connection log.
type iopRecorder struct {
	mu      sync.Mutex
	streams recent[string]        // key -> "running", "completed", "cancelled"
	ended   recent[iopDisconnect] // connection id -> how it ended
}

// iopRecords bounds each record: far more than a test asks about.
const iopRecords = 10000

// recent maps keys to values, forgetting the oldest half of its keys when
// it holds iopRecords.
type recent[V any] struct {
	m     map[string]V
	order []string // keys, oldest first
}

func (r *recent[V]) set(key string, v V) {
	if r.m == nil {
		r.m = make(map[string]V)
	}
	if _, ok := r.m[key]; !ok {
		if len(r.order) >= iopRecords {
			for _, k := range r.order[:iopRecords/2] {
				delete(r.m, k)
			}
			r.order = append(r.order[:0], r.order[iopRecords/2:]...)
		}
		r.order = append(r.order, key)
	}
	r.m[key] = v
}

func (r *recent[V]) get(key string) V { return r.m[key] }

// appendBounded appends v to s, first dropping the oldest entries if s
// holds iopRecords: half of them at once, so that appending stays cheap.
func appendBounded[T any](s []T, v T) []T {
	if len(s) >= iopRecords {
		s = append(s[:0], s[len(s)-iopRecords/2:]...)
	}
	return append(s, v)
}

// iopDisconnect is how a connection ended, as Disconnected reports it.
type iopDisconnect struct {
	Ended bool   `json:"ended"`
	Error string `json:"error"`
}

func newIOPRecorder() *iopRecorder { return &iopRecorder{} }

func (r *iopRecorder) setStream(key, state string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.streams.set(key, state)
}

func (r *iopRecorder) stream(key string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.streams.get(key)
}

func (r *iopRecorder) setDisconnected(id string, err error) {
	d := iopDisconnect{Ended: true}
	if err != nil {
		d.Error = err.Error()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ended.set(id, d)
}

func (r *iopRecorder) disconnected(id string) iopDisconnect {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ended.get(id)
}

// iopSeqLog is a per-connection list of numbers, kept in Items.
type iopSeqLog struct {
	mu sync.Mutex
	n  int   // numbers appended
	s  []int // the newest of them
}

// iopItemKey names a per-connection record in Items.
type iopItemKey string

func (r *iopRecorder) log(c *signalr.Context, name string) *iopSeqLog {
	// Invocations of one connection may run in parallel (client-stream
	// calls take no slot), so creating the log must not race.
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := c.Items().Get(iopItemKey(name))
	if !ok {
		v = &iopSeqLog{}
		c.Items().Set(iopItemKey(name), v)
	}
	return v.(*iopSeqLog)
}

// appendSeq appends i to the named log and returns its position.
func (r *iopRecorder) appendSeq(c *signalr.Context, name string, i int) int {
	l := r.log(c, name)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	l.s = appendBounded(l.s, i)
	return l.n - 1
}

func (r *iopRecorder) seqs(c *signalr.Context, name string) []int {
	l := r.log(c, name)
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int{}, l.s...)
}

// iopCallLog is the per-connection list of methods the filter saw.
type iopCallLog struct {
	mu    sync.Mutex
	calls []string
}

// filter is the hub's invocation filter. It records every call's method
// name; refuses Guarded("deny") with a HubError before the method runs;
// and appends " (filtered)" to Decorated's result.
func (h *interopHub) filter() signalr.Filter {
	return signalr.Filter{
		Invocation: func(next signalr.InvocationHandler) signalr.InvocationHandler {
			return func(c *signalr.Context, inv *signalr.Invocation) (any, error) {
				h.rec.mu.Lock()
				v, ok := c.Items().Get(iopItemKey("calls"))
				if !ok {
					v = &iopCallLog{}
					c.Items().Set(iopItemKey("calls"), v)
				}
				h.rec.mu.Unlock()
				l := v.(*iopCallLog)
				l.mu.Lock()
				l.calls = appendBounded(l.calls, inv.Method)
				l.mu.Unlock()
				switch {
				case strings.EqualFold(inv.Method, "Guarded"):
					if args := inv.Args(); len(args) == 1 && args[0] == "deny" {
						return nil, &signalr.HubError{Message: "denied by filter"}
					}
				case strings.EqualFold(inv.Method, "Decorated"):
					res, err := next(c, inv)
					if s, ok := res.(string); ok && err == nil {
						return s + " (filtered)", nil
					}
					return res, err
				}
				return next(c, inv)
			}
		},
		Connected: func(next signalr.ConnectedHandler) signalr.ConnectedHandler {
			return func(c *signalr.Context) error {
				if c.UserID() == "blocked" {
					return &signalr.HubError{Message: "blocked user"}
				}
				return next(c)
			}
		},
	}
}

// Guarded returns its argument; the filter refuses "deny".
func (*interopHub) Guarded(s string) string { return s }

// Decorated returns its argument; the filter decorates it.
func (*interopHub) Decorated(s string) string { return s }

// Calls returns the methods of the caller's invocations the filter saw,
// this one included.
func (*interopHub) Calls(c *signalr.Context) []string {
	v, ok := c.Items().Get(iopItemKey("calls"))
	if !ok {
		return []string{}
	}
	l := v.(*iopCallLog)
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string{}, l.calls...)
}
