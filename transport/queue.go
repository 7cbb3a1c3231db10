package transport

// queue holds the messages written to a connection and not yet handed to
// its transport, in order. Slices are kept as given (a broadcast queues the
// same bytes on many connections), so queuing never copies.
type queue struct {
	msgs  [][]byte
	bytes int
}

// push appends p.
func (q *queue) push(p []byte) {
	q.msgs = append(q.msgs, p)
	q.bytes += len(p)
}

// take removes and returns the oldest messages, whole, up to max bytes in
// total but at least one; nil when empty. max <= 0 takes everything. The
// returned slice belongs to the caller: later pushes never overwrite it.
func (q *queue) take(max int) [][]byte {
	if len(q.msgs) == 0 {
		return nil
	}
	n, size := 0, 0
	for n < len(q.msgs) && (n == 0 || max <= 0 || size+len(q.msgs[n]) <= max) {
		size += len(q.msgs[n])
		n++
	}
	batch := q.msgs[:n:n]
	if n == len(q.msgs) {
		// Drop the backing array so an idle connection holds none.
		q.msgs = nil
	} else {
		q.msgs = q.msgs[n:]
	}
	q.bytes -= size
	return batch
}

// reset drops everything queued.
func (q *queue) reset() {
	q.msgs, q.bytes = nil, 0
}
