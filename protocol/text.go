package protocol

import (
	"errors"
	"unicode/utf8"
)

// errInvalidText marks a decoding error caused only by text that is not
// UTF-8, which a decoder answers by decoding a repaired copy.
var errInvalidText = errors.New("invalid UTF-8 in string")

// Text that is not UTF-8, one rule for both protocols: every string the
// decoders return (message fields, and values unmarshalled from Raw) is
// valid UTF-8, each invalid sequence replaced by U+FFFD; no message is
// refused for its text. That is what .NET's MessagePack reader does (it
// decodes with a non-throwing UTF8Encoding) and what browsers' TextDecoder
// does, and it keeps the official JavaScript client's text flowing: its
// MessagePack encoder writes an unpaired UTF-16 surrogate as the three
// bytes of the surrogate's code point (ED A0 80 for U+D800), which is not
// UTF-8, while its JSON encoder writes it as a \ud800 escape. Both become a
// single U+FFFD, as TextEncoder makes of an unpaired surrogate, so the same
// JavaScript string reads the same over either protocol. Other invalid
// bytes are replaced by maximal subpart, as the WHATWG Encoding Standard
// and .NET do. Nothing the server stores or relays is therefore invalid
// UTF-8: a client cannot make the server send a browser a text frame that
// the browser must reject. (The encoders write what a hub gives them: the
// JSON one repairs a string a hub made invalid byte by byte, as
// encoding/json does, and the MessagePack one writes its bytes.)

// invalidUTF8Len is how many bytes at the start of b, which is not valid
// UTF-8 there, one U+FFFD replaces: an encoded surrogate whole, else the
// longest start of a well-formed sequence, at least one byte.
func invalidUTF8Len(b []byte) int {
	c := b[0]
	if c == 0xED && len(b) >= 3 && b[1] >= 0xA0 && b[1] <= 0xBF && b[2]&0xC0 == 0x80 {
		return 3
	}
	need, lo, hi := 0, byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c == 0xED:
		need, hi = 2, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		need = 2
	case c == 0xF0:
		need, lo = 3, 0x90
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for n <= need && n < len(b) && b[n] >= lo && b[n] <= hi {
		lo, hi = 0x80, 0xBF
		n++
	}
	return n
}

// appendValidUTF8 appends b to dst with each invalid sequence replaced by
// U+FFFD.
func appendValidUTF8(dst, b []byte) []byte {
	start := 0
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		if r, size := utf8.DecodeRune(b[i:]); r != utf8.RuneError || size > 1 {
			i += size
			continue
		}
		dst = append(dst, b[start:i]...)
		dst = append(dst, "\uFFFD"...)
		i += invalidUTF8Len(b[i:])
		start = i
	}
	return append(dst, b[start:]...)
}

// validString returns b as a string, invalid sequences replaced.
func validString(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(appendValidUTF8(make([]byte, 0, len(b)+8), b))
}
