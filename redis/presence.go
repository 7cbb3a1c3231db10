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

// presOp is one change of a hub's presence, or a barrier (kind 0) that a
// query waits on to see the changes queued before it; done, when set, is
// closed once the op is written.
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

// change queues a change and waits until it is written (or Redis failed
// it), at most OpTimeout: presence is then up to date for every server.
func (p *presence) change(op presOp) {
	op.done = make(chan struct{})
	p.add(op)
	t := time.NewTimer(p.b.opts.OpTimeout)
	defer t.Stop()
	select {
	case <-op.done:
	case <-t.C:
	case <-p.b.ctx.Done():
	}
}

// add queues a change or a barrier.
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
	for {
		select {
		case <-b.ctx.Done():
			p.release()
			return
		case <-t.C:
			p.sync(true)
		case <-p.kick:
			p.sync(true)
		case <-p.wake:
			p.sync(false)
		}
	}
}

// release opens every barrier still queued (at Close).
func (p *presence) release() {
	p.mu.Lock()
	ops := p.ops
	p.ops = nil
	p.mu.Unlock()
	closeBarriers(ops)
}

func closeBarriers(ops []presOp) {
	for _, op := range ops {
		if op.done != nil {
			close(op.done)
		}
	}
}

// sync writes the queued changes, and with beat (or when a hub's
// presence must be rewritten) runs the heartbeat; then it opens the
// barriers of the queued ops.
func (p *presence) sync(beat bool) {
	p.mu.Lock()
	ops := p.ops
	p.ops = nil
	p.mu.Unlock()
	defer closeBarriers(ops)
	p.write(ops)
	hubs := p.b.hubList()
	if beat || slices.ContainsFunc(hubs, func(h *HubManager) bool { return h.pres.dirty }) {
		p.heartbeat(hubs)
	}
}

// write writes the changes of hubs whose presence is in Redis in one
// pipeline; when Redis fails them, those hubs are rewritten later. (A
// hub due for a rewrite skips them: the rewrite covers them.)
func (p *presence) write(ops []presOp) {
	var written []*hubPresence
	ctx, cancel := context.WithTimeout(p.b.ctx, p.b.opts.OpTimeout)
	defer cancel()
	pipe := p.b.rdb.Pipeline()
	for _, op := range ops {
		if op.kind != 0 && !op.h.pres.dirty {
			op.h.pres.write(ctx, pipe, op)
			written = append(written, &op.h.pres)
		}
	}
	if len(written) == 0 {
		return
	}
	if _, err := pipe.Exec(ctx); err != nil {
		for _, hp := range written {
			hp.dirty = true
		}
	}
}

// heartbeat refreshes every hub's alive key, reaps dead servers and fails
// calls to connections that vanished; it rewrites a hub's presence when
// dirty or when Redis lost it.
func (p *presence) heartbeat(hubs []*HubManager) {
	b := p.b
	ctx, cancel := context.WithTimeout(b.ctx, b.opts.OpTimeout)
	defer cancel()
	for _, h := range hubs {
		lost, err := h.pres.beat(ctx)
		if err != nil {
			h.pres.dirty = true
			continue
		}
		if h.pres.dirty || lost {
			if err := h.pres.rewrite(ctx); err != nil {
				b.log.Warn("redis: rewriting presence", "hub", h.name, "error", err)
				h.pres.dirty = true
				continue
			}
			h.pres.dirty = false
		}
		h.sweep(ctx)
	}
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
	// dirty says Redis may lack some of this server's presence of the
	// hub: rewrite it all. Only the presence goroutine uses it.
	dirty bool
}

func (hp *hubPresence) init(h *HubManager) {
	hp.h = h
	hp.k = h.b.opts.ChannelPrefix + "{" + h.name + "}:p:"
	hp.nodes = hp.k + "nodes"
	s := h.b.opts.ServerName
	hp.n = hp.k + strconv.Itoa(len(s)) + ":" + s
	hp.dirty = true // nothing written yet
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
