package transport

// Stats is a snapshot of a server's connections, for metrics.
type Stats struct {
	// Pending counts the connections negotiated whose client has not made
	// its first transport request yet.
	Pending int
	// QueuedBytes is the bytes queued for every connection and not yet
	// handed to its transport.
	QueuedBytes int64
}

// Stats counts the server's connections now. It visits every connection
// (a lock each), which is for a metrics collection every few seconds, not
// for a hot path.
func (s *Server) Stats() Stats {
	var st Stats
	for _, c := range s.snapshot() {
		c.mu.Lock()
		if c.state == stNew {
			st.Pending++
		}
		st.QueuedBytes += int64(c.q.bytes)
		c.mu.Unlock()
	}
	return st
}
