package redis

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/internal/index"
	"github.com/signalr-go/signalr/protocol"
)

// HubManager is the [signalr.LifetimeManager] of one hub on a
// [Backplane]; pass it as signalr.Options.LifetimeManager. See the
// package documentation for what crosses servers and how.
type HubManager struct {
	b      *Backplane
	name   string
	protos []protocol.HubProtocol
	ch     hubChannels
	pres   hubPresence
	once   sync.Once

	mu      sync.RWMutex
	conns   map[string]*localConn
	users   index.Index[*localConn]
	groups  index.Index[*localConn]
	pending map[string]*pendingResult

	// seq numbers connection adds and group joins, so that a send serves
	// directly only those that came before it reserved its echo (one
	// that came later may get the echo instead: not twice).
	seq atomic.Uint64

	scratch sync.Pool // *[]signalr.Conn, recipient lists

	ackID atomic.Int32
	ackMu sync.Mutex
	acks  map[int32]chan struct{}
}

// localConn is a connection of this server and what it belongs to.
type localConn struct {
	c       signalr.Conn
	added   uint64              // HubManager.seq when it was added
	groups  map[string]uint64   // group -> seq when it joined; allocated on first join
	results map[string]struct{} // ids of pending client results
}

var _ signalr.LifetimeManager = (*HubManager)(nil)

// hubChannels are the channel names of one hub, ChannelPrefix included.
type hubChannels struct {
	p       string // ChannelPrefix + hub
	all     string
	groups  string
	ack     string
	ret     string
	retWire string // ret as written in payloads: without ChannelPrefix
	disc    string
}

func newHubManager(b *Backplane, name string, protos []protocol.HubProtocol) *HubManager {
	h := &HubManager{
		b: b, name: name, protos: protos,
		conns:   make(map[string]*localConn),
		users:   index.Index[*localConn]{},
		groups:  index.Index[*localConn]{},
		pending: make(map[string]*pendingResult),
		acks:    make(map[int32]chan struct{}),
	}
	p := b.opts.ChannelPrefix + name
	h.ch = hubChannels{
		p: p, all: p + ":all", groups: p + ":internal:groups",
		ack: p + ":internal:ack:" + b.opts.ServerName, ret: p + ":internal:return:" + b.opts.ServerName,
		retWire: name + ":internal:return:" + b.opts.ServerName, disc: p + ":internal:disconnect",
	}
	h.pres.init(h)
	return h
}

func (c *hubChannels) connection(id string) string { return c.p + ":connection:" + id }
func (c *hubChannels) group(name string) string    { return c.p + ":group:" + name }
func (c *hubChannels) user(id string) string       { return c.p + ":user:" + id }

// subscribeHub subscribes the hub's channels, in ASP.NET Core's order.
func (h *HubManager) subscribeHub() {
	ctx := h.b.ctx
	h.b.subscribe(ctx, h.ch.all, h.onAll)
	h.b.subscribe(ctx, h.ch.groups, h.onGroupCommand)
	h.b.subscribe(ctx, h.ch.ack, h.onAck)
	h.b.subscribe(ctx, h.ch.ret, h.onReturn)
	h.b.subscribe(ctx, h.ch.disc, h.onDisconnect)
}

// Add implements [signalr.LifetimeManager]: it subscribes to the
// connection's channel (and its user's, ref-counted) before the
// connection can receive anything, and records it in the cluster's
// presence.
func (h *HubManager) Add(ctx context.Context, c signalr.Conn) error {
	id, user := c.ID(), c.UserID()
	h.b.subscribe(ctx, h.ch.connection(id), func(p []byte) { h.onConnection(id, p) })
	if user != "" {
		h.b.subscribe(ctx, h.ch.user(user), func(p []byte) { h.onUser(user, p) })
	}
	lc := &localConn{c: c}
	h.mu.Lock()
	lc.added = h.seq.Add(1)
	h.conns[id] = lc
	if user != "" {
		h.users.Add(user, id, lc)
	}
	h.mu.Unlock()
	h.b.pres.change(presOp{h: h, kind: opConnect, conn: id, name: user})
	return nil
}

// Remove implements [signalr.LifetimeManager]. Client-result calls to the
// connection fail with "Connection disconnected.", wherever the caller is.
func (h *HubManager) Remove(ctx context.Context, c signalr.Conn) error {
	id, user := c.ID(), c.UserID()
	h.mu.Lock()
	lc := h.conns[id]
	if lc == nil || lc.c != c {
		h.mu.Unlock()
		return nil
	}
	delete(h.conns, id)
	if user != "" {
		h.users.Remove(user, id)
	}
	groups := make([]string, 0, len(lc.groups))
	for g := range lc.groups {
		h.groups.Remove(g, id)
		groups = append(groups, g)
	}
	var failed []*pendingResult
	for rid := range lc.results {
		failed = append(failed, h.pending[rid])
		delete(h.pending, rid)
	}
	h.mu.Unlock()
	for _, p := range failed {
		h.fail(p, signalr.ErrDisconnected)
	}
	h.b.unsubscribe(ctx, h.ch.connection(id))
	if user != "" {
		h.b.unsubscribe(ctx, h.ch.user(user))
	}
	for _, g := range groups {
		h.b.unsubscribe(ctx, h.ch.group(g))
	}
	h.b.pres.change(presOp{h: h, kind: opDisconnect, conn: id, name: user, groups: groups})
	return nil
}

