package redis

import (
	"context"
	"errors"
	"slices"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/protocol"
)

// The handlers of the hub's channels. They run on the receiving
// goroutine, in the order Redis delivers, and never wait for Redis.

// onAll delivers a message of the all channel.
func (h *HubManager) onAll(p []byte) {
	inv, m, ok := h.readInvocation("all", p)
	if !ok {
		return
	}
	h.deliverTo(m, inv.excluded, nil, false, func(add func(*localConn)) {
		for _, lc := range h.conns {
			add(lc)
		}
	})
}

// onGroup delivers a message of a group's channel. For a send to several
// groups (names listed), a connection that is also in a group listed
// before this one gets the message from that group's publication instead.
func (h *HubManager) onGroup(group string, p []byte) {
	h.onSet(h.groups, group, p, func(lc *localConn, other string) bool {
		_, in := lc.groups[other]
		return in
	})
}

// onUser delivers a message of a user's channel, as onGroup.
func (h *HubManager) onUser(user string, p []byte) {
	h.onSet(h.users, user, p, func(lc *localConn, other string) bool {
		return lc.c.UserID() == other
	})
}

func (h *HubManager) onSet(index map[string]map[string]*localConn, name string, p []byte, in func(*localConn, string) bool) {
	inv, m, ok := h.readInvocation("group or user", p)
	if !ok {
		return
	}
	var earlier []string
	if i := slices.Index(inv.names, name); i > 0 {
		earlier = inv.names[:i]
	}
	var skip func(*localConn) bool
	if len(earlier) > 0 {
		skip = func(lc *localConn) bool {
			return slices.ContainsFunc(earlier, func(other string) bool { return in(lc, other) })
		}
	}
	h.deliverTo(m, inv.excluded, skip, false, func(add func(*localConn)) {
		for _, lc := range index[name] {
			add(lc)
		}
	})
}

// onConnection delivers a message of a local connection's channel; one
// with an invocation id is a client-result call from another server,
// whose answer goes back on its return channel.
func (h *HubManager) onConnection(id string, p []byte) {
	inv, m, ok := h.readInvocation("connection", p)
	if !ok {
		return
	}
	h.mu.Lock()
	lc := h.conns[id]
	if lc == nil {
		h.mu.Unlock()
		return
	}
	if inv.invocationID != "" && inv.returnChannel != "" {
		if _, dup := h.pending[inv.invocationID]; dup {
			h.mu.Unlock()
			h.invalid("connection", errors.New("duplicate invocation id"))
			return
		}
		h.pending[inv.invocationID] = &pendingResult{
			id: inv.invocationID, connID: id, returnChannel: inv.returnChannel,
			protocol: h.protocolOf(inv),
		}
		if lc.results == nil {
			lc.results = make(map[string]struct{}, 1)
		}
		lc.results[inv.invocationID] = struct{}{}
	}
	h.mu.Unlock()
	_ = lc.c.Send(m)
}

// protocolOf picks the protocol a disconnection error is answered in:
// the first of the hub's that the caller also encoded.
func (h *HubManager) protocolOf(inv *invocation) protocol.HubProtocol {
	for _, hp := range h.protos {
		for _, e := range inv.encodings {
			if e.name == hp.Name() {
				return hp
			}
		}
	}
	return h.protos[0]
}

// readInvocation parses an invocation payload into a message prepared
// with the encodings it carries.
func (h *HubManager) readInvocation(what string, p []byte) (*invocation, *protocol.Prepared, bool) {
	inv, err := parseInvocation(p)
	if err != nil {
		h.invalid(what, err)
		return nil, nil, false
	}
	encoded := make(map[string][]byte, len(inv.encodings))
	for _, e := range inv.encodings {
		encoded[e.name] = e.bytes
	}
	return inv, protocol.PrepareEncoded(nil, encoded), true
}

// onReturn completes a call of this server with another server's answer.
func (h *HubManager) onReturn(p []byte) {
	c, err := parseCompletion(p)
	if err != nil {
		h.invalid("completion", err)
		return
	}
	var hp protocol.HubProtocol
	for _, cand := range h.protos {
		if cand.Name() == c.protocol {
			hp = cand
		}
	}
	if hp == nil {
		h.invalid("completion", errors.New("protocol "+c.protocol+" is not one of the hub's"))
		return
	}
	body, n, err := hp.NextFrame(c.bytes, 0)
	if err == nil && n == 0 {
		err = errors.New("incomplete frame")
	}
	var msg protocol.Message
	if err == nil {
		msg, err = hp.Decode(body)
	}
	cm, ok := msg.(*protocol.Completion)
	if err != nil || !ok {
		h.invalid("completion", errors.Join(errors.New("not a Completion"), err))
		return
	}
	h.mu.Lock()
	pr := h.pending[cm.InvocationID]
	if pr == nil || !pr.remote {
		h.mu.Unlock()
		return // canceled meanwhile
	}
	delete(h.pending, cm.InvocationID)
	h.mu.Unlock()
	r := signalr.ClientResult{Protocol: hp, Error: cm.Error}
	if raw, ok := cm.Result.(protocol.Raw); ok && cm.HasResult && cm.Error == "" {
		r.Result = raw // aliases p, which is ours
	}
	if cm.Error == signalr.ErrDisconnected.Message { // the owner's Remove
		pr.done <- resultOrErr{err: signalr.ErrDisconnected}
		return
	}
	pr.done <- resultOrErr{r: r}
}

