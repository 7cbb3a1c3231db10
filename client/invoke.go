package client

import (
	"context"
	"fmt"

	"github.com/signalr-go/signalr/protocol"
)

// invocation is one Invoke: its message, and its result once done is
// signalled (kept together: one allocation).
type invocation struct {
	msg    protocol.Invocation
	result invocationResult
	done   chan struct{} // buffered: the reader never waits
}

type invocationResult struct {
	completion *protocol.Completion
	err        error
}

func (i *invocation) complete(c *protocol.Completion) { i.finish(invocationResult{completion: c}) }
func (i *invocation) fail(err error)                  { i.finish(invocationResult{err: err}) }

// finish stores the result, then signals: the receive in Invoke orders
// the read after the write.
func (i *invocation) finish(r invocationResult) {
	i.result = r
	i.done <- struct{}{}
}

// Invoke calls a hub method and waits for its result, decoded into T with
// the hub protocol (use any to take whatever comes, or to ignore it). A
// failure reported by the server is a *HubError. A receive-only or
// bidirectional channel among args is streamed to the server (see
// [Client.Send]). If ctx ends first, Invoke returns ctx.Err(); the server
// still runs the method.
func Invoke[T any](ctx context.Context, c *Client, method string, args ...any) (T, error) {
	var zero T
	s, err := c.active()
	if err != nil {
		return zero, err
	}
	args, streamIDs, uploads := c.splitUploads(args)
	id := c.nextID()
	inv := &invocation{
		msg:  protocol.Invocation{InvocationID: id, Target: method, Arguments: args, StreamIDs: streamIDs},
		done: make(chan struct{}, 1),
	}
	if err := s.register(id, inv); err != nil {
		return zero, err
	}
	if err := s.send(ctx, &inv.msg); err != nil {
		s.unregister(id)
		return zero, fmt.Errorf("client: invoking %q: %w", method, err)
	}
	s.startUploads(uploads)
	select {
	case <-inv.done:
	case <-ctx.Done():
		s.unregister(id)
		return zero, ctx.Err()
	}
	r := inv.result
	if r.err != nil {
		return zero, r.err
	}
	return decodeResult[T](s.proto, method, r.completion)
}

// decodeResult turns a Completion into Invoke's result.
func decodeResult[T any](p protocol.HubProtocol, method string, comp *protocol.Completion) (T, error) {
	var v T
	if comp.Error != "" {
		return v, &HubError{Message: comp.Error}
	}
	if !comp.HasResult {
		return v, nil
	}
	raw, ok := comp.Result.(protocol.Raw)
	if !ok {
		return v, fmt.Errorf("%w: result of %q is %T, not a raw value", ErrProtocol, method, comp.Result)
	}
	if err := p.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("client: decoding the result of %q: %w", method, err)
	}
	return v, nil
}

// Send calls a hub method without waiting for it to run: it returns once
// the message is sent. Channels among args are streamed to the server as
// for Invoke: each item read from the channel is sent as a StreamItem and
// closing the channel completes the stream.
func (c *Client) Send(ctx context.Context, method string, args ...any) error {
	s, err := c.active()
	if err != nil {
		return err
	}
	args, streamIDs, uploads := c.splitUploads(args)
	msg := &protocol.Invocation{Target: method, Arguments: args, StreamIDs: streamIDs}
	if err := s.send(ctx, msg); err != nil {
		return fmt.Errorf("client: sending %q: %w", method, err)
	}
	s.startUploads(uploads)
	return nil
}
