package client

import (
	"context"
	"fmt"
	"iter"
	"sync"

	"github.com/signalr-go/signalr/protocol"
)

// streamCall collects the items of one server-to-client stream. Items
// queue without bound so that the reader never waits for the consumer.
type streamCall struct {
	mu     sync.Mutex
	items  []protocol.Raw
	done   bool
	err    error
	notify chan struct{} // capacity 1: "something changed"
}

func newStreamCall() *streamCall { return &streamCall{notify: make(chan struct{}, 1)} }

func (s *streamCall) signal() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

func (s *streamCall) push(raw protocol.Raw) {
	s.mu.Lock()
	s.items = append(s.items, raw)
	s.mu.Unlock()
	s.signal()
}

func (s *streamCall) complete(c *protocol.Completion) {
	var err error
	if c.Error != "" {
		err = &HubError{Message: c.Error}
	}
	s.fail(err)
}

func (s *streamCall) fail(err error) {
	s.mu.Lock()
	s.done, s.err = true, err
	s.mu.Unlock()
	s.signal()
}

// next returns the next item, or done with the stream's error.
func (s *streamCall) next(ctx context.Context) (raw protocol.Raw, done bool, err error) {
	for {
		s.mu.Lock()
		switch {
		case len(s.items) > 0:
			raw = s.items[0]
			s.items[0] = nil
			s.items = s.items[1:]
			s.mu.Unlock()
			return raw, false, nil
		case s.done:
			s.mu.Unlock()
			return nil, true, s.err
		}
		s.mu.Unlock()
		select {
		case <-s.notify:
		case <-ctx.Done():
			return nil, true, ctx.Err()
		}
	}
}

// Stream calls a streaming hub method and returns its items as an
// iterator; the call starts when iteration starts. Each item is decoded
// into T. The sequence ends after the server completes the stream; a
// failure (server error as *HubError, lost connection, ctx ending, an
// item that does not decode) is yielded once, with a zero item, as the
// last element. Ending the iteration early or ctx ending sends the server
// a CancelInvocation. Channels among args are streamed to the server as
// for Invoke.
func Stream[T any](ctx context.Context, c *Client, method string, args ...any) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		s, err := c.active()
		if err != nil {
			yield(zero, err)
			return
		}
		args, streamIDs, uploads := c.splitUploads(args)
		id := c.nextID()
		sc := newStreamCall()
		if err := s.register(id, sc); err != nil {
			yield(zero, err)
			return
		}
		msg := &protocol.StreamInvocation{InvocationID: id, Target: method, Arguments: args, StreamIDs: streamIDs}
		if err := s.send(ctx, msg); err != nil {
			s.unregister(id)
			yield(zero, fmt.Errorf("client: streaming %q: %w", method, err))
			return
		}
		s.startUploads(uploads)
		for {
			raw, done, err := sc.next(ctx)
			if ctx.Err() != nil {
				s.cancelStream(id)
				yield(zero, ctx.Err())
				return
			}
			if done {
				if err != nil {
					yield(zero, err)
				}
				return
			}
			var v T
			if err := s.proto.Unmarshal(raw, &v); err != nil {
				s.cancelStream(id)
				yield(zero, fmt.Errorf("client: decoding an item of %q: %w", method, err))
				return
			}
			if !yield(v, nil) {
				s.cancelStream(id)
				return
			}
		}
	}
}

// cancelStream stops waiting for a stream and asks the server to end it.
func (s *session) cancelStream(id string) {
	if s.unregister(id) == nil {
		return // already completed
	}
	if err := s.send(s.ctx, &protocol.CancelInvocation{InvocationID: id}); err != nil {
		s.log.Debug("cancel invocation failed", "id", id, "error", err)
	}
}
