package transport

import (
	"sync"
	"time"
)

// writerIdle is how long a WebSocket writer with nothing to write stays
// for another flush before the scan ends it.
const writerIdle = time.Second

// flushJob is one WebSocket to drain; the zero job ends a writer.
type flushJob struct {
	c *Conn
	s *wsSink
}

// writer is a goroutine that drains WebSockets, one after the other.
type writer struct {
	jobs  chan flushJob // capacity 1: handing a job to an idle writer never blocks
	since time.Time     // when it became idle
}

// writerPool keeps the idle writers, most recently idle last, so that the
// busy ones are reused and the rest age out.
type writerPool struct {
	mu      sync.Mutex
	idle    []*writer
	stopped bool // Shutdown: writers end instead of waiting
}

// flush has socket ws of c drained by an idle writer, or a new one when
// none waits. Writers are shared by all connections and kept between
// flushes, so that a broadcast neither starts a goroutine per delivery nor
// grows a fresh stack through the write path each time. A writer blocked
// on a slow client holds up no other connection, since a flush that finds
// no idle writer starts one. Idle connections hold none.
func (s *Server) flush(c *Conn, ws *wsSink) {
	p := &s.writers
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		w.jobs <- flushJob{c, ws}
		return
	}
	p.mu.Unlock()
	w := &writer{jobs: make(chan flushJob, 1)}
	s.wg.Go(func() { s.runWriter(w, flushJob{c, ws}) })
}

// runWriter drains j's socket, then each socket handed to it, until it is
// told to end.
func (s *Server) runWriter(w *writer, j flushJob) {
	for j.c != nil {
		j.c.writeWS(j.s)
		j = flushJob{} // keep no connection while idle
		if !s.park(w) {
			return
		}
		j = <-w.jobs
	}
}

// park makes w idle; false after Shutdown. The first idle writer makes
// sure the scan runs, which ends writers idle for writerIdle.
func (s *Server) park(w *writer) bool {
	p := &s.writers
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return false
	}
	w.since = time.Now()
	p.idle = append(p.idle, w)
	first := len(p.idle) == 1
	p.mu.Unlock()
	if first {
		s.ensureScan()
	}
	return true
}

// reap ends the writers idle since before cutoff.
func (p *writerPool) reap(cutoff time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for n < len(p.idle) && p.idle[n].since.Before(cutoff) {
		p.idle[n].jobs <- flushJob{}
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
		w.jobs <- flushJob{}
	}
	p.idle = nil
}

// empty reports whether no writer is idle.
func (p *writerPool) empty() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle) == 0
}
