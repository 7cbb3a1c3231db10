package protocol

import (
	"bytes"
	"errors"
	"fmt"
)

// JSON is the "json" hub protocol: one UTF-8 JSON object per message,
// each ended by the record separator 0x1E. The zero value is ready to use.
//
// Decoding accepts properties in any order (the JS client writes "type"
// last), skips unknown ones, and rejects what ASP.NET rejects. Arguments,
// stream items and results stay undecoded as [Raw] JSON text.
type JSON struct{}

var _ HubProtocol = JSON{}

// NewJSON returns the JSON hub protocol.
func NewJSON() JSON { return JSON{} }

// Name implements [HubProtocol].
func (JSON) Name() string { return "json" }

// Version implements [HubProtocol].
func (JSON) Version() int { return 2 }

// TransferFormat implements [HubProtocol].
func (JSON) TransferFormat() TransferFormat { return TextFormat }

// NextFrame implements [HubProtocol]. It looks at no more than maxSize+1
// bytes, so a peer that never sends a separator is refused as soon as it
// has sent too much rather than when it stops.
func (JSON) NextFrame(buf []byte, maxSize int) (body []byte, n int, err error) {
	return nextJSONRecord(buf, maxSize)
}

// nextJSONRecord splits off the text before the first record separator.
// It looks at no more than maxSize+1 bytes.
func nextJSONRecord(buf []byte, maxSize int) (body []byte, n int, err error) {
	window := buf
	if maxSize > 0 && len(window) > maxSize {
		window = window[:maxSize+1]
	}
	i := bytes.IndexByte(window, jsonRecordSeparator)
	if i < 0 {
		if maxSize > 0 && len(buf) > maxSize {
			return nil, 0, fmt.Errorf("%w: json: no record separator in the first %d bytes", ErrMessageTooLarge, maxSize)
		}
		return nil, 0, nil
	}
	return buf[:i:i], i + 1, nil
}

// Decode implements [HubProtocol]. A typical invocation costs 2 + N
// allocations for N arguments: the message (with its argument slice, up to
// four arguments), one string holding its id, target and error text, and
// one per argument for the Raw boxed in the []any. An empty "headers" object or "streamIds" array decodes as
// nil, "invocationId":null as no id, and "result":null as HasResult with
// Result Raw("null"). An empty "error" string cannot be told from no
// error: it decodes as Error "" (but still conflicts with "result").
// Strings that are not valid UTF-8 are repaired, not refused: see
// [MessagePack.Decode] for the rule both protocols follow.
func (JSON) Decode(body []byte) (Message, error) {
	m, err := decodeJSONMessage(body)
	if errors.Is(err, errInvalidText) {
		// Rare: decode a copy whose text is made valid (see text.go).
		return decodeJSONMessage(appendValidUTF8(make([]byte, 0, len(body)+16), body))
	}
	return m, err
}

// Append implements [HubProtocol]. Argument, item and result values are
// written as follows: Raw and json.RawMessage verbatim (after a validity check), strings, booleans,
// integers, floats, []byte (base64), time.Time (RFC 3339), []string,
// []any, map[string]any and map[string]string by hand without allocating,
// everything else with encoding/json (HTML escaping off). NaN and
// infinities fail with ErrUnsupportedValue. Header maps are written with
// sorted keys. On error dst is returned unchanged.
func (JSON) Append(dst []byte, m Message) ([]byte, error) {
	b, err := appendJSONMessage(dst, m)
	if err != nil {
		return dst, err
	}
	return b, nil
}
