package signalr

import (
	"errors"
	"sync/atomic"
)

// replayBuffer is the stateful-reconnect state of a connection (ASP.NET
// Core's MessageBuffer): the sequenced messages sent and not yet
// acknowledged, for replay after a reconnect, and the sequence of the
// messages received, for acknowledging and dropping duplicates. The send
// side is guarded by session.writeMu; the receive side belongs to the
// read loop, except latest, which the ticker reads to send Acks.
type replayBuffer struct {
	limit int
	total int64 // sequence id of the last message sent
	first int64 // sequence id of msgs[0]
	msgs  [][]byte
	bytes int

	next      int64        // sequence id expected next from the client
	latest    atomic.Int64 // highest sequence id received
	lastAcked int64        // highest id acknowledged to the client (ticker only)
}

func newReplayBuffer(limit int) *replayBuffer {
	return &replayBuffer{limit: limit, first: 1, next: 1}
}

// add numbers b and keeps it; false when the buffer is over its limit.
func (r *replayBuffer) add(b []byte) bool {
	if r.bytes+len(b) > r.limit && len(r.msgs) > 0 {
		return false
	}
	r.total++
	if len(r.msgs) == 0 {
		r.first = r.total
	}
	r.msgs = append(r.msgs, b)
	r.bytes += len(b)
	return true
}

// ack drops the messages up to and including id.
func (r *replayBuffer) ack(id int64) {
	n := 0
	for n < len(r.msgs) && r.first+int64(n) <= id {
		r.bytes -= len(r.msgs[n])
		r.msgs[n] = nil
		n++
	}
	r.msgs = r.msgs[n:]
	r.first += int64(n)
	if len(r.msgs) == 0 {
		r.msgs = nil // let an idle connection drop the backing array
		r.first = r.total + 1
	}
}

// pending returns the Sequence id to announce and the messages to replay.
func (r *replayBuffer) pending() (int64, [][]byte) {
	if len(r.msgs) == 0 {
		return r.total + 1, nil
	}
	return r.first, r.msgs
}

// received counts a sequenced message from the client and reports whether
// it is new (false: a duplicate replayed after a reconnect).
func (r *replayBuffer) received() bool {
	cur := r.next
	r.next++
	if cur <= r.latest.Load() {
		return false
	}
	r.latest.Store(cur)
	return true
}

// errSequence is ASP.NET Core's text, which clients show as it is.
//
//lint:ignore ST1005 the text must match ASP.NET Core's
var errSequence = errors.New("Sequence ID greater than amount of messages we've received.")

// sequence handles the client's Sequence message: its replay starts at id.
func (r *replayBuffer) sequence(id int64) error {
	if id > r.next {
		return errSequence
	}
	r.next = id
	return nil
}

// ackDue returns the id to acknowledge, or 0 when nothing new arrived.
func (r *replayBuffer) ackDue() int64 {
	latest := r.latest.Load()
	if latest <= r.lastAcked {
		return 0
	}
	r.lastAcked = latest
	return latest
}
