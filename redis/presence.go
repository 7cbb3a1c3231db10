package redis

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// presence keeps this server's part of the cluster-wide presence in Redis
// (see presence_scripts.go for the keys). Changes are queued by the hubs
// and written in pipelines by one goroutine, which also sends the
// heartbeat and rewrites everything when Redis lost it.
type presence struct {
	b    *Backplane
	mu   sync.Mutex
	ops  []presOp
	wake chan struct{}
	kick chan struct{}
}

// presOp is one change of a hub's presence, or a barrier (done set) that
// a query waits on to see the changes queued before it.
type presOp struct {
	h      *HubManager
	kind   byte // opConnect, opDisconnect, opJoin, opLeave
	conn   string
	name   string   // user (connect, disconnect) or group (join, leave)
	groups []string // disconnect: the groups it leaves
	done   chan struct{}
}

const (
	opConnect = iota + 1
	opDisconnect
	opJoin
	opLeave
)

func (p *presence) init(b *Backplane) {
	p.b = b
	p.wake = make(chan struct{}, 1)
	p.kick = make(chan struct{}, 1)
}

// add queues a change.
func (p *presence) add(op presOp) {
	p.mu.Lock()
	p.ops = append(p.ops, op)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// kickNow asks for a heartbeat at once (after a reconnection).
func (p *presence) kickNow() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func (p *presence) loop() {
	b := p.b
	defer b.wg.Done()
	t := time.NewTicker(max(b.opts.NodeTTL/3, 50*time.Millisecond))
	defer t.Stop()
	dirty := true // nothing written yet
	for {
		select {
		case <-b.ctx.Done():
			p.release()
			return
		case <-t.C:
			dirty = p.heartbeat(dirty)
		case <-p.kick:
			dirty = p.heartbeat(dirty)
		case <-p.wake:
			if !p.flush(dirty) {
				dirty = true
			}
		}
	}
}

// release opens every barrier still queued (at Close).
func (p *presence) release() {
	p.mu.Lock()
	ops := p.ops
	p.ops = nil
	p.mu.Unlock()
	for _, op := range ops {
		if op.done != nil {
			close(op.done)
		}
	}
}

// flush writes the queued changes; false if Redis failed them. While
// dirty (a rewrite is due) changes are not written, the rewrite covers
// them.
func (p *presence) flush(dirty bool) bool {
	p.mu.Lock()
	ops := p.ops
	p.ops = nil
	p.mu.Unlock()
	ok := true
	if !dirty && slices.ContainsFunc(ops, func(op presOp) bool { return op.done == nil }) {
		ctx, cancel := context.WithTimeout(p.b.ctx, p.b.opts.OpTimeout)
		pipe := p.b.rdb.Pipeline()
		for _, op := range ops {
			if op.done == nil {
				op.h.pres.write(ctx, pipe, op)
			}
		}
		_, err := pipe.Exec(ctx)
		cancel()
		ok = err == nil
	}
	for _, op := range ops {
		if op.done != nil {
			close(op.done)
		}
	}
	return ok
}

// heartbeat refreshes every hub's alive key and reaps dead servers; it
// rewrites a hub's presence when dirty or when Redis lost it. It returns
// whether a rewrite is still due.
func (p *presence) heartbeat(dirty bool) bool {
	b := p.b
	ctx, cancel := context.WithTimeout(b.ctx, b.opts.OpTimeout)
	defer cancel()
	if !p.flush(dirty) {
		dirty = true
	}
	for _, h := range b.hubList() {
		lost, err := h.pres.beat(ctx)
		if err != nil {
			return true
		}
		h.sweep(ctx)
		if dirty || lost {
			if err := h.pres.rewrite(ctx); err != nil {
				b.log.Warn("redis: rewriting presence", "hub", h.name, "error", err)
				return true
			}
		}
	}
	return false
}

// leave deletes this server's presence (at Close).
func (p *presence) leave(ctx context.Context) {
	for _, h := range p.b.hubList() {
		_ = scriptWipe.Run(ctx, p.b.rdb, []string{h.pres.nodes}, h.pres.k, p.b.opts.ServerName, "leave", 0).Err()
	}
}

// hubPresence names the presence keys of one hub.
type hubPresence struct {
	h     *HubManager
	k     string // K
	nodes string // K nodes
	n     string // N(this server)
}

func (hp *hubPresence) init(h *HubManager) {
	hp.h = h
	hp.k = h.b.opts.ChannelPrefix + "{" + h.name + "}:p:"
	hp.nodes = hp.k + "nodes"
	s := h.b.opts.ServerName
	hp.n = hp.k + strconv.Itoa(len(s)) + ":" + s
}

// write queues the commands of one change on pipe.
func (hp *hubPresence) write(ctx context.Context, pipe goredis.Pipeliner, op presOp) {
	index := hp.n + ":keys"
	switch op.kind {
	case opConnect:
		pipe.HSet(ctx, hp.n+":conns", op.conn, op.name)
		if op.name != "" {
			scriptAdd.Eval(ctx, pipe, []string{hp.n + ":u:" + op.name, index}, op.conn)
		}
	case opDisconnect:
		pipe.HDel(ctx, hp.n+":conns", op.conn)
		if op.name != "" {
			scriptRem.Eval(ctx, pipe, []string{hp.n + ":u:" + op.name, index}, op.conn)
		}
		for _, g := range op.groups {
			scriptRem.Eval(ctx, pipe, []string{hp.n + ":g:" + g, index}, op.conn)
		}
		pipe.Del(ctx, hp.n+":cg:"+op.conn)
		pipe.SRem(ctx, index, hp.n+":cg:"+op.conn)
	case opJoin:
		scriptAdd.Eval(ctx, pipe, []string{hp.n + ":g:" + op.name, index}, op.conn)
		scriptAdd.Eval(ctx, pipe, []string{hp.n + ":cg:" + op.conn, index}, op.name)
	case opLeave:
		scriptRem.Eval(ctx, pipe, []string{hp.n + ":g:" + op.name, index}, op.conn)
		scriptRem.Eval(ctx, pipe, []string{hp.n + ":cg:" + op.conn, index}, op.name)
	}
}

// beat runs the heartbeat script; lost reports that Redis had no alive
// key of ours.
func (hp *hubPresence) beat(ctx context.Context) (lost bool, err error) {
	b := hp.h.b
	v, err := scriptHeartbeat.Run(ctx, b.rdb, []string{hp.nodes}, hp.k, b.opts.ServerName, b.opts.NodeTTL.Milliseconds()).Int()
	return v == 0, err
}

// rewrite replaces this server's presence of the hub with its local
// state, in one transaction.
func (hp *hubPresence) rewrite(ctx context.Context) error {
	b := hp.h.b
	conns := hp.h.snapshot()
	_, err := b.rdb.TxPipelined(ctx, func(pipe goredis.Pipeliner) error {
		scriptWipe.Eval(ctx, pipe, []string{hp.nodes}, hp.k, b.opts.ServerName, "rewrite", b.opts.NodeTTL.Milliseconds())
		for _, c := range conns {
			hp.write(ctx, pipe, presOp{kind: opConnect, conn: c.id, name: c.user})
			for _, g := range c.groups {
				hp.write(ctx, pipe, presOp{kind: opJoin, conn: c.id, name: g})
			}
		}
		return nil
	})
	return err
}

// query runs a presence query after the changes queued before it.
func (hp *hubPresence) query(ctx context.Context, kind, name string) (any, error) {
	b := hp.h.b
	done := make(chan struct{})
	b.pres.add(presOp{done: done})
	select {
	case <-done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if !b.isUp() {
		return nil, ErrUnavailable
	}
	ctx, cancel := context.WithTimeout(ctx, b.opts.OpTimeout)
	defer cancel()
	v, err := scriptQuery.Run(ctx, b.rdb, []string{hp.nodes}, hp.k, kind, name).Result()
	if err != nil {
		return nil, fmt.Errorf("%w: presence: %w", ErrUnavailable, err)
	}
	return v, nil
}

// strs converts a script's array reply.
func strs(v any) []string {
	items, _ := v.([]any)
	out := make([]string, 0, len(items))
	for _, it := range items {
		if s, ok := it.(string); ok {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}
