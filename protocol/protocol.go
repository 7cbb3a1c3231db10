package protocol

import "errors"

// TransferFormat is what a transport must carry for a protocol: text or
// arbitrary bytes. The values are the bit flags the negotiate response uses.
type TransferFormat int

// The transfer formats.
const (
	TextFormat   TransferFormat = 1
	BinaryFormat TransferFormat = 2
)

// String returns the name the negotiate response uses: "Text" or "Binary".
func (f TransferFormat) String() string {
	switch f {
	case TextFormat:
		return "Text"
	case BinaryFormat:
		return "Binary"
	}
	return "Unknown"
}

// DefaultMaxMessageSize is the largest message, in bytes after framing is
// removed, that decoders accept unless told otherwise: 32 KiB, as ASP.NET.
const DefaultMaxMessageSize = 32 * 1024

// MaxDepth is how deeply arrays and objects may nest inside one message.
// Decoders reject deeper input instead of recursing without bound.
const MaxDepth = 64

// Sentinel errors. Decoding errors wrap ErrInvalidMessage, so callers can
// branch on "the peer sent garbage" with errors.Is.
var (
	// ErrMessageTooLarge reports a frame longer than the size limit. It is
	// returned as soon as the length is known, before the body arrives.
	ErrMessageTooLarge = errors.New("protocol: message too large")
	// ErrInvalidMessage reports a malformed frame or message.
	ErrInvalidMessage = errors.New("protocol: invalid message")
	// ErrUnsupportedValue reports a Go value an encoder cannot write.
	ErrUnsupportedValue = errors.New("protocol: unsupported value")
)

// HubProtocol is one wire format of the hub protocol. Implementations are
// safe for concurrent use and hold no per-connection state.
type HubProtocol interface {
	// Name is the name the handshake uses: "json" or "messagepack".
	Name() string
	// Version is the highest handshake version supported (2: stateful
	// reconnect).
	Version() int
	// TransferFormat is the transfer format the protocol needs.
	TransferFormat() TransferFormat

	// NextFrame looks for the first whole message at the start of buf. It
	// returns the message body without its framing and the number of bytes
	// it took from buf, or n == 0 when buf holds no whole message yet. It
	// returns an error wrapping ErrMessageTooLarge as soon as the message
	// is known to be longer than maxSize bytes (maxSize <= 0: no limit),
	// and one wrapping ErrInvalidMessage for broken framing.
	NextFrame(buf []byte, maxSize int) (body []byte, n int, err error)

	// Decode parses one message body as returned by NextFrame. The Raw
	// values in the result alias body. Unknown message types return
	// (nil, nil) so that callers can ignore them, as the spec asks.
	Decode(body []byte) (Message, error)

	// Append appends m, framed, to dst and returns the extended slice.
	Append(dst []byte, m Message) ([]byte, error)

	// Unmarshal decodes one Raw value produced by Decode into v, a
	// non-nil pointer.
	Unmarshal(raw Raw, v any) error
}

var errNoMessage = errors.New("protocol: no encoding for this protocol and no message to encode")
