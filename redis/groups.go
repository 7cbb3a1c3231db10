package redis

import (
	"context"
	"fmt"
	"time"
)

// AddToGroup implements [signalr.LifetimeManager]. A local connection
// joins at once (its server subscribes to the group's channel first, when
// it is the group's first local member). For a connection of another
// server it publishes ASP.NET Core's group command and waits for that
// server's ack, at most Options.AckTimeout, failing with [ErrAckTimeout]
// (most likely no server has the connection).
func (h *HubManager) AddToGroup(ctx context.Context, connID, group string) error {
	if h.joinLocal(ctx, connID, group) {
		return nil
	}
	return h.groupCommand(ctx, groupAdd, connID, group)
}

// RemoveFromGroup implements [signalr.LifetimeManager], as AddToGroup;
// the connection stops receiving the group's messages at once.
func (h *HubManager) RemoveFromGroup(ctx context.Context, connID, group string) error {
	if h.leaveLocal(ctx, connID, group) {
		return nil
	}
	return h.groupCommand(ctx, groupRemove, connID, group)
}

// joinLocal adds a local connection to a group; false if the connection
// is not local. The channel is subscribed before the connection joins, so
// that a message this server sends to the group meanwhile is not
// delivered both directly and by its echo.
func (h *HubManager) joinLocal(ctx context.Context, connID, group string) bool {
	h.mu.RLock()
	lc := h.conns[connID]
	_, member := lc.groupsHas(group)
	h.mu.RUnlock()
	if lc == nil {
		return false
	}
	if member {
		return true
	}
	h.b.subscribe(ctx, h.ch.group(group), func(p []byte) { h.onGroup(group, p) })
	h.mu.Lock()
	_, member = lc.groupsHas(group)
	joined := !member && h.conns[connID] == lc
	if joined {
		if lc.groups == nil {
			lc.groups = make(map[string]uint64, 1)
		}
		lc.groups[group] = h.seq.Add(1)
		h.groups.Add(group, connID, lc)
	}
	h.mu.Unlock()
	if !joined { // raced with another join or with Remove
		h.b.unsubscribe(ctx, h.ch.group(group))
		return true
	}
	h.b.pres.change(presOp{h: h, kind: opJoin, conn: connID, name: group})
	return true
}

// leaveLocal removes a local connection from a group; false if the
// connection is not local.
func (h *HubManager) leaveLocal(ctx context.Context, connID, group string) bool {
	h.mu.Lock()
	lc := h.conns[connID]
	if lc == nil {
		h.mu.Unlock()
		return false
	}
	_, member := lc.groupsHas(group)
	if member {
		delete(lc.groups, group)
		h.groups.Remove(group, connID)
	}
	h.mu.Unlock()
	if member {
		h.b.unsubscribe(ctx, h.ch.group(group))
		h.b.pres.change(presOp{h: h, kind: opLeave, conn: connID, name: group})
	}
	return true
}

// groupsHas reports whether lc (which may be nil) is in group.
func (lc *localConn) groupsHas(group string) (uint64, bool) {
	if lc == nil {
		return 0, false
	}
	v, ok := lc.groups[group]
	return v, ok
}

// groupCommand asks the server owning connID to change its groups and
// waits for its ack.
func (h *HubManager) groupCommand(ctx context.Context, action byte, connID, group string) error {
	id := h.ackID.Add(1)
	acked := make(chan struct{})
	h.ackMu.Lock()
	h.acks[id] = acked
	h.ackMu.Unlock()
	defer func() {
		h.ackMu.Lock()
		delete(h.acks, id)
		h.ackMu.Unlock()
	}()
	payload := appendGroupCommand(nil, &groupCommand{id: id, server: h.b.opts.ServerName, action: action, group: group, connID: connID})
	if err := h.b.publish(h.ch.groups, payload, false, nil); err != nil {
		return err
	}
	t := time.NewTimer(h.b.opts.AckTimeout)
	defer t.Stop()
	select {
	case <-acked:
		return nil
	case <-t.C:
		return fmt.Errorf("%w (%v): connection %q, group %q", ErrAckTimeout, h.b.opts.AckTimeout, connID, group)
	case <-ctx.Done():
		return ctx.Err()
	case <-h.b.ctx.Done():
		return ErrClosed
	}
}

// onGroupCommand applies a group command to a local connection and acks
// it; commands for other servers' connections are ignored, as ASP.NET
// Core does. The change may subscribe and so wait for the subscriber
// connection: it runs on the task goroutine, not the receiving one.
func (h *HubManager) onGroupCommand(p []byte) {
	cmd, err := parseGroupCommand(p)
	if err != nil {
		h.invalid("group command", err)
		return
	}
	if cmd.action != groupAdd && cmd.action != groupRemove {
		h.invalid("group command", fmt.Errorf("%w: action %d", errPayload, cmd.action))
		return
	}
	h.b.run(func() {
		ctx := h.b.ctx
		var local bool
		if cmd.action == groupAdd {
			local = h.joinLocal(ctx, cmd.connID, cmd.group)
		} else {
			local = h.leaveLocal(ctx, cmd.connID, cmd.group)
		}
		if local {
			ack := h.ch.p + ":internal:ack:" + cmd.server
			_ = h.b.publish(ack, appendAck(nil, cmd.id), false, nil)
		}
	})
}

// onAck wakes the group change an ack answers; unknown ids are ignored.
func (h *HubManager) onAck(p []byte) {
	id, err := parseAck(p)
	if err != nil {
		h.invalid("ack", err)
		return
	}
	h.ackMu.Lock()
	if acked := h.acks[id]; acked != nil {
		close(acked)
		delete(h.acks, id)
	}
	h.ackMu.Unlock()
}

// invalid logs and counts a payload that could not be read.
func (h *HubManager) invalid(what string, err error) {
	h.b.stats.invalid.Add(1)
	h.b.log.Warn("redis: dropping an invalid payload", "hub", h.name, "kind", what, "error", err)
}
