package redis

import (
	"context"
	"sync"
)

// tasks runs, in order on one goroutine, the work the receiving goroutine
// must not do itself because it may wait for Redis (group changes asked
// by other servers, closing connections). The queue is bounded: a flood
// of requests from Redis is dropped, not buffered.
type tasks struct {
	mu   sync.Mutex
	q    []func()
	wake chan struct{}
}

// maxTasks bounds the queued tasks.
const maxTasks = 10_000

// run queues f.
func (b *Backplane) run(f func()) {
	t := &b.tasks
	t.mu.Lock()
	if len(t.q) >= maxTasks {
		t.mu.Unlock()
		b.log.Warn("redis: too many requests from other servers, dropping one")
		return
	}
	t.q = append(t.q, f)
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (b *Backplane) taskLoop() {
	defer b.wg.Done()
	t := &b.tasks
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-t.wake:
		}
		for {
			t.mu.Lock()
			if len(t.q) == 0 {
				t.q = nil
				t.mu.Unlock()
				break
			}
			f := t.q[0]
			t.q[0] = nil
			t.q = t.q[1:]
			t.mu.Unlock()
			f()
		}
	}
}

// hubList returns the hubs.
func (b *Backplane) hubList() []*HubManager {
	b.mu.Lock()
	defer b.mu.Unlock()
	hubs := make([]*HubManager, 0, len(b.hubs))
	for _, h := range b.hubs {
		hubs = append(hubs, h)
	}
	return hubs
}

// sweep fails the calls to connections of other servers that presence no
// longer knows (their server died, or they left without answering and
// the answer was lost).
func (h *HubManager) sweep(ctx context.Context) {
	h.mu.RLock()
	var watched []*pendingResult
	for _, p := range h.pending {
		if p.tracked {
			watched = append(watched, p)
		}
	}
	h.mu.RUnlock()
	for _, p := range watched {
		v, err := scriptQuery.Run(ctx, h.b.rdb, []string{h.pres.nodes}, h.pres.k, "cg", p.connID).Result()
		if err != nil || found(v) {
			continue
		}
		h.mu.Lock()
		_, still := h.pending[p.id]
		delete(h.pending, p.id)
		h.mu.Unlock()
		if still {
			p.done <- resultOrErr{err: errDisconnected}
		}
	}
}