// Send implements [signalr.LifetimeManager]. Local recipients are served
// at once; the other servers' part is queued for Redis, and when it
// cannot be (Redis down, queue full) Send returns an error wrapping
// [ErrUnavailable] after serving the local recipients.
func (h *HubManager) Send(_ context.Context, t signalr.Target, m *protocol.Prepared) error {
	switch t.Kind {
	case signalr.ToAll:
		seq := h.seq.Load()
		payload := h.payload(m, t.Exclude, nil)
		reserved := h.b.reserve(h.ch.all, payload)
		h.deliverTo(m, t.Exclude, nil, false, func(add func(*localConn)) {
			for _, lc := range h.conns {
				if lc.added <= seq {
					add(lc)
				}
			}
		})
		return h.b.publish(h.ch.all, payload, reserved, nil)
	case signalr.ToConnections:
		return h.sendConnections(t, m)
	case signalr.ToGroups, signalr.ToUsers:
		return h.sendSets(t, m)
	}
	return fmt.Errorf("redis: unknown target kind %d", t.Kind)
}

// sendConnections serves local connections directly and publishes to the
// channel of each other one.
func (h *HubManager) sendConnections(t signalr.Target, m *protocol.Prepared) error {
	var local []signalr.Conn
	var remote []string
	h.mu.RLock()
	for i, id := range t.Names {
		if slices.Contains(t.Names[:i], id) || slices.Contains(t.Exclude, id) {
			continue
		}
		if lc := h.conns[id]; lc != nil {
			local = append(local, lc.c)
		} else {
			remote = append(remote, id)
		}
	}
	h.mu.RUnlock()
	h.deliver(local, m)
	var payload []byte
	var err error
	for _, id := range remote {
		if payload == nil {
			payload = h.payload(m, nil, nil)
		}
		if perr := h.b.publish(h.ch.connection(id), payload, false, nil); err == nil {
			err = perr
		}
	}
	return err
}

// sendSets sends to groups or users: local members once each, and one
// publication per name.
func (h *HubManager) sendSets(t signalr.Target, m *protocol.Prepared) error {
	index, chName := h.groups, h.ch.group
	if t.Kind == signalr.ToUsers {
		index, chName = h.users, h.ch.user
	}
	var names []string
	for _, n := range t.Names {
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil
	}
	seq := h.seq.Load()
	var listed []string
	if len(names) > 1 {
		listed = names
	}
	payload := h.payload(m, t.Exclude, listed)
	reserved := make([]bool, len(names))
	for i, n := range names {
		reserved[i] = h.b.reserve(chName(n), payload)
	}
	groups := t.Kind == signalr.ToGroups
	h.deliverTo(m, t.Exclude, nil, len(names) > 1, func(add func(*localConn)) {
		for _, n := range names {
			for _, lc := range index[n] {
				if lc.added <= seq && (!groups || lc.groups[n] <= seq) {
					add(lc)
				}
			}
		}
	})
	var err error
	for i, n := range names {
		if perr := h.b.publish(chName(n), payload, reserved[i], nil); err == nil {
			err = perr
		}
	}
	return err
}

// deliverTo queues m on the distinct connections each calls add with,
// minus the excluded ones and those skip accepts. They are collected
// under the read lock and written to after it, so that a connection
// closing because of the write cannot deadlock with the manager; dedupe
// is needed only when each may name a connection twice.
func (h *HubManager) deliverTo(m *protocol.Prepared, exclude []string, skip func(*localConn) bool, dedupe bool, each func(add func(*localConn))) {
	buf, _ := h.scratch.Get().(*[]signalr.Conn)
	if buf == nil {
		buf = new([]signalr.Conn)
	}
	out := (*buf)[:0]
	var seen map[*localConn]struct{}
	h.mu.RLock()
	each(func(lc *localConn) {
		if slices.Contains(exclude, lc.c.ID()) || (skip != nil && skip(lc)) {
			return
		}
		if dedupe {
			if seen == nil {
				seen = make(map[*localConn]struct{})
			}
			if _, dup := seen[lc]; dup {
				return
			}
			seen[lc] = struct{}{}
		}
		out = append(out, lc.c)
	})
	h.mu.RUnlock()
	h.deliver(out, m)
	clear(out)
	*buf = out[:0]
	h.scratch.Put(buf)
}

// deliver queues m on each connection; a failing one closes itself.
func (h *HubManager) deliver(to []signalr.Conn, m *protocol.Prepared) {
	for _, c := range to {
		_ = c.Send(m)
	}
}

// payload encodes m in every protocol of the hub into an invocation
// payload.
func (h *HubManager) payload(m *protocol.Prepared, exclude, names []string) []byte {
	return appendInvocation(nil, &invocation{excluded: exclude, encodings: h.encodings(m), names: names})
}

func (h *HubManager) encodings(m *protocol.Prepared) []encoding {
	encs := make([]encoding, 0, len(h.protos))
	for _, hp := range h.protos {
		if b, err := m.Bytes(hp); err == nil {
			encs = append(encs, encoding{name: hp.Name(), bytes: b})
		} else {
			h.b.log.Warn("redis: encoding a message", "hub", h.name, "protocol", hp.Name(), "error", err)
		}
	}
	return encs
}

// snapshotConn is a connection as presence records it.
type snapshotConn struct {
	id, user string
	groups   []string
}

// snapshot returns the local connections for a presence rewrite.
func (h *HubManager) snapshot() []snapshotConn {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]snapshotConn, 0, len(h.conns))
	for id, lc := range h.conns {
		sc := snapshotConn{id: id, user: lc.c.UserID()}
		for g := range lc.groups {
			sc.groups = append(sc.groups, g)
		}
		out = append(out, sc)
	}
	return out
}
