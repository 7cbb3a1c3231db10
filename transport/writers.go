package transport

import (
	"runtime"
	"sync"
	"time"
)

// writerIdle is how long a WebSocket writer with nothing to write stays
// for another flush before the scan ends it.
const writerIdle = time.Second

// flushJob is one WebSocket with something to send.
type flushJob struct {
	c      *Conn
	s      *wsSink
	ticket uint64 // the socket's ticket when the job was made
}

// writer is a goroutine that drains WebSockets, one batch at a time.
type writer struct {
	wake  chan bool // capacity 1: true to work, false to end
	since time.Time // when it became idle
}

// writerPool hands WebSockets with something queued to a few shared
// writer goroutines. Writes never block on the network (nbConn keeps what
// a socket does not take), so a writer per processor is enough for every
// connection: a broadcast to a thousand sockets wakes two goroutines, not
// a thousand, and a slow client holds up nobody. Each turn a writer sends
// one batch of one socket and puts the socket back at the end of the line
// if more is queued, so one busy connection cannot starve the others.
type writerPool struct {
	max int // writers working at once

	mu      sync.Mutex
	jobs    []flushJob // sockets waiting for a writer from jobs[head] on, oldest first
	head    int
	replies []flushJob // sockets with a reply queued, served before jobs, oldest first
	running int        // writers working
	idle    []*writer  // most recently idle last, so the rest age out
	stopped bool       // Shutdown: writers end instead of waiting
}

func newWriterPool() writerPool {
	return writerPool{max: max(2, runtime.GOMAXPROCS(0))}
}

// flush has the socket of j drained by a writer; reply puts it in the
// reply lane.
func (s *Server) flush(j flushJob, reply bool) {
	p := &s.writers
	p.mu.Lock()
	p.add(j, reply)
	if p.running >= p.max {
		p.mu.Unlock()
		return
	}
	p.running++
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		w.wake <- true
		return
	}
	p.mu.Unlock()
	w := &writer{wake: make(chan bool, 1)}
	s.wg.Go(func() { s.runWriter(w) })
}

// runWriter sends batches until no socket waits, then waits to be woken,
// until it is told to end.
func (s *Server) runWriter(w *writer) {
	for {
		for {
			j, ok, first := s.writers.next(w)
			if !ok {
				if first {
					// The scan ends writers idle for long.
					s.ensureScan()
				}
				break
			}
			if more, reply := j.c.writeWS(j); more {
				s.writers.requeue(j, reply)
			}
		}
		if !<-w.wake {
			return
		}
	}
}

// next returns the next socket to serve. When there is none, w becomes
// idle (or, after Shutdown, is told to end) and ok is false; first
// reports that w is the only idle writer.
func (p *writerPool) next(w *writer) (j flushJob, ok, first bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.replies) > 0 {
		j = p.replies[0]
		p.replies[0] = flushJob{}
		p.replies = p.replies[1:]
		if len(p.replies) == 0 {
			p.replies = nil
		}
		return j, true, false
	}
	if p.head < len(p.jobs) {
		j = p.jobs[p.head]
		p.jobs[p.head] = flushJob{}
		p.head++
		if p.head == len(p.jobs) {
			// Reuse the array: it is as large as the most sockets that
			// ever waited at once, 16 bytes each.
			p.jobs, p.head = p.jobs[:0], 0
		}
		return j, true, false
	}
	p.running--
	if p.stopped {
		w.wake <- false
		return j, false, false
	}
	w.since = time.Now()
	p.idle = append(p.idle, w)
	return j, false, len(p.idle) == 1
}

// requeue puts j back at the end of its line.
func (p *writerPool) requeue(j flushJob, reply bool) {
	p.mu.Lock()
	p.add(j, reply)
	p.mu.Unlock()
}

// add appends j to its line. Called with p.mu held.
func (p *writerPool) add(j flushJob, reply bool) {
	if reply {
		p.replies = append(p.replies, j)
	} else {
		p.jobs = append(p.jobs, j)
	}
}

// reap ends the writers idle since before cutoff.
func (p *writerPool) reap(cutoff time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for n < len(p.idle) && p.idle[n].since.Before(cutoff) {
		p.idle[n].wake <- false
		n++
	}
	rest := copy(p.idle, p.idle[n:])
	clear(p.idle[rest:])
	p.idle = p.idle[:rest]
}

// stop ends every idle writer, and makes busy ones end when done.
func (p *writerPool) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	for _, w := range p.idle {
		w.wake <- false
	}
	p.idle = nil
}

// empty reports whether no writer is idle.
func (p *writerPool) empty() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle) == 0
}
