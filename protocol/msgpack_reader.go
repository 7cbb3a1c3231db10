package protocol

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"
)

// MessagePack type codes used by the reader and the writer. Only the codes
// that need a name are listed; the fixed ranges are tested inline.
const (
	mpNil      = 0xc0
	mpFalse    = 0xc2
	mpTrue     = 0xc3
	mpBin8     = 0xc4
	mpBin16    = 0xc5
	mpBin32    = 0xc6
	mpExt8     = 0xc7
	mpExt16    = 0xc8
	mpExt32    = 0xc9
	mpFloat32  = 0xca
	mpFloat64  = 0xcb
	mpUint8    = 0xcc
	mpUint16   = 0xcd
	mpUint32   = 0xce
	mpUint64   = 0xcf
	mpInt8     = 0xd0
	mpInt16    = 0xd1
	mpInt32    = 0xd2
	mpInt64    = 0xd3
	mpFixExt1  = 0xd4
	mpFixExt2  = 0xd5
	mpFixExt4  = 0xd6
	mpFixExt8  = 0xd7
	mpFixExt16 = 0xd8
	mpStr8     = 0xd9
	mpStr16    = 0xda
	mpStr32    = 0xdb
	mpArray16  = 0xdc
	mpArray32  = 0xdd
	mpMap16    = 0xde
	mpMap32    = 0xdf
)

// mpTimestampExt is the MessagePack extension type of timestamps.
const mpTimestampExt = -1

// msgpackReader walks a MessagePack buffer. Every read checks the bounds
// first, so a short or lying input yields an error, never a panic, and no
// declared length is trusted beyond the bytes actually present.
type msgpackReader struct {
	buf []byte
	pos int
	// badText is set when a str read or skipped is not UTF-8; the caller
	// then decodes a repaired copy (see text.go).
	badText bool
}

// checkText notes whether the str payload b is UTF-8.
func (r *msgpackReader) checkText(b []byte) {
	if !r.badText && !utf8.Valid(b) {
		r.badText = true
	}
}

func (r *msgpackReader) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: messagepack: %s at offset %d",
		ErrInvalidMessage, fmt.Sprintf(format, args...), r.pos)
}

// remaining is how many unread bytes are left.
func (r *msgpackReader) remaining() int { return len(r.buf) - r.pos }

func (r *msgpackReader) peek() (byte, error) {
	if r.pos >= len(r.buf) {
		return 0, r.errorf("unexpected end of data")
	}
	return r.buf[r.pos], nil
}

func (r *msgpackReader) readByte() (byte, error) {
	c, err := r.peek()
	if err == nil {
		r.pos++
	}
	return c, err
}

// take returns the next n bytes, aliasing the buffer.
func (r *msgpackReader) take(n int) ([]byte, error) {
	if n < 0 || n > r.remaining() {
		return nil, r.errorf("%d bytes declared, %d left", n, r.remaining())
	}
	b := r.buf[r.pos : r.pos+n : r.pos+n]
	r.pos += n
	return b, nil
}

