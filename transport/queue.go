package transport

import "time"

// queue holds the messages written to a connection and not yet handed to
// its transport, in order. Slices are kept as given (a broadcast queues the
// same bytes on many connections), so queuing never copies. What it holds
// is charged to the server-wide budget.
type queue struct {
	msgs    [][]byte
	bytes   int     // the messages' bytes, for Options.MaxQueueBytes
	charged int     // bytes plus msgOverhead per message; the budget gets whole chargeUnits
	budget  *budget // nil: not counted
	replies int     // how many messages from the head on reach the last reply (Conn.WriteReply); 0: none
	// since is when the oldest message still queued was pushed, or when
	// the last take left it at the head, if later: how long the
	// connection has gone without taking anything. Set by the Conn, and
	// only where it matters (not on WebSockets, whose sockets tell), to
	// keep the clock off the path of every broadcast.
	since time.Time
}

// chargeUnit is the grain in which a queue charges the budget: a queue
// holding less than one unit charges nothing, so that delivering to a
// client that keeps up touches no counter shared between processors. The
// budget misses at most this much per connection.
const chargeUnit = 4 << 10

// charge changes q.charged by n and the budget by the whole units that
// crossed.
func (q *queue) charge(n int) {
	before := q.charged &^ (chargeUnit - 1)
	q.charged += n
	if after := q.charged &^ (chargeUnit - 1); after != before {
		q.budget.add(after - before)
	}
}

// push appends p.
func (q *queue) push(p []byte) {
	q.msgs = append(q.msgs, p)
	q.bytes += len(p)
	q.charge(len(p) + msgOverhead)
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
		q.since = time.Now()
	}
	q.replies = q.replies - min(n, q.replies)
	q.bytes -= size
	q.charge(-(size + n*msgOverhead))
	return batch
}

// reset drops everything queued.
func (q *queue) reset() {
	q.charge(-q.charged)
	q.msgs, q.bytes, q.replies = nil, 0, 0
}
