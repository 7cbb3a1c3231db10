package signalr

import (
	"time"

	"github.com/signalr-go/signalr/protocol"
	"github.com/signalr-go/signalr/transport"
)

// One goroutine per server, ticking while it has connections, drives the
// timers of all of them: handshake timeout, keep-alive pings, client
// timeout and stateful-reconnect Acks. Idle connections thus cost no
// timer and no goroutine.

// tickInterval is 1 s, as ASP.NET Core's heartbeat, or finer when an
// interval is configured below a few seconds.
func tickInterval(o Options) time.Duration {
	t := time.Second
	for _, d := range []time.Duration{o.KeepAliveInterval / 2, o.ClientTimeoutInterval / 4, o.HandshakeTimeout / 2} {
		t = min(t, d)
	}
	return max(t, 5*time.Millisecond)
}

// track adds a session to the ticker, starting it if needed; false after
// Shutdown.
func (s *Server) track(ss *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		return false
	}
	s.sessions[ss] = struct{}{}
	if !s.ticking {
		s.ticking = true
		s.tickerWG.Add(1)
		go s.runTicker()
	}
	return true
}

func (s *Server) untrack(ss *session) {
	s.mu.Lock()
	delete(s.sessions, ss)
	s.mu.Unlock()
}

// runTicker ticks until no session is left.
func (s *Server) runTicker() {
	defer s.tickerWG.Done()
	t := time.NewTicker(s.tick)
	defer t.Stop()
	var batch []*session
	for {
		var now time.Time
		select {
		case now = <-t.C:
		case <-s.stopTicker:
			return
		}
		s.mu.Lock()
		if len(s.sessions) == 0 {
			s.ticking = false
			s.mu.Unlock()
			return
		}
		batch = batch[:0]
		for ss := range s.sessions {
			batch = append(batch, ss)
		}
		s.mu.Unlock()
		for i, ss := range batch {
			ss.tick(now)
			batch[i] = nil
		}
	}
}

// tick runs a session's timers.
func (ss *session) tick(now time.Time) {
	o := &ss.srv.opts
	switch ss.state.Load() {
	case stHandshake:
		if now.Sub(ss.opened) > o.HandshakeTimeout {
			_ = ss.refuse(protocol.HandshakeErrorCanceled, errHandshakeTimeout)
		}
	case stConnected:
		// As in ASP.NET Core, silence counts once the client has pinged
		// (older clients never do); but a message left half sent counts
		// from the start, since it holds up to MaximumReceiveMessageSize.
		silent := (ss.pinged.Load() || ss.partial.Load()) && !ss.receiving.Load()
		if silent && now.UnixNano()-ss.lastRecv.Load() > int64(o.ClientTimeoutInterval) {
			ss.closeWith(&protocol.Close{Error: hubErrorText(closeErrorText, errClientTimeout, o.EnableDetailedErrors), AllowReconnect: true}, errClientTimeout)
			return
		}
		if ss.conn.Transport() != transport.LongPolling && now.UnixNano()-ss.lastPing.Load() >= int64(o.KeepAliveInterval) {
			ss.lastPing.Store(now.UnixNano())
			ss.writeControl(ss.srv.pings[ss.proto.Name()])
		}
		if ss.replay != nil {
			ss.sendAck()
		}
	}
}

// sendAck acknowledges what arrived since the last Ack.
func (ss *session) sendAck() {
	id := ss.replay.ackDue()
	if id == 0 {
		return
	}
	if b, err := ss.proto.Append(nil, &protocol.Ack{SequenceID: id}); err == nil {
		ss.writeControl(b)
	}
}

var (
	errHandshakeTimeout = &bindError{"the client sent no handshake within the handshake timeout"}
	errClientTimeout    = &timeoutError{}
)

// timeoutError is the client timeout, named as in .NET for detailed errors.
type timeoutError struct{}

func (*timeoutError) Error() string {
	return "Client hasn't sent a message/ping within the configured ClientTimeoutInterval."
}
func (*timeoutError) ErrorTypeName() string { return "OperationCanceledException" }
