package redis

import (
	"context"
	"fmt"

	goredis "github.com/redis/go-redis/v9"
)

// publisher writes publications to Redis in pipelined batches from one
// goroutine, in the order they were queued, so that a sender never waits
// for Redis and one sender's messages on a channel stay in order.
type publisher struct {
	b *Backplane
	// c writes the publications. In a Redis Cluster it is a connection to
	// a single node, not the cluster client (which would send each channel
	// to its slot's node): the cluster bus then forwards them in order, so
	// one sender's messages to a connection on several channels (all,
	// group, user) keep their order. It moves to the next seed address
	// when that node fails. Only the publisher goroutine uses it.
	c     goredis.UniversalClient
	seed  int
	q     []pubItem // under b.mu
	bytes int       // of q's payloads
	wake  chan struct{}
}

// pubItem is one PUBLISH; reply, when set, receives its outcome.
type pubItem struct {
	ch      string
	payload []byte
	echo    bool // an entry waits in b.echo[ch]
	reply   chan<- pubResult
}

// pubResult is the outcome of a PUBLISH: the number of subscribers that
// received it.
type pubResult struct {
	receivers int64
	err       error
}

func (it *pubItem) fail(err error) {
	if it.reply != nil {
		it.reply <- pubResult{err: err}
	}
}

// maxBatch bounds the publications of one pipeline.
const maxBatch = 512

func (p *publisher) init(b *Backplane) {
	p.b = b
	p.wake = make(chan struct{}, 1)
	p.c = b.rdb
	if b.opts.Cluster {
		p.c = p.nodeClient()
	}
}

// nodeClient connects to the current seed node of a cluster.
func (p *publisher) nodeClient() goredis.UniversalClient {
	o := p.b.opts
	return goredis.NewClient(&goredis.Options{
		Addr: o.Addrs[p.seed%len(o.Addrs)], Username: o.Username, Password: o.Password, Dialer: o.dialer(),
		DialTimeout: o.OpTimeout, ReadTimeout: o.OpTimeout, WriteTimeout: o.OpTimeout,
		MaxRetries: -1, Protocol: 2, DisableIdentity: true,
	})
}

// close releases a cluster node connection.
func (p *publisher) close() {
	if p.c != p.b.rdb {
		_ = p.c.Close()
	}
}

// reserve records, before this server delivers a message to its own
// recipients, that the echo of its publication on ch is to be ignored:
// it reports whether ch is subscribed (so that the echo will come). A
// channel with an echo awaited stays subscribed until it came (see
// unsubscribe), and a connection that joins after reserve is not served
// directly (see HubManager.seq), so each recipient gets it once.
func (b *Backplane) reserve(ch string, payload []byte) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.subs[ch]
	if s == nil || !s.confirmed || !b.up {
		return false
	}
	q := b.echo[ch]
	if q == nil {
		q = &echoQueue{}
		b.echo[ch] = q
	}
	q.push(payload, b.opts.MaxPendingPublishes)
	return true
}

// publish queues payload for channel ch; reserved says reserve recorded
// its echo. reply, if not nil, must have room for the result. It fails
// with ErrUnavailable, counting a drop, when Redis is down or the queue
// is full.
func (b *Backplane) publish(ch string, payload []byte, reserved bool, reply chan<- pubResult) error {
	b.mu.Lock()
	p := &b.pub
	var err error
	switch {
	case b.ctx.Err() != nil:
		err = ErrClosed
	case !b.up:
		err = ErrUnavailable
	case len(p.q) >= b.opts.MaxPendingPublishes || p.bytes+len(payload) > b.opts.MaxPendingBytes:
		err = fmt.Errorf("%w: %d publications (%d bytes) waiting for Redis", ErrUnavailable, len(p.q), p.bytes)
	}
	if err != nil {
		release := reserved && b.unreserve(ch, payload)
		b.mu.Unlock()
		if release {
			b.run(func() { b.release(b.ctx, ch, false) })
		}
		b.stats.dropped.Add(1)
		return err
	}
	p.q = append(p.q, pubItem{ch: ch, payload: payload, echo: reserved, reply: reply})
	p.bytes += len(payload)
	b.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return nil
}

// unreserve forgets the echo reserve recorded for a publication that was
// not made; it reports that ch waited for nothing else and has no
// reference left, so may be unsubscribed. b.mu is held.
func (b *Backplane) unreserve(ch string, payload []byte) bool {
	q := b.echo[ch]
	if q == nil {
		return false
	}
	q.unpush(payload)
	if q.len() > 0 {
		return false
	}
	delete(b.echo, ch)
	s := b.subs[ch]
	return s != nil && s.refs == 0
}

// takeAll empties the queue; b.mu is held.
func (p *publisher) takeAll() []pubItem {
	q := p.q
	p.q, p.bytes = nil, 0
	return q
}

// take removes up to maxBatch items; b.mu is held.
func (p *publisher) take(dst []pubItem) []pubItem {
	n := min(len(p.q), maxBatch)
	dst = append(dst, p.q[:n]...)
	for _, it := range p.q[:n] {
		p.bytes -= len(it.payload)
	}
	clear(p.q[:n])
	p.q = p.q[n:]
	if len(p.q) == 0 {
		p.q = nil
	}
	return dst
}

func (p *publisher) loop() {
	b := p.b
	defer b.wg.Done()
	var batch []pubItem
	for {
		select {
		case <-b.ctx.Done():
			b.mu.Lock()
			rest := p.takeAll()
			b.mu.Unlock()
			for _, it := range rest {
				it.fail(ErrClosed)
			}
			p.close()
			return
		case <-p.wake:
		}
		for {
			b.mu.Lock()
			batch = p.take(batch[:0])
			b.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			p.write(batch)
			clear(batch)
		}
	}
}

// write publishes one batch in a pipeline.
func (p *publisher) write(batch []pubItem) {
	b := p.b
	ctx, cancel := context.WithTimeout(b.ctx, b.opts.OpTimeout)
	defer cancel()
	pipe := p.c.Pipeline()
	for _, it := range batch {
		pipe.Publish(ctx, it.ch, it.payload)
	}
	start := b.publishStarted()
	cmds, err := pipe.Exec(ctx)
	b.published(start)
	if err != nil && b.opts.Cluster && len(b.opts.Addrs) > 1 && b.ctx.Err() == nil {
		p.close()
		p.seed++
		p.c = p.nodeClient()
	}
	for i, it := range batch {
		var r pubResult
		if i < len(cmds) {
			r.receivers, r.err = cmds[i].(interface{ Result() (int64, error) }).Result()
		} else {
			r.err = ErrUnavailable
		}
		if r.err != nil {
			r.err = fmt.Errorf("%w: %w", ErrUnavailable, r.err)
			b.stats.dropped.Add(1)
			if it.echo { // no echo will come
				b.mu.Lock()
				release := b.unreserve(it.ch, it.payload)
				b.mu.Unlock()
				if release {
					b.run(func() { b.release(b.ctx, it.ch, false) })
				}
			}
		} else {
			b.stats.published.Add(1)
		}
		if it.reply != nil {
			it.reply <- r
		}
	}
}