// onDisconnect closes local connections another server asked to close.
func (h *HubManager) onDisconnect(p []byte) {
	d, err := parseDisconnect(p)
	if err != nil {
		h.invalid("disconnect", err)
		return
	}
	var cause error
	if d.message != "" {
		cause = &signalr.HubError{Message: d.message}
	}
	h.abort(d.kind, d.name, cause)
}

// abort closes the local connections of a disconnect request; Abort may
// reach Remove, which waits for Redis, so it runs on the task goroutine.
func (h *HubManager) abort(kind byte, name string, cause error) {
	h.mu.RLock()
	var cs []signalr.Conn
	if kind == disconnectConn {
		if lc := h.conns[name]; lc != nil {
			cs = append(cs, lc.c)
		}
	} else {
		for _, lc := range h.users[name] {
			cs = append(cs, lc.c)
		}
	}
	h.mu.RUnlock()
	if len(cs) > 0 {
		h.b.run(func() {
			for _, c := range cs {
				c.Abort(cause)
			}
		})
	}
}

// Disconnect implements [signalr.LifetimeManager]: a connection of
// another server is closed by that server, told on this package's own
// channel {prefix}{hub}:internal:disconnect. It returns
// [signalr.ErrConnectionNotFound] when presence knows the connection
// nowhere (so it cannot close a .NET server's connection).
func (h *HubManager) Disconnect(ctx context.Context, connID string, err error) error {
	h.mu.RLock()
	lc := h.conns[connID]
	h.mu.RUnlock()
	if lc != nil {
		lc.c.Abort(err)
		return nil
	}
	v, qerr := h.pres.query(ctx, "cg", connID)
	if qerr != nil {
		return qerr
	}
	if !found(v) {
		return signalr.ErrConnectionNotFound
	}
	return h.b.publish(h.ch.disc, appendDisconnect(nil, &disconnect{kind: disconnectConn, name: connID, message: hubMessage(err)}), false, nil)
}

// DisconnectUser implements [signalr.LifetimeManager] cluster-wide: this
// server closes its connections of the user and publishes the request.
func (h *HubManager) DisconnectUser(ctx context.Context, userID string, err error) error {
	payload := appendDisconnect(nil, &disconnect{kind: disconnectUser, name: userID, message: hubMessage(err)})
	reserved := h.b.reserve(h.ch.disc, payload)
	h.mu.RLock()
	var cs []signalr.Conn
	for _, lc := range h.users[userID] {
		cs = append(cs, lc.c)
	}
	h.mu.RUnlock()
	for _, c := range cs {
		c.Abort(err)
	}
	return h.b.publish(h.ch.disc, payload, reserved, nil)
}

// hubMessage is the text a client sees for err: only a *HubError's.
func hubMessage(err error) string {
	var he *signalr.HubError
	if errors.As(err, &he) {
		return he.Message
	}
	return ""
}

// Connections implements [signalr.LifetimeManager] for the whole cluster;
// it fails with [ErrUnavailable] while Redis is down.
func (h *HubManager) Connections(ctx context.Context, userID string) ([]string, error) {
	v, err := h.pres.query(ctx, "u", userID)
	return strs(v), err
}

// Members implements [signalr.LifetimeManager] for the whole cluster.
func (h *HubManager) Members(ctx context.Context, group string) ([]string, error) {
	v, err := h.pres.query(ctx, "g", group)
	return strs(v), err
}

// GroupsOf implements [signalr.LifetimeManager] for the whole cluster; a
// local connection is answered without Redis.
func (h *HubManager) GroupsOf(ctx context.Context, connID string) ([]string, error) {
	h.mu.RLock()
	if lc := h.conns[connID]; lc != nil {
		gs := make([]string, 0, len(lc.groups))
		for g := range lc.groups {
			gs = append(gs, g)
		}
		h.mu.RUnlock()
		slices.Sort(gs)
		return gs, nil
	}
	h.mu.RUnlock()
	v, err := h.pres.query(ctx, "cg", connID)
	if err != nil {
		return nil, err
	}
	if !found(v) {
		return nil, signalr.ErrConnectionNotFound
	}
	return strs(v.([]any)[1]), nil
}

// Count implements [signalr.LifetimeManager] for the whole cluster.
func (h *HubManager) Count(ctx context.Context) (int, error) {
	v, err := h.pres.query(ctx, "count", "")
	n, _ := v.(int64)
	return int(n), err
}

// start subscribes the hub's channels once.
func (h *HubManager) start() { h.once.Do(h.subscribeHub) }
