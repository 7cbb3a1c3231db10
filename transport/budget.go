package transport

import (
	"cmp"
	"slices"
	"sync/atomic"
	"time"
)

// msgOverhead is what the budget charges for each queued message on top
// of its bytes: the slice header that queues it. A broadcast queues the
// same bytes on every connection, so for small messages the headers, not
// the bytes, are what a crowd of non-reading connections costs.
const msgOverhead = 24

// budget counts the bytes held for all of a server's connections (their
// queues and their sockets' backlogs) against Options.MaxTotalQueueBytes.
// Counting is one atomic add per change, so the hot path takes no shared
// lock; only passing the limit starts a shed, one at a time.
type budget struct {
	limit    int64
	used     atomic.Int64
	shedding atomic.Bool
	shed     func() // started (once at a time) when used passes limit
}

// add changes the count by n and starts a shed if that takes it past the
// limit.
func (b *budget) add(n int) {
	if b == nil || n == 0 {
		return
	}
	if b.used.Add(int64(n)) > b.limit && n > 0 && b.limit > 0 && b.shedding.CompareAndSwap(false, true) {
		b.shed()
	}
}

// held is what c holds against the budget (its queue and its socket's
// backlog) and since when its client has taken none of it: the earlier,
// the slower the consumer. For a WebSocket that is the socket's stall (a
// backlog the client does not read): its queue's age also measures how
// busy the server's writers are, which is no fault of the client.
func (c *Conn) held() (n int64, since time.Time) {
	now := time.Now()
	c.mu.Lock()
	n, since = int64(c.q.charged), c.q.since
	if n == 0 {
		since = now
	}
	ws := c.ws
	c.mu.Unlock()
	if ws == nil || ws.out == nil {
		return n, since
	}
	bn, bsince := ws.out.held()
	if bn == 0 {
		bsince = now
	}
	return n + bn, bsince
}

// shedSlowest runs when the bytes held for all connections passed
// Options.MaxTotalQueueBytes: it ends connections with ErrQueueBudget,
// the one whose unsent data waited longest first, until what they held
// brings the total down to 7/8 of the limit, so that a flood is shed in a
// few large steps rather than one connection per message. Only clients
// that took nothing for slowAfter are ended: a reading client's data
// waits milliseconds, one that stopped reading seconds. Bytes merely
// waiting for the server's writers drain by themselves, all the sooner
// as no new connection is admitted meanwhile.
func (s *Server) shedSlowest() {
	b := &s.budget
	for {
		excess := b.used.Load() - (b.limit - b.limit/8)
		if excess > 0 {
			s.shedBytes(excess)
		}
		b.shedding.Store(false)
		// A Write that passed the limit while this shed was finishing
		// found it running and left the work to it.
		if b.used.Load() <= b.limit || !b.shedding.CompareAndSwap(false, true) {
			return
		}
	}
}

// shedBytes ends the slowest connections until they held at least excess
// bytes.
func (s *Server) shedBytes(excess int64) {
	type holder struct {
		c     *Conn
		n     int64
		since time.Time
	}
	conns := s.snapshot()
	list := make([]holder, 0, len(conns))
	stalled := time.Now().Add(-slowAfter)
	for _, c := range conns {
		if n, since := c.held(); n > 0 && since.Before(stalled) {
			list = append(list, holder{c, n, since})
		}
	}
	slices.SortFunc(list, func(a, b holder) int {
		return cmp.Or(a.since.Compare(b.since), cmp.Compare(b.n, a.n))
	})
	var freed int64
	ended := 0
	for _, h := range list {
		if freed >= excess {
			break
		}
		if h.c.drop(ErrQueueBudget) {
			freed += h.n
			ended++
		}
	}
	s.shed.conns.Add(int64(ended))
	s.shed.bytes.Add(freed)
	s.opts.Logger.Warn("signalr transport: queued bytes passed the server-wide budget; ended the slowest consumers",
		"limit", s.budget.limit, "ended", ended, "freed", freed, "connections", len(conns))
}

// drop ends c at once with err, discarding what is queued. It reports
// false if c was already closing.
func (c *Conn) drop(err error) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state >= stClosing {
		return false
	}
	c.dropLocked(err)
	return true
}

// dropLocked is drop with c.mu held and c not closing. The connection is
// ended by the server's one dropping goroutine: ending it tells the layer
// above, whose goodbyes (the sample hub broadcasts every departure) would
// otherwise run for thousands of dropped connections at once, each
// holding a list of every recipient.
func (c *Conn) dropLocked(err error) {
	c.state, c.closeErr = stClosing, err
	c.q.reset()
	s := c.srv
	s.dropMu.Lock()
	defer s.dropMu.Unlock()
	s.dropped = append(s.dropped, c)
	if !s.dropping {
		s.dropping = true
		s.wg.Go(s.finishDropped)
	}
}

// finishDropped ends the dropped connections one at a time until none is
// left.
func (s *Server) finishDropped() {
	for {
		s.dropMu.Lock()
		if len(s.dropped) == 0 {
			s.dropped, s.dropping = nil, false
			s.dropMu.Unlock()
			return
		}
		c := s.dropped[0]
		s.dropped[0] = nil
		s.dropped = s.dropped[1:]
		s.dropMu.Unlock()
		c.mu.Lock()
		err := c.closeErr
		c.mu.Unlock()
		c.finish(err)
	}
}

// slowAfter is how long a connection's unsent data may wait before the
// connection counts as behind: while the budget is exceeded, a Write to a
// connection that is behind ends it at once.
const slowAfter = time.Second

// behindLocked reports whether c's client has taken none of its unsent
// data for longer than slowAfter: a WebSocket's backlog, the queue of
// other transports. Called with c.mu held.
func (c *Conn) behindLocked() bool {
	var since time.Time
	switch {
	case c.ws != nil:
		// Only a parked socket is behind: one that is not took its last
		// batch whole. Checking that first keeps the socket's lock off
		// the path of a broadcast to sockets that keep up.
		if !c.ws.parked {
			return false
		}
		if n, bsince := c.ws.out.held(); n > 0 {
			since = bsince
		}
	case len(c.q.msgs) > 0:
		since = c.q.since
	}
	return !since.IsZero() && time.Since(since) > slowAfter
}

// over reports whether the budget is exceeded.
func (b *budget) over() bool { return b.limit > 0 && b.used.Load() > b.limit }

// ShedStats counts the connections ended because the bytes held for all
// connections passed Options.MaxTotalQueueBytes, and the bytes they held.
type ShedStats struct {
	Conns, Bytes int64
}

// shedCounters is ShedStats as the server keeps it.
type shedCounters struct {
	conns, bytes atomic.Int64
}

// Shed returns what the server-wide budget has shed so far.
func (s *Server) Shed() ShedStats {
	return ShedStats{Conns: s.shed.conns.Load(), Bytes: s.shed.bytes.Load()}
}

// QueuedBytes returns the bytes currently held for all connections, as
// counted against Options.MaxTotalQueueBytes.
func (s *Server) QueuedBytes() int64 { return s.budget.used.Load() }
