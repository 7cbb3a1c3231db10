package protocol

import (
	"math"
	"strconv"
)

// HandshakeRequest is the first message a client sends, in JSON ended by
// 0x1E whatever hub protocol it asks for.
type HandshakeRequest struct {
	// Protocol is the hub protocol's name: "json" or "messagepack".
	Protocol string
	// Version is the protocol version; clients send 2 only when they
	// negotiated stateful reconnect, else 1.
	Version int
}

// Handshake error texts that take no parameter, as ASP.NET words them; the
// official clients show them to the user.
const (
	// HandshakeErrorCanceled is sent when the handshake times out or is
	// too large.
	HandshakeErrorCanceled = "Handshake was canceled."
	// HandshakeErrorUnexpected is sent when the request cannot be parsed.
	HandshakeErrorUnexpected = "An unexpected error occurred during connection handshake."
)

// HandshakeErrorUnsupportedProtocol is the handshake error for a protocol
// the server does not offer.
func HandshakeErrorUnsupportedProtocol(name string) string {
	return "The protocol '" + name + "' is not supported."
}

// HandshakeErrorUnsupportedVersion is the handshake error for a version
// outside what [SupportsVersion] accepts.
func HandshakeErrorUnsupportedVersion(name string, version int) string {
	return "The server does not support version " + strconv.Itoa(version) + " of the '" + name + "' protocol."
}

// HandshakeErrorTransferFormat is the handshake error for a protocol whose
// transfer format the connection's transport cannot carry (MessagePack
// over Server-Sent Events).
func HandshakeErrorTransferFormat(p HubProtocol) string {
	return "Cannot use the '" + p.Name() + "' protocol on the current transport. The transport does not support '" +
		p.TransferFormat().String() + "' transfer format."
}

// SupportsVersion reports whether p accepts a handshake asking for version:
// 1 up to p.Version(). (ASP.NET accepts any version up to its own, 0 and
// negatives included; no client sends those.)
func SupportsVersion(p HubProtocol, version int) bool {
	return version >= 1 && version <= p.Version()
}

// ParseHandshakeRequest parses the handshake request at the start of buf.
// n == 0 with a nil error means the request is not complete yet; an error
// wrapping ErrMessageTooLarge means more than maxSize bytes (maxSize > 0)
// came without one. Properties may come in any order, unknown ones are
// skipped; "protocol" (a string) and "version" (an integer) are required,
// else the error wraps ErrInvalidMessage. Bytes after n are hub messages.
func ParseHandshakeRequest(buf []byte, maxSize int) (req HandshakeRequest, n int, err error) {
	body, n, err := nextJSONRecord(buf, maxSize)
	if err != nil || n == 0 {
		return req, 0, err
	}
	s := jsonScanner{buf: body}
	var hasProtocol, hasVersion bool
	more, err := s.enter('{', '}', jsonMessageDepth)
	for more && err == nil {
		var name []byte
		if name, err = s.propertyName(); err != nil {
			break
		}
		switch string(name) {
		case "protocol":
			req.Protocol, hasProtocol, err = s.optionalString("protocol")
		case "version":
			var v int64
			v, err = s.integer("version", math.MinInt32, math.MaxInt32)
			req.Version, hasVersion = int(v), err == nil
		default:
			err = s.skipValue(jsonMessageDepth)
		}
		if err == nil {
			more, err = s.next('}')
		}
	}
	switch {
	case err != nil:
	case !s.atEnd():
		err = s.errorf("data after the handshake request")
	case !hasProtocol:
		err = s.errorf("missing required property 'protocol'")
	case !hasVersion:
		err = s.errorf("missing required property 'version'")
	default:
		return req, n, nil
	}
	return HandshakeRequest{}, 0, err
}

// AppendHandshakeRequest appends req as a client sends it.
func AppendHandshakeRequest(dst []byte, req HandshakeRequest) []byte {
	dst = append(dst, `{"protocol":`...)
	dst = appendJSONString(dst, req.Protocol)
	dst = append(dst, `,"version":`...)
	dst = strconv.AppendInt(dst, int64(req.Version), 10)
	return append(dst, '}', jsonRecordSeparator)
}

// AppendHandshakeResponse appends the server's reply: {} for success, or
// {"error":errMsg} after which the server closes the connection.
func AppendHandshakeResponse(dst []byte, errMsg string) []byte {
	if errMsg == "" {
		return append(dst, '{', '}', jsonRecordSeparator)
	}
	dst = append(dst, `{"error":`...)
	dst = appendJSONString(dst, errMsg)
	return append(dst, '}', jsonRecordSeparator)
}

// ParseHandshakeResponse parses the server's reply at the start of buf, on
// the client side, with the same n and size rules as
// [ParseHandshakeRequest]. errMsg is the server's error, "" on success. A
// reply with a truthy "type" is a hub message, not a handshake response,
// and is rejected as the JS client does.
func ParseHandshakeResponse(buf []byte, maxSize int) (errMsg string, n int, err error) {
	body, n, err := nextJSONRecord(buf, maxSize)
	if err != nil || n == 0 {
		return "", 0, err
	}
	s := jsonScanner{buf: body}
	more, err := s.enter('{', '}', jsonMessageDepth)
	for more && err == nil {
		var name []byte
		if name, err = s.propertyName(); err != nil {
			break
		}
		switch string(name) {
		case "error":
			errMsg, _, err = s.optionalString("error")
		case "type":
			var truthy bool
			if truthy, err = s.truthy(); err == nil && truthy {
				err = s.errorf("Expected a handshake response from the server.")
			}
		default:
			err = s.skipValue(jsonMessageDepth)
		}
		if err == nil {
			more, err = s.next('}')
		}
	}
	if err == nil && !s.atEnd() {
		err = s.errorf("data after the handshake response")
	}
	if err != nil {
		return "", 0, err
	}
	return errMsg, n, nil
}

// truthy moves past a value and reports whether JavaScript would treat it
// as true.
func (s *jsonScanner) truthy() (bool, error) {
	raw, err := s.rawValue(jsonMessageDepth)
	if err != nil {
		return false, err
	}
	switch c := raw[0]; {
	case c == 'n' || c == 'f':
		return false, nil
	case c == '"':
		return len(raw) > 2, nil
	case c == '-' || jsonIsDigit(c):
		f, err := strconv.ParseFloat(string(raw), 64)
		return f != 0 || err != nil, nil
	}
	return true, nil
}
