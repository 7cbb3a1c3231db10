package client

import (
	"context"
	"sync"
)

// outBuffer keeps the sequenced messages sent on a stateful connection
// until the server acknowledges them, so that they can be replayed after a
// resume. Sequence ids count from 1 and never reset.
type outBuffer struct {
	mu    sync.Mutex
	limit int
	total int64 // id of the last message added
	msgs  []bufferedMessage
	size  int
	room  chan struct{} // closed when an Ack frees space
}

type bufferedMessage struct {
	id   int64
	data []byte
}

func newOutBuffer(limit int) *outBuffer {
	return &outBuffer{limit: limit, room: make(chan struct{})}
}

// waitRoom blocks while the buffer is full, as the official clients do:
// the sender waits for the server to acknowledge older messages.
func (b *outBuffer) waitRoom(ctx context.Context, done <-chan struct{}) error {
	for {
		b.mu.Lock()
		if b.size < b.limit {
			b.mu.Unlock()
			return nil
		}
		room := b.room
		b.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			return ctx.Err()
		case <-done:
			return ErrConnectionClosed
		}
	}
}

// add appends an encoded message (with its frameHeadroom); the caller holds the session's send
// lock, so ids follow the order of the wire.
func (b *outBuffer) add(data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.total++
	b.msgs = append(b.msgs, bufferedMessage{id: b.total, data: data})
	b.size += len(data) - frameHeadroom
}

// ack drops the messages the server has received.
func (b *outBuffer) ack(id int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for n < len(b.msgs) && b.msgs[n].id <= id {
		b.size -= len(b.msgs[n].data) - frameHeadroom
		n++
	}
	if n == 0 {
		return
	}
	b.msgs = append(b.msgs[:0], b.msgs[n:]...)
	close(b.room)
	b.room = make(chan struct{})
}

// unacked returns the id the replay starts at (the first unacknowledged
// message, or the next id when there is none) and the messages to replay.
func (b *outBuffer) unacked() (first int64, msgs [][]byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	first = b.total + 1
	if len(b.msgs) > 0 {
		first = b.msgs[0].id
	}
	for _, m := range b.msgs {
		msgs = append(msgs, m.data)
	}
	return first, msgs
}

// inSequence tracks sequenced messages received on a stateful connection;
// only the read goroutine uses it, except latest, read by the Ack timer
// under the session lock.
type inSequence struct {
	next    int64 // id the next sequenced message will have
	latest  int64 // highest id processed
	waitSeq bool  // after a resume, drop everything until Sequence
}

// accept numbers one received sequenced message and reports whether it is
// new (false: a duplicate replayed by the server).
func (q *inSequence) accept() bool {
	cur := q.next
	q.next++
	if cur <= q.latest {
		return false
	}
	q.latest = cur
	return true
}
