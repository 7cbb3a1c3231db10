package redis

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/protocol"
)

// pendingResult is a client-result call waiting for its answer: one this
// server made (done set), or one it forwarded to a local connection for
// another server (returnChannel set).
type pendingResult struct {
	id            string
	connID        string
	done          chan resultOrErr // buffered, receives once
	remote        bool             // the connection is on another server
	tracked       bool             // and presence knew it: its loss fails the call
	returnChannel string           // forwarded: where the answer goes
	protocol      protocol.HubProtocol
}

type resultOrErr struct {
	r   signalr.ClientResult
	err error
}

// newInvocationID returns 16 random bytes in base64 without padding (22
// characters), as ASP.NET Core's ids: unique across servers.
func newInvocationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawStdEncoding.EncodeToString(b[:])
}

// Invoke implements [signalr.LifetimeManager]. A connection of another
// server gets the call through Redis and answers on this server's return
// channel. A connection no server subscribes to fails at once with an
// error wrapping [signalr.ErrConnectionNotFound] ("Connection 'X' does not
// exist."); one that goes away before answering fails the call with
// [signalr.ErrDisconnected], also when its server dies (noticed through
// presence within Options.NodeTTL).
func (h *HubManager) Invoke(ctx context.Context, connID, method string, args []any) (signalr.ClientResult, error) {
	id := newInvocationID()
	msg := protocol.Prepare(&protocol.Invocation{InvocationID: id, Target: method, Arguments: args})
	p := &pendingResult{id: id, connID: connID, done: make(chan resultOrErr, 1)}
	h.mu.Lock()
	lc := h.conns[connID]
	h.pending[id] = p
	if lc != nil {
		if lc.results == nil {
			lc.results = make(map[string]struct{}, 1)
		}
		lc.results[id] = struct{}{}
	} else {
		p.remote = true
	}
	h.mu.Unlock()
	defer h.forget(id)

	if lc != nil {
		if err := lc.c.Send(msg); err != nil {
			return signalr.ClientResult{}, err
		}
	} else if err := h.publishCall(ctx, id, p, msg); err != nil {
		return signalr.ClientResult{}, err
	}
	select {
	case r := <-p.done:
		return r.r, r.err
	case <-ctx.Done():
		return signalr.ClientResult{}, ctx.Err()
	}
}

// publishCall publishes a client-result invocation to a remote
// connection's channel and checks that some server received it.
func (h *HubManager) publishCall(ctx context.Context, id string, p *pendingResult, msg *protocol.Prepared) error {
	payload := appendInvocation(nil, &invocation{encodings: h.encodings(msg), invocationID: id, returnChannel: h.ch.retWire})
	reply := make(chan pubResult, 1)
	if err := h.b.publish(h.ch.connection(p.connID), payload, false, reply); err != nil {
		return err
	}
	t := time.NewTimer(h.b.opts.AckTimeout)
	defer t.Stop()
	var r pubResult
	select {
	case r = <-reply:
		if r.err != nil {
			return r.err
		}
		// In a Redis Cluster the count is of the subscribers on the node
		// that took the PUBLISH only: ask presence instead.
		if r.receivers < 1 && !h.b.opts.Cluster {
			return errConnectionGone(p.connID)
		}
	case <-t.C:
		return fmt.Errorf("%w: the call was not published within %v", ErrUnavailable, h.b.opts.AckTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
	// Only Go servers write presence: a connection it does not know (a
	// .NET server's) is not watched.
	v, err := h.pres.query(ctx, "cg", p.connID)
	known := err == nil && found(v)
	if known {
		h.mu.Lock()
		p.tracked = true
		h.mu.Unlock()
	} else if r.receivers < 1 && err == nil {
		return errConnectionGone(p.connID)
	}
	return nil
}

// found reads the found flag of a "cg" presence query.
func found(v any) bool {
	items, _ := v.([]any)
	if len(items) != 2 {
		return false
	}
	n, _ := items[0].(int64)
	return n == 1
}

// forget drops a pending result, if still there.
func (h *HubManager) forget(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.pending[id]
	if p == nil {
		return
	}
	delete(h.pending, id)
	if lc := h.conns[p.connID]; lc != nil {
		delete(lc.results, id)
	}
}

// SetResult implements [signalr.LifetimeManager]: the answer goes to the
// local caller, or back to the server that asked.
func (h *HubManager) SetResult(_ context.Context, connID, invocationID string, r signalr.ClientResult) error {
	h.mu.Lock()
	p := h.pending[invocationID]
	if p == nil || p.connID != connID || p.remote {
		h.mu.Unlock()
		return signalr.ErrNoPendingResult
	}
	delete(h.pending, invocationID)
	if lc := h.conns[connID]; lc != nil {
		delete(lc.results, invocationID)
	}
	h.mu.Unlock()
	if p.returnChannel == "" {
		p.done <- resultOrErr{r: r}
		return nil
	}
	c := &protocol.Completion{InvocationID: invocationID, Error: r.Error}
	if r.Error == "" && r.Result != nil {
		c.Result, c.HasResult = r.Result, true
	}
	return h.answer(p, r.Protocol, c)
}

// fail ends a pending result with err (the connection left).
func (h *HubManager) fail(p *pendingResult, err error) {
	if p.returnChannel == "" {
		p.done <- resultOrErr{err: err}
		return
	}
	_ = h.answer(p, p.protocol, &protocol.Completion{InvocationID: p.id, Error: signalr.ErrDisconnected.Message})
}

// answer publishes a Completion, framed in hp, to a forwarded call's
// return channel.
func (h *HubManager) answer(p *pendingResult, hp protocol.HubProtocol, c *protocol.Completion) error {
	if hp == nil {
		hp = h.protos[0]
	}
	b, err := hp.Append(nil, c)
	if err != nil {
		return fmt.Errorf("redis: encoding a client result: %w", err)
	}
	payload := appendCompletion(nil, &completion{protocol: hp.Name(), bytes: b})
	return h.b.publish(h.b.opts.ChannelPrefix+p.returnChannel, payload, false, nil)
}

// failPending fails every call this server waits for (at Close).
func (h *HubManager) failPending(err error) {
	h.mu.Lock()
	var failed []*pendingResult
	for id, p := range h.pending {
		if p.returnChannel == "" {
			failed = append(failed, p)
			delete(h.pending, id)
		}
	}
	h.mu.Unlock()
	for _, p := range failed {
		p.done <- resultOrErr{err: err}
	}
}
