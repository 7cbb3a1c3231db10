package redis

// echoQueue holds, for one channel, the payloads this server published
// and already delivered to its own recipients, oldest first, until their
// echo comes back on the subscriber connection. Redis delivers one
// publisher's messages on a channel in order, so the echo normally
// matches the head; matching by content further back copes with a
// publication that failed without its entry being removed. A payload of
// another server identical to one of ours may take our entry, which is
// harmless: the bytes delivered are the same and each is delivered once.
type echoQueue struct {
	items [][]byte
	head  int
}

// push records a payload about to be published.
func (q *echoQueue) push(p []byte, limit int) {
	if q.len() >= limit { // echoes lost: forget the oldest
		q.items[q.head] = nil
		q.head++
	}
	q.items = append(q.items, p)
}

func (q *echoQueue) len() int { return len(q.items) - q.head }

// match removes and reports the first entry equal to payload.
func (q *echoQueue) match(payload string) bool {
	for i := q.head; i < len(q.items); i++ {
		if string(q.items[i]) == payload {
			q.remove(i)
			return true
		}
	}
	return false
}

// unpush removes the newest entry that is p itself (a publication that
// was not written after all).
func (q *echoQueue) unpush(p []byte) {
	for i := len(q.items) - 1; i >= q.head; i-- {
		if len(q.items[i]) == len(p) && (len(p) == 0 || &q.items[i][0] == &p[0]) {
			q.remove(i)
			return
		}
	}
}

func (q *echoQueue) remove(i int) {
	if i == q.head {
		q.items[i] = nil
		q.head++
	} else {
		copy(q.items[i:], q.items[i+1:])
		q.items[len(q.items)-1] = nil
		q.items = q.items[:len(q.items)-1]
	}
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	} else if q.head > 64 && q.head*2 > len(q.items) {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
}
