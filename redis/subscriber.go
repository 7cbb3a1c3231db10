package redis

import (
	"context"
	"errors"
	"net"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// subscription is one channel this server subscribes to, with the number
// of reasons it has (a group's local members, a user's local
// connections).
type subscription struct {
	refs      int
	handle    func(payload []byte)
	confirmed bool            // Redis confirmed it: our publications echo
	waiters   []chan struct{} // closed on confirmation
}

// subscribe adds a reference to channel ch, whose messages go to handle;
// the first reference subscribes and, while Redis is reachable, waits for
// the confirmation (at most OpTimeout), so that messages published after
// it returns are received. While Redis is down it returns at once: the
// channel is subscribed on reconnection.
func (b *Backplane) subscribe(ctx context.Context, ch string, handle func([]byte)) {
	b.subMu.Lock()
	b.mu.Lock()
	if s := b.subs[ch]; s != nil {
		s.refs++
		b.mu.Unlock()
		b.subMu.Unlock()
		return
	}
	done := make(chan struct{})
	b.subs[ch] = &subscription{refs: 1, handle: handle, waiters: []chan struct{}{done}}
	up := b.up
	b.mu.Unlock()
	err := b.ps.Subscribe(ctx, ch) // remembered for reconnection even on error
	b.subMu.Unlock()
	if err != nil || !up {
		return
	}
	t := time.NewTimer(b.opts.OpTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-ctx.Done():
	case <-b.ctx.Done():
	}
}

// unsubscribe drops a reference to ch. The last one unsubscribes once
// every publication this server delivered itself on ch has echoed back:
// were the channel unsubscribed and subscribed again (a group's only
// member leaving and joining) with one in flight, its echo would arrive
// with no entry left to recognize it and be delivered a second time.
func (b *Backplane) unsubscribe(ctx context.Context, ch string) {
	b.mu.Lock()
	s := b.subs[ch]
	if s == nil {
		b.mu.Unlock()
		return
	}
	if s.refs--; s.refs > 0 {
		b.mu.Unlock()
		return
	}
	draining := b.echo[ch] != nil
	b.mu.Unlock()
	if !draining {
		b.release(ctx, ch, false)
		return
	}
	// An echo lost for good must not keep the channel forever.
	time.AfterFunc(2*b.opts.OpTimeout, func() { b.run(func() { b.release(b.ctx, ch, true) }) })
}

// release unsubscribes ch if it has no reference left and, unless force,
// no echo awaited.
func (b *Backplane) release(ctx context.Context, ch string, force bool) {
	b.subMu.Lock()
	defer b.subMu.Unlock()
	b.mu.Lock()
	s := b.subs[ch]
	if s == nil || s.refs > 0 || (!force && b.echo[ch] != nil) {
		b.mu.Unlock()
		return
	}
	delete(b.subs, ch)
	delete(b.echo, ch)
	b.mu.Unlock()
	_ = b.ps.Unsubscribe(ctx, ch)
}

// receiveLoop reads the subscriber connection: messages, subscription
// confirmations, and the PING that tells the connection (and every
// resubscription go-redis sends before it) is back.
func (b *Backplane) receiveLoop() {
	defer b.wg.Done()
	interval := max(b.opts.NodeTTL/3, 100*time.Millisecond)
	const minBackoff, maxBackoff = 50 * time.Millisecond, time.Second
	backoff := minBackoff
	down, pinged := true, false
	for b.ctx.Err() == nil {
		if down && !pinged {
			if err := b.ps.Ping(b.ctx); err != nil { // dials and resubscribes
				b.sleep(backoff)
				backoff = min(2*backoff, maxBackoff)
				continue
			}
			pinged = true
		}
		msg, err := b.ps.ReceiveTimeout(b.ctx, interval)
		if err != nil {
			var ne net.Error
			switch {
			case b.ctx.Err() != nil:
				return
			case errors.As(err, &ne) && ne.Timeout():
				switch {
				case !pinged: // quiet: check the connection is alive
					pinged = b.ps.Ping(b.ctx) == nil
				case !down: // no PONG for a whole interval: a dead peer
					b.markDown(errors.New("no answer to PING"))
					b.resetSubscriber()
					down, pinged = true, false
				default:
					pinged = false
				}
			default:
				if !down {
					b.markDown(err)
				}
				down, pinged = true, false
				b.sleep(backoff)
				backoff = min(2*backoff, maxBackoff)
			}
			continue
		}
		backoff = minBackoff
		switch m := msg.(type) {
		case *goredis.Message:
			b.dispatch(m.Channel, m.Payload)
		case *goredis.Subscription:
			b.confirm(m)
		case *goredis.Pong:
			pinged = false
			if down {
				down = false
				b.markUp()
			}
		}
	}
}

// resetSubscriber replaces the subscriber connection by a new one
// subscribed to every channel: go-redis only reconnects after an error,
// and a connection whose peer vanished without a word gives none.
func (b *Backplane) resetSubscriber() {
	b.subMu.Lock()
	defer b.subMu.Unlock()
	b.mu.Lock()
	chans := make([]string, 0, len(b.subs))
	for ch := range b.subs {
		chans = append(chans, ch)
	}
	b.mu.Unlock()
	_ = b.ps.Close()
	b.ps = b.rdb.Subscribe(b.ctx)
	if len(chans) > 0 {
		_ = b.ps.Subscribe(b.ctx, chans...) // remembered even if it fails
	}
}

// confirm records Redis's answer to a SUBSCRIBE or UNSUBSCRIBE.
func (b *Backplane) confirm(m *goredis.Subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.subs[m.Channel]
	if s == nil {
		return
	}
	switch m.Kind {
	case "subscribe":
		s.confirmed = true
		for _, w := range s.waiters {
			close(w)
		}
		s.waiters = nil
	case "unsubscribe": // of an earlier subscription; ours follows
		s.confirmed = false
	}
}

// dispatch hands a message to its channel's handler, unless it is the
// echo of a publication this server already delivered itself.
func (b *Backplane) dispatch(ch, payload string) {
	b.stats.received.Add(1)
	b.mu.Lock()
	s := b.subs[ch]
	if s == nil {
		b.mu.Unlock()
		return
	}
	if q := b.echo[ch]; q != nil && q.match(payload) {
		drained := false
		if q.len() == 0 {
			delete(b.echo, ch)
			drained = s.refs == 0
		}
		b.mu.Unlock()
		b.stats.echoes.Add(1)
		if drained {
			b.run(func() { b.release(b.ctx, ch, false) })
		}
		return
	}
	handle := s.handle
	b.mu.Unlock()
	handle([]byte(payload))
}

// markDown records a lost subscriber connection: publications waiting to
// be written are dropped (they could be delivered twice or not at all)
// and so are the echoes awaited, which will never come.
func (b *Backplane) markDown(err error) {
	b.log.Warn("redis: connection lost, reconnecting", "error", err)
	b.mu.Lock()
	b.up = false
	b.upCh = make(chan struct{})
	clear(b.echo)
	for _, s := range b.subs {
		s.confirmed = false
	}
	dropped := b.pub.takeAll()
	b.mu.Unlock()
	for _, it := range dropped {
		it.fail(ErrUnavailable)
	}
	b.stats.dropped.Add(uint64(len(dropped)))
}

// markUp records that the subscriber connection is back, every channel
// subscribed again, and has presence checked at once.
func (b *Backplane) markUp() {
	b.mu.Lock()
	first := b.stats.reconnects.Load() == 0 && !b.everUp
	b.everUp = true
	b.up = true // the resubscriptions' confirmations came before the PONG
	close(b.upCh)
	b.mu.Unlock()
	if !first {
		b.stats.reconnects.Add(1)
		b.log.Info("redis: reconnected")
	}
	b.pres.kickNow()
}
