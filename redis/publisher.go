package redis

import (
	"context"
	"fmt"
)

// publisher writes publications to Redis in pipelined batches from one
// goroutine, in the order they were queued, so that a sender never waits
// for Redis and one sender's messages on a channel stay in order.
type publisher struct {
	b     *Backplane
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
}

// publish queues payload for channel ch. echo says this server delivered
// it to its own recipients: if it subscribes to ch, the echo is expected
// and will not be delivered again. reply, if not nil, must have room for
// the result. It fails with ErrUnavailable, counting a drop, when Redis is
// down or the queue is full.
func (b *Backplane) publish(ch string, payload []byte, echo bool, reply chan<- pubResult) error {
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
		b.mu.Unlock()
		b.stats.dropped.Add(1)
		return err
	}
	if echo {
		echo = false
		if s := b.subs[ch]; s != nil && s.confirmed {
			q := b.echo[ch]
			if q == nil {
				q = &echoQueue{}
				b.echo[ch] = q
			}
			q.push(payload, b.opts.MaxPendingPublishes)
			echo = true
		}
	}
	p.q = append(p.q, pubItem{ch: ch, payload: payload, echo: echo, reply: reply})
	p.bytes += len(payload)
	b.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return nil
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
	pipe := b.rdb.Pipeline()
	for _, it := range batch {
		pipe.Publish(ctx, it.ch, it.payload)
	}
	cmds, _ := pipe.Exec(ctx)
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
				if q := b.echo[it.ch]; q != nil {
					q.unpush(it.payload)
				}
				b.mu.Unlock()
			}
		} else {
			b.stats.published.Add(1)
		}
		if it.reply != nil {
			it.reply <- r
		}
	}
}
