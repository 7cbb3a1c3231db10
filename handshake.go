package signalr

import (
	"errors"
	"time"

	"github.com/signalr-go/signalr/protocol"
	"github.com/signalr-go/signalr/transport"
)

// handshake reads the handshake request at the start of data. It returns
// the bytes it took, 0 while the request is incomplete.
func (s *session) handshake(data []byte) (int, error) {
	opts := &s.srv.opts
	req, n, err := protocol.ParseHandshakeRequest(data, opts.MaximumReceiveMessageSize)
	if err != nil {
		text := protocol.HandshakeErrorCanceled
		if !errors.Is(err, protocol.ErrMessageTooLarge) {
			text = hubErrorText(protocol.HandshakeErrorUnexpected, err, opts.EnableDetailedErrors)
		}
		return 0, s.refuse(text, err)
	}
	if n == 0 {
		return 0, nil
	}
	hp := s.srv.protocols[req.Protocol]
	switch {
	case hp == nil:
		return 0, s.refuse(protocol.HandshakeErrorUnsupportedProtocol(req.Protocol), errHandshake)
	case !protocol.SupportsVersion(hp, req.Version):
		return 0, s.refuse(protocol.HandshakeErrorUnsupportedVersion(req.Protocol, req.Version), errHandshake)
	case !s.conn.SupportsFormat(hp.TransferFormat()):
		return 0, s.refuse(protocol.HandshakeErrorTransferFormat(hp), errHandshake)
	}
	s.proto = hp
	s.traffic = s.srv.metrics.traffic[hp.Name()]
	s.conn.SetFormat(hp.TransferFormat())
	if req.Version >= 2 && s.conn.StatefulReconnect() {
		s.replay = newReplayBuffer(opts.StatefulReconnectBufferSize)
	} else {
		s.conn.DisableReconnect()
	}
	// The response and the state change are one step under writeMu, so
	// that Shutdown either finds the session connected (and sends its
	// Close after the response) or closes it before any response.
	s.writeMu.Lock()
	if s.closeSent {
		s.writeMu.Unlock()
		return 0, transport.ErrClosed
	}
	err = s.conn.Write(protocol.AppendHandshakeResponse(nil, ""))
	if err == nil {
		s.lastPing.Store(time.Now().UnixNano())
		s.state.Store(stConnected)
	}
	s.writeMu.Unlock()
	if err != nil {
		return 0, err
	}
	return n, s.connect()
}

var errHandshake = errors.New("signalr: handshake refused")

// refuse answers the handshake with an error and closes the connection.
func (s *session) refuse(text string, cause error) error {
	s.writeMu.Lock()
	if !s.closeSent {
		s.closeSent, s.closeCause = true, cause
		_ = s.conn.Write(protocol.AppendHandshakeResponse(nil, text))
	}
	s.writeMu.Unlock()
	s.conn.DisableReconnect()
	s.conn.Close(cause)
	s.srv.log.Debug("signalr: handshake refused", "connection", s.id, "reason", text)
	return cause
}

// connect registers the connection and runs the OnConnected hook. An
// error there closes the connection without allowing a reconnect, as
// ASP.NET Core does.
func (s *session) connect() error {
	if err := s.srv.lm.Add(s.ctx.Context, s); err != nil {
		return s.failProtocol(err)
	}
	c := s.ctx
	c.onConnected = true
	if err := s.srv.connected(&c); err != nil {
		s.conn.DisableReconnect()
		s.closeWith(&protocol.Close{Error: hubErrorText(closeErrorText, err, s.srv.opts.EnableDetailedErrors)}, err)
		return err
	}
	return nil
}