// readUintN reads a big-endian unsigned integer of size bytes (1, 2, 4, 8).
func (r *msgpackReader) readUintN(size int) (uint64, error) {
	b, err := r.take(size)
	if err != nil {
		return 0, err
	}
	switch size {
	case 1:
		return uint64(b[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(b)), nil
	case 4:
		return uint64(binary.BigEndian.Uint32(b)), nil
	}
	return binary.BigEndian.Uint64(b), nil
}

// readLen reads the size bytes of a str, bin, array, map or ext length.
func (r *msgpackReader) readLen(size int) (int, error) {
	n, err := r.readUintN(size)
	if err != nil {
		return 0, err
	}
	if n > math.MaxInt32 {
		return 0, r.errorf("length %d too large", n)
	}
	return int(n), nil
}

// readArrayLen reads an array header. The count is checked against the
// bytes left (every element takes at least one), so callers may allocate
// count elements.
func (r *msgpackReader) readArrayLen() (int, error) {
	c, err := r.readByte()
	if err != nil {
		return 0, err
	}
	n := 0
	switch {
	case c&0xf0 == 0x90:
		n = int(c & 0x0f)
	case c == mpArray16:
		n, err = r.readLen(2)
	case c == mpArray32:
		n, err = r.readLen(4)
	default:
		r.pos--
		return 0, r.errorf("expected array, found 0x%02x", c)
	}
	if err != nil {
		return 0, err
	}
	if n > r.remaining() {
		return 0, r.errorf("array of %d elements with %d bytes left", n, r.remaining())
	}
	return n, nil
}

// readMapLen reads a map header, checking the count like readArrayLen.
func (r *msgpackReader) readMapLen() (int, error) {
	c, err := r.readByte()
	if err != nil {
		return 0, err
	}
	n := 0
	switch {
	case c&0xf0 == 0x80:
		n = int(c & 0x0f)
	case c == mpMap16:
		n, err = r.readLen(2)
	case c == mpMap32:
		n, err = r.readLen(4)
	default:
		r.pos--
		return 0, r.errorf("expected map, found 0x%02x", c)
	}
	if err != nil {
		return 0, err
	}
	if n > r.remaining()/2 {
		return 0, r.errorf("map of %d entries with %d bytes left", n, r.remaining())
	}
	return n, nil
}

// readStrBytes reads a str, returning its bytes aliased. With nilOK a nil
// reads as (nil, true, nil).
func (r *msgpackReader) readStrBytes(nilOK bool) (b []byte, isNil bool, err error) {
	c, err := r.readByte()
	if err != nil {
		return nil, false, err
	}
	n := 0
	switch {
	case c&0xe0 == 0xa0:
		n = int(c & 0x1f)
	case c == mpStr8:
		n, err = r.readLen(1)
	case c == mpStr16:
		n, err = r.readLen(2)
	case c == mpStr32:
		n, err = r.readLen(4)
	case c == mpNil && nilOK:
		return nil, true, nil
	default:
		r.pos--
		return nil, false, r.errorf("expected string, found 0x%02x", c)
	}
	if err != nil {
		return nil, false, err
	}
	b, err = r.take(n)
	r.checkText(b)
	return b, false, err
}

// readString reads a str (not nil).
func (r *msgpackReader) readString() (string, error) {
	b, _, err := r.readStrBytes(false)
	return string(b), err
}

// readOptionalString reads a str or nil; nil reads as "".
func (r *msgpackReader) readOptionalString() (string, error) {
	b, _, err := r.readStrBytes(true)
	return string(b), err
}

func (r *msgpackReader) readBool() (bool, error) {
	c, err := r.readByte()
	if err != nil {
		return false, err
	}
	switch c {
	case mpTrue:
		return true, nil
	case mpFalse:
		return false, nil
	}
	r.pos--
	return false, r.errorf("expected bool, found 0x%02x", c)
}

// readInt reads any MessagePack integer encoding. Values above
// math.MaxInt64 (only possible as uint64) are reported with big set and
// the value in u.
func (r *msgpackReader) readInt() (i int64, u uint64, big bool, err error) {
	c, err := r.readByte()
	if err != nil {
		return 0, 0, false, err
	}
	switch {
	case c <= 0x7f:
		return int64(c), 0, false, nil
	case c >= 0xe0:
		return int64(int8(c)), 0, false, nil
	}
	var size int
	switch c {
	case mpUint8, mpInt8:
		size = 1
	case mpUint16, mpInt16:
		size = 2
	case mpUint32, mpInt32:
		size = 4
	case mpUint64, mpInt64:
		size = 8
	default:
		r.pos--
		return 0, 0, false, r.errorf("expected integer, found 0x%02x", c)
	}
	v, err := r.readUintN(size)
	if err != nil {
		return 0, 0, false, err
	}
	switch c {
	case mpInt8:
		return int64(int8(v)), 0, false, nil
	case mpInt16:
		return int64(int16(v)), 0, false, nil
	case mpInt32:
		return int64(int32(v)), 0, false, nil
	case mpInt64:
		return int64(v), 0, false, nil
	}
	if v > math.MaxInt64 {
		return 0, v, true, nil
	}
	return int64(v), 0, false, nil
}

// readInt64 reads an integer that must fit in [lo, hi].
func (r *msgpackReader) readInt64(lo, hi int64) (int64, error) {
	start := r.pos
	i, u, big, err := r.readInt()
	if err != nil {
		return 0, err
	}
	if big || i < lo || i > hi {
		r.pos = start
		if big {
			return 0, r.errorf("integer %d out of range", u)
		}
		return 0, r.errorf("integer %d out of range", i)
	}
	return i, nil
}

// skip moves past one complete object and returns its bytes, aliased.
// depth is the nesting level of the object's container; containers deeper
// than MaxDepth are rejected, which also bounds the recursion.
func (r *msgpackReader) skip(depth int) ([]byte, error) {
	start := r.pos
	if err := r.skipValue(depth); err != nil {
		return nil, err
	}
	return r.buf[start:r.pos:r.pos], nil
}

func (r *msgpackReader) skipValue(depth int) error {
	c, err := r.readByte()
	if err != nil {
		return err
	}
	switch {
	case c <= 0x7f || c >= 0xe0, c == mpNil, c == mpFalse, c == mpTrue:
		return nil
	case c&0xe0 == 0xa0:
		b, err := r.take(int(c & 0x1f))
		r.checkText(b)
		return err
	case c&0xf0 == 0x90, c == mpArray16, c == mpArray32:
		r.pos--
		n, err := r.readArrayLen()
		if err != nil {
			return err
		}
		return r.skipElements(n, depth)
	case c&0xf0 == 0x80, c == mpMap16, c == mpMap32:
		r.pos--
		n, err := r.readMapLen()
		if err != nil {
			return err
		}
		return r.skipElements(2*n, depth)
	}
	return r.skipSized(c)
}

func (r *msgpackReader) skipElements(n, depth int) error {
	if depth+1 > MaxDepth {
		return r.errorf("nesting deeper than %d", MaxDepth)
	}
	for range n {
		if err := r.skipValue(depth + 1); err != nil {
			return err
		}
	}
	return nil
}

// skipSized skips the objects whose size follows from their header alone:
// numbers, str8/16/32, bin and ext.
func (r *msgpackReader) skipSized(c byte) error {
	var n int
	var err error
	text := false
	switch c {
	case mpUint8, mpInt8:
		n = 1
	case mpUint16, mpInt16:
		n = 2
	case mpUint32, mpInt32, mpFloat32:
		n = 4
	case mpUint64, mpInt64, mpFloat64:
		n = 8
	case mpStr8, mpBin8:
		n, err = r.readLen(1)
		text = c == mpStr8
	case mpStr16, mpBin16:
		n, err = r.readLen(2)
		text = c == mpStr16
	case mpStr32, mpBin32:
		n, err = r.readLen(4)
		text = c == mpStr32
	case mpFixExt1, mpFixExt2, mpFixExt4, mpFixExt8, mpFixExt16:
		n = 1 + 1<<(c-mpFixExt1) // type byte + 1, 2, 4, 8 or 16 data bytes
	case mpExt8:
		n, err = r.readLen(1)
		n++
	case mpExt16:
		n, err = r.readLen(2)
		n++
	case mpExt32:
		n, err = r.readLen(4)
		n++
	default:
		r.pos--
		return r.errorf("invalid type code 0x%02x", c)
	}
	if err != nil {
		return err
	}
	b, err := r.take(n)
	if text {
		r.checkText(b)
	}
	return err
}

// appendValidText appends the object at the reader's position to dst with
// every str made valid UTF-8 (re-headed, since a replacement changes its
// length) and everything else copied as is. The object has been read
// before, so its depth is known to be within limits.
func (r *msgpackReader) appendValidText(dst []byte) ([]byte, error) {
	start := r.pos
	c, err := r.peek()
	if err != nil {
		return dst, err
	}
	switch {
	case c&0xe0 == 0xa0, c == mpStr8, c == mpStr16, c == mpStr32:
		b, _, err := r.readStrBytes(false)
		if err != nil {
			return dst, err
		}
		if utf8.Valid(b) {
			return append(dst, r.buf[start:r.pos]...), nil
		}
		return appendMsgpackString(dst, validString(b))
	case c&0xf0 == 0x90, c == mpArray16, c == mpArray32, c&0xf0 == 0x80, c == mpMap16, c == mpMap32:
		var n int
		if c&0xf0 == 0x90 || c == mpArray16 || c == mpArray32 {
			n, err = r.readArrayLen()
		} else {
			n, err = r.readMapLen()
			n *= 2
		}
		if err != nil {
			return dst, err
		}
		dst = append(dst, r.buf[start:r.pos]...)
		for range n {
			if dst, err = r.appendValidText(dst); err != nil {
				return dst, err
			}
		}
		return dst, nil
	}
	if err := r.skipValue(MaxDepth); err != nil {
		return dst, err
	}
	return append(dst, r.buf[start:r.pos]...), nil
}

// validText returns b, or a copy of it with every str made valid UTF-8
// when one is not: b holds whole objects, then maybe bytes no reader
// looked at, which are copied.
func validText(b []byte) ([]byte, error) {
	r := msgpackReader{buf: b}
	out := make([]byte, 0, len(b)+16)
	var err error
	for r.remaining() > 0 {
		if out, err = r.appendValidText(out); err != nil {
			// The rest is not a whole object; it was never read.
			return append(out, b[r.pos:]...), nil
		}
	}
	return out, nil
}
