package client

import (
	"sync"

	"github.com/signalr-go/signalr/protocol"
)

// dispatcher runs callbacks one at a time, in the order they were queued,
// on a goroutine that exists only while the queue is not empty. The
// queue is unbounded so that the reader never waits for a handler.
type dispatcher struct {
	mu      sync.Mutex
	queue   []job
	running bool
}

// job is one queued callback: f, or the handlers of a server invocation
// m received on s (kept apart from f so that queueing one allocates no
// closure).
type job struct {
	f func()
	s *session
	m *protocol.Invocation
}

// growStack gives the goroutine that calls it, while it has few frames,
// the 4 KiB stack that reading a connection or running a handler needs.
// A goroutine starts with 2 KiB; a blocking read or decoding an argument
// takes more, and the runtime, which doubles a stack by copying it frame
// by frame, spends several times longer doing so deep in those calls
// than here. The callback goroutine is started again for every message
// that finds it idle (with a broadcast at a low rate: every message), so
// for it this is paid per message.
//
//go:noinline
func growStack(i int) byte {
	var frame [1536]byte // more than a 2 KiB stack has room for, less than 4 KiB
	frame[i] = 1
	return frame[(i+1)%len(frame)]
}

func (j job) run() {
	if j.f != nil {
		j.f()
		return
	}
	j.s.c.invokeHandlers(j.s, j.m)
}

func (d *dispatcher) push(f func()) { d.add(job{f: f}) }

func (d *dispatcher) pushInvocation(s *session, m *protocol.Invocation) {
	d.add(job{s: s, m: m})
}

func (d *dispatcher) add(j job) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.queue = append(d.queue, j)
	if !d.running {
		d.running = true
		go d.run()
	}
}

func (d *dispatcher) run() {
	growStack(0)
	for {
		d.mu.Lock()
		if len(d.queue) == 0 {
			d.running = false
			d.queue = nil
			d.mu.Unlock()
			return
		}
		j := d.queue[0]
		d.queue[0] = job{}
		d.queue = d.queue[1:]
		d.mu.Unlock()
		j.run()
	}
}
