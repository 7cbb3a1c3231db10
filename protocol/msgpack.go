package protocol

import (
	"fmt"
	"math"
)

// MessagePack is the binary hub protocol ("messagepack"): each message is
// a MessagePack array, framed by a varint length prefix. It writes exactly
// the layouts ASP.NET Core writes and reads both those and the shorter ones
// the JavaScript client writes. The zero value is ready to use.
//
// Values (arguments, stream items, results) are encoded by hand for the
// common types: nil, bool, all integer sizes (smallest encoding), float32,
// float64, string, []byte (bin), time.Time (timestamp extension -1), Raw,
// []any, []string, map[string]any and map[string]string. Anything else goes
// through github.com/vmihailenco/msgpack/v5, which writes structs as maps
// keyed by field name, taking the name from a `msgpack` tag or, failing
// that, a `json` tag, so one set of tags serves both protocols.
type MessagePack struct{}

var _ HubProtocol = MessagePack{}

// NewMessagePack returns the MessagePack hub protocol.
func NewMessagePack() MessagePack { return MessagePack{} }

// Name implements [HubProtocol]: "messagepack".
func (MessagePack) Name() string { return "messagepack" }

// Version implements [HubProtocol]: 2, stateful reconnect included.
func (MessagePack) Version() int { return 2 }

// TransferFormat implements [HubProtocol]: MessagePack needs binary frames.
func (MessagePack) TransferFormat() TransferFormat { return BinaryFormat }

// msgpackMaxPrefix is the longest varint length prefix: 5 bytes carry the
// largest allowed length, math.MaxInt32.
const msgpackMaxPrefix = 5

// NextFrame implements [HubProtocol]. The length prefix holds 7 bits per
// byte, least significant group first, with the high bit set on every byte
// but the last.
func (MessagePack) NextFrame(buf []byte, maxSize int) (body []byte, n int, err error) {
	var length uint64
	for i := range msgpackMaxPrefix {
		if i >= len(buf) {
			return nil, 0, nil
		}
		b := buf[i]
		if i == msgpackMaxPrefix-1 && b > 0x07 {
			return nil, 0, fmt.Errorf("%w: messagepack: length prefix exceeds 5 bytes or 2 GiB", ErrInvalidMessage)
		}
		length |= uint64(b&0x7f) << (7 * i)
		// Later bytes only add to the length, so a partial prefix can
		// already prove the frame too large.
		if maxSize > 0 && length > uint64(maxSize) {
			return nil, 0, fmt.Errorf("%w: %d bytes, limit %d", ErrMessageTooLarge, length, maxSize)
		}
		if b&0x80 != 0 {
			continue
		}
		total := i + 1 + int(length)
		if len(buf) < total {
			return nil, 0, nil
		}
		return buf[i+1 : total : total], total, nil
	}
	// Not reached: the fifth byte either fails the check above or ends the
	// prefix.
	return nil, 0, fmt.Errorf("%w: messagepack: bad length prefix", ErrInvalidMessage)
}

// Decode implements [HubProtocol]. Fields past the ones a message type
// needs are ignored, as ASP.NET does, so longer arrays are accepted; the
// shorter forms the JavaScript client writes (Invocation without stream
// ids, Close without allowReconnect) are accepted too.
//
// Text that is not UTF-8 is repaired, not refused, in both protocols: a
// str of the message or of its values, and a JSON string, decodes with
// each invalid sequence replaced by U+FFFD, and an unpaired UTF-16
// surrogate (as the JavaScript client writes it: its encoded code point
// in MessagePack, a \ud800 escape in JSON) with one U+FFFD. The message
// and its Raw values then hold only valid UTF-8, so nothing a client sends
// is stored or relayed as invalid text. .NET's MessagePack reader and
// browsers' TextDecoder repair text the same way.
func (MessagePack) Decode(body []byte) (Message, error) {
	r := msgpackReader{buf: body}
	m, err := r.readMessage()
	if err != nil || !r.badText {
		return m, err
	}
	// Rare: decode a copy whose text is made valid.
	fixed, err := validText(body)
	if err != nil {
		return nil, err
	}
	r = msgpackReader{buf: fixed}
	return r.readMessage()
}

// Append implements [HubProtocol]. On error dst is returned unchanged
// (truncated back to its original length).
func (MessagePack) Append(dst []byte, m Message) ([]byte, error) {
	start := len(dst)
	// Reserve room for the longest prefix, write the body, then move the
	// body down next to the real prefix: one pass, no scratch buffer.
	dst = append(dst, 0, 0, 0, 0, 0)
	bodyStart := len(dst)
	dst, err := appendMsgpackMessage(dst, m)
	if err != nil {
		return dst[:start], err
	}
	size := len(dst) - bodyStart
	if size > math.MaxInt32 {
		return dst[:start], fmt.Errorf("%w: messagepack: message of %d bytes exceeds 2 GiB", ErrUnsupportedValue, size)
	}
	var prefix [msgpackMaxPrefix]byte
	k := putMsgpackVarint(prefix[:], size)
	copy(dst[start+k:], dst[bodyStart:])
	copy(dst[start:], prefix[:k])
	return dst[:start+k+size], nil
}

// putMsgpackVarint writes the length prefix for size into p and returns
// its length in bytes.
func putMsgpackVarint(p []byte, size int) int {
	k := 0
	for size >= 0x80 {
		p[k] = byte(size) | 0x80
		size >>= 7
		k++
	}
	p[k] = byte(size)
	return k + 1
}
