package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/signalr-go/signalr/protocol"
)

// readLoop reads and handles messages until the session ends. It returns
// the cause: nil for a stop or a clean close by the server.
func (s *session) readLoop(buf []byte) error {
	tr := s.current()
	buf, err := s.process(buf)
	if err != nil {
		return err
	}
	for {
		p, err := tr.read()
		if err != nil {
			if s.ctx.Err() != nil {
				return s.causeOf()
			}
			if s.reopen != nil && !errors.Is(err, io.EOF) {
				next, rerr := s.resume(err)
				if rerr == nil {
					tr, buf = next, nil
					continue
				}
				s.log.Info("stateful reconnect failed", "error", rerr)
				return rerr
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		s.received()
		if buf, err = s.process(joinPayload(buf, p)); err != nil {
			return err
		}
	}
}

func (s *session) causeOf() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cause
}

// process handles every whole message in buf and returns the rest.
func (s *session) process(buf []byte) ([]byte, error) {
	for {
		body, n, err := s.proto.NextFrame(buf, s.c.opts.maxMessageSize)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrProtocol, err)
		}
		if n == 0 {
			if len(buf) == 0 {
				return nil, nil // do not keep the last payload while idle
			}
			return buf, nil
		}
		buf = buf[n:]
		m, err := s.proto.Decode(body)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrProtocol, err)
		}
		if m == nil {
			s.log.Info("unknown message type ignored")
			continue
		}
		if err := s.handle(m); err != nil {
			return nil, err
		}
	}
}

// handle acts on one message from the server.
func (s *session) handle(m protocol.Message) error {
	if s.out != nil {
		handled, err := s.sequence(m)
		if handled || err != nil {
			return err
		}
	}
	switch m := m.(type) {
	case *protocol.Invocation:
		s.c.dispatchInvocation(s, m)
	case *protocol.StreamItem:
		if sc, ok := s.lookup(m.InvocationID).(*streamCall); ok {
			raw, _ := m.Item.(protocol.Raw)
			sc.push(raw)
		}
	case *protocol.Completion:
		if p := s.unregister(m.InvocationID); p != nil {
			p.complete(m)
		}
	case *protocol.Close:
		ce := &CloseError{Message: m.Error, AllowReconnect: m.AllowReconnect}
		if !m.AllowReconnect {
			// As the JS client: answer with our own Close.
			_ = s.send(s.ctx, &protocol.Close{})
		}
		return ce
	case *protocol.Ping, *protocol.Ack, *protocol.Sequence:
		// Ack and Sequence only mean something with stateful reconnect.
	default:
		s.log.Info("message ignored", "type", m.Type())
	}
	return nil
}

// sequence applies stateful reconnect to a received message. It reports
// handled when the message was consumed (Ack, Sequence, duplicates, or
// anything before the Sequence that must start a resumed connection).
func (s *session) sequence(m protocol.Message) (handled bool, err error) {
	if seq, ok := m.(*protocol.Sequence); ok {
		if seq.SequenceID > s.in.next {
			return true, fmt.Errorf("%w: sequence ID greater than amount of messages we've received", ErrProtocol)
		}
		s.in.next = seq.SequenceID
		s.in.waitSeq = false
		return true, nil
	}
	if s.in.waitSeq {
		return true, nil
	}
	if ack, ok := m.(*protocol.Ack); ok {
		s.out.ack(ack.SequenceID)
		return true, nil
	}
	if !protocol.IsSequenced(m.Type()) {
		return false, nil
	}
	if !s.in.accept() {
		return true, nil
	}
	s.mu.Lock()
	s.latest = s.in.latest
	arm := !s.ackArmed
	s.ackArmed = true
	s.mu.Unlock()
	if arm {
		time.AfterFunc(ackInterval, s.sendAck)
	}
	return false, nil
}

// sendAck acknowledges what has been received so far.
func (s *session) sendAck() {
	s.mu.Lock()
	s.ackArmed = false
	latest := s.latest
	s.mu.Unlock()
	if err := s.send(s.ctx, &protocol.Ack{SequenceID: latest}); err != nil {
		s.log.Debug("ack failed", "error", err)
	}
}

// resume reconnects a stateful connection once, to the same URL and
// token, then sends Sequence and replays every unacknowledged message.
func (s *session) resume(cause error) (transport, error) {
	s.log.Info("connection dropped, resuming", "error", cause)
	s.mu.Lock()
	old := s.tr
	s.tr = nil
	s.mu.Unlock()
	if old != nil {
		old.abort()
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.c.opts.handshakeTimeout)
	defer cancel()
	tr, err := s.reopen(ctx)
	if err != nil {
		return nil, fmt.Errorf("client: resuming after %w: %w", cause, err)
	}
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	first, msgs := s.out.unacked()
	seq, err := s.encode(&protocol.Sequence{SequenceID: first})
	if err != nil {
		tr.abort()
		return nil, fmt.Errorf("client: encoding sequence: %w", err)
	}
	for _, m := range append([][]byte{seq}, msgs...) {
		if err := tr.write(ctx, m, s.text); err != nil {
			tr.abort()
			return nil, fmt.Errorf("client: replaying after %w: %w", cause, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended || s.ctx.Err() != nil {
		tr.abort()
		return nil, ErrConnectionClosed
	}
	s.tr = tr
	s.in.waitSeq = true
	s.lastSend.Store(time.Now().UnixNano())
	return tr, nil
}
