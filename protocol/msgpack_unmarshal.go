package protocol

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// Unmarshal implements [HubProtocol]. raw must hold exactly one
// MessagePack object; it is checked first, so the depth and length limits
// of Decode hold whatever v is.
//
// Targets handled by hand: *Raw (aliases raw), *any, *string, *bool, every
// integer and float pointer, *[]byte and *time.Time. nil stores the zero
// value. Integers convert to floats (beyond 2^53 to the nearest float);
// floats convert to integers only when integral and in range; integers are
// range-checked, so 0xcf and 0xd3 land exactly in uint64 and int64. str and
// bin both decode into string and []byte; strings are valid UTF-8 (see
// [MessagePack.Decode]). Into *any, values become nil,
// bool, int64 (uint64 above math.MaxInt64), float64, string, []byte,
// time.Time (UTC), []any and map[string]any (integer keys formatted as
// decimal strings, as JavaScript objects do).
//
// Other targets go through github.com/vmihailenco/msgpack/v5: maps fill
// structs by the exact key matching the `msgpack` tag, else the `json`
// tag, else the field name (the library has no case-insensitive
// matching); interface fields inside such values get int64, uint64,
// float64 and, as the library does, bin as string; floats do not convert
// into integer fields.
func (MessagePack) Unmarshal(raw Raw, v any) error {
	r := msgpackReader{buf: raw}
	if _, err := r.skip(0); err != nil {
		return err
	}
	if r.pos != len(raw) {
		return r.errorf("trailing bytes after value")
	}
	if r.badText {
		// Not from Decode, which repairs text: repair it here too.
		fixed, err := validText(raw)
		if err != nil {
			return err
		}
		raw = fixed
	}
	r = msgpackReader{buf: raw}
	if handled, err := r.unmarshalScalar(v); handled {
		return err
	}
	return unmarshalMsgpackReflect(raw, v)
}

// unmarshalScalar decodes into the targets handled by hand and reports
// whether v was one of them.
func (r *msgpackReader) unmarshalScalar(v any) (handled bool, err error) {
	switch p := v.(type) {
	case *Raw:
		*p = Raw(r.buf)
	case *any:
		*p, err = r.readAny()
	case *string:
		var b []byte
		b, err = r.readBytesValue()
		*p = validString(b) // a bin may hold anything
	case *[]byte:
		var b []byte
		if b, err = r.readBytesValue(); b != nil {
			*p = bytes.Clone(b)
		} else {
			*p = nil
		}
	case *bool:
		if !r.readNil() {
			*p, err = r.readBool()
		} else {
			*p = false
		}
	case *time.Time:
		if !r.readNil() {
			*p, err = r.readTimestamp()
		} else {
			*p = time.Time{}
		}
	default:
		return r.unmarshalNumber(v)
	}
	return true, err
}

// unmarshalNumber decodes into integer and float pointers.
func (r *msgpackReader) unmarshalNumber(v any) (handled bool, err error) {
	var n msgpackNumber
	switch v.(type) {
	case *int, *int8, *int16, *int32, *int64, *uint, *uint8, *uint16, *uint32, *uint64, *float32, *float64:
		n, err = r.readNumber()
		if err != nil {
			return true, err
		}
	default:
		return false, nil
	}
	switch p := v.(type) {
	case *int:
		*p, err = msgpackToInt[int](r, n, math.MinInt, math.MaxInt)
	case *int8:
		*p, err = msgpackToInt[int8](r, n, math.MinInt8, math.MaxInt8)
	case *int16:
		*p, err = msgpackToInt[int16](r, n, math.MinInt16, math.MaxInt16)
	case *int32:
		*p, err = msgpackToInt[int32](r, n, math.MinInt32, math.MaxInt32)
	case *int64:
		*p, err = msgpackToInt[int64](r, n, math.MinInt64, math.MaxInt64)
	case *uint:
		*p, err = msgpackToUint[uint](r, n, math.MaxUint)
	case *uint8:
		*p, err = msgpackToUint[uint8](r, n, math.MaxUint8)
	case *uint16:
		*p, err = msgpackToUint[uint16](r, n, math.MaxUint16)
	case *uint32:
		*p, err = msgpackToUint[uint32](r, n, math.MaxUint32)
	case *uint64:
		*p, err = msgpackToUint[uint64](r, n, math.MaxUint64)
	case *float32:
		f := n.float()
		if math.Abs(f) > math.MaxFloat32 && !math.IsInf(f, 0) {
			return true, r.errorf("%v overflows float32", f)
		}
		*p = float32(f)
	case *float64:
		*p = n.float()
	}
	return true, err
}

// msgpackNumber is any MessagePack number (or nil, read as integer 0).
type msgpackNumber struct {
	kind byte // 'i': fits int64 in i; 'u': above math.MaxInt64, in u; 'f': f
	i    int64
	u    uint64
	f    float64
}

func (n msgpackNumber) float() float64 {
	switch n.kind {
	case 'i':
		return float64(n.i)
	case 'u':
		return float64(n.u)
	}
	return n.f
}

// readNumber reads nil (as 0), an integer or a float.
func (r *msgpackReader) readNumber() (msgpackNumber, error) {
	if r.readNil() {
		return msgpackNumber{kind: 'i'}, nil
	}
	c, err := r.peek()
	if err != nil {
		return msgpackNumber{}, err
	}
	if c == mpFloat32 || c == mpFloat64 {
		r.pos++
		size := 4
		if c == mpFloat64 {
			size = 8
		}
		bits, err := r.readUintN(size)
		f := math.Float64frombits(bits)
		if c == mpFloat32 {
			f = float64(math.Float32frombits(uint32(bits)))
		}
		return msgpackNumber{kind: 'f', f: f}, err
	}
	i, u, big, err := r.readInt()
	if big {
		return msgpackNumber{kind: 'u', u: u}, err
	}
	return msgpackNumber{kind: 'i', i: i}, err
}

func msgpackToInt[T int | int8 | int16 | int32 | int64](r *msgpackReader, n msgpackNumber, lo, hi int64) (T, error) {
	i := n.i
	switch n.kind {
	case 'u':
		return 0, r.errorf("%d out of range", n.u)
	case 'f':
		// 2^63 is exact as a float64; anything below it converts safely.
		if n.f != math.Trunc(n.f) || n.f < math.MinInt64 || n.f >= 1<<63 {
			return 0, r.errorf("%v is not an integer in range", n.f)
		}
		i = int64(n.f)
	}
	if i < lo || i > hi {
		return 0, r.errorf("%d out of range", i)
	}
	return T(i), nil
}

func msgpackToUint[T uint | uint8 | uint16 | uint32 | uint64](r *msgpackReader, n msgpackNumber, hi uint64) (T, error) {
	u := n.u
	switch n.kind {
	case 'i':
		if n.i < 0 {
			return 0, r.errorf("%d out of range", n.i)
		}
		u = uint64(n.i)
	case 'f':
		if n.f != math.Trunc(n.f) || n.f < 0 || n.f >= 1<<64 {
			return 0, r.errorf("%v is not an integer in range", n.f)
		}
		u = uint64(n.f)
	}
	if u > hi {
		return 0, r.errorf("%d out of range", u)
	}
	return T(u), nil
}

// readNil consumes a nil and reports whether there was one.
func (r *msgpackReader) readNil() bool {
	if r.pos < len(r.buf) && r.buf[r.pos] == mpNil {
		r.pos++
		return true
	}
	return false
}

// readBytesValue reads a str or bin (aliased) or nil (nil).
func (r *msgpackReader) readBytesValue() ([]byte, error) {
	c, err := r.peek()
	if err != nil {
		return nil, err
	}
	n := 0
	switch c {
	case mpBin8:
		r.pos++
		n, err = r.readLen(1)
	case mpBin16:
		r.pos++
		n, err = r.readLen(2)
	case mpBin32:
		r.pos++
		n, err = r.readLen(4)
	default:
		b, _, err := r.readStrBytes(true)
		return b, err
	}
	if err != nil {
		return nil, err
	}
	return r.take(n)
}

// readTimestamp reads extension -1 in its 32-, 64- or 96-bit form.
func (r *msgpackReader) readTimestamp() (time.Time, error) {
	c, err := r.readByte()
	if err != nil {
		return time.Time{}, err
	}
	size := 0
	switch c {
	case mpFixExt4:
		size = 4
	case mpFixExt8:
		size = 8
	case mpExt8:
		if size, err = r.readLen(1); err != nil {
			return time.Time{}, err
		}
	}
	data, err := r.take(1 + size)
	if err != nil {
		return time.Time{}, err
	}
	if int8(data[0]) != mpTimestampExt || (size != 4 && size != 8 && size != 12) {
		r.pos -= 1 + size
		return time.Time{}, r.errorf("expected timestamp, found 0x%02x", c)
	}
	return r.timestamp(data[1:])
}

// timestamp decodes the data of a timestamp extension, as UTC.
func (r *msgpackReader) timestamp(d []byte) (time.Time, error) {
	var sec int64
	var nsec uint32
	switch len(d) {
	case 4:
		sec = int64(binary.BigEndian.Uint32(d))
	case 8:
		v := binary.BigEndian.Uint64(d)
		nsec, sec = uint32(v>>34), int64(v&(1<<34-1))
	default:
		nsec, sec = binary.BigEndian.Uint32(d), int64(binary.BigEndian.Uint64(d[4:]))
	}
	if nsec > 999_999_999 {
		return time.Time{}, r.errorf("timestamp nanoseconds %d out of range", nsec)
	}
	return time.Unix(sec, int64(nsec)).UTC(), nil
}

// readAny decodes one value into the generic Go types listed on Unmarshal.
// The input was validated by skip, so the recursion is bounded by MaxDepth.
func (r *msgpackReader) readAny() (any, error) {
	c, err := r.peek()
	if err != nil {
		return nil, err
	}
	switch {
	case c == mpNil:
		r.pos++
		return nil, nil
	case c == mpTrue || c == mpFalse:
		return r.readBool()
	case c&0xe0 == 0xa0, c == mpStr8, c == mpStr16, c == mpStr32:
		return r.readString()
	case c == mpBin8, c == mpBin16, c == mpBin32:
		b, err := r.readBytesValue()
		return bytes.Clone(b), err
	case c&0xf0 == 0x90, c == mpArray16, c == mpArray32:
		return r.readAnyArray()
	case c&0xf0 == 0x80, c == mpMap16, c == mpMap32:
		return r.readAnyMap()
	case c >= mpFixExt1 && c <= mpFixExt16, c >= mpExt8 && c <= mpExt32:
		// Timestamps are the only extension with a Go meaning.
		return r.readTimestamp()
	}
	n, err := r.readNumber()
	switch {
	case err != nil:
		return nil, err
	case n.kind == 'i':
		return n.i, nil
	case n.kind == 'u':
		return n.u, nil
	}
	return n.f, nil
}

func (r *msgpackReader) readAnyArray() (any, error) {
	n, err := r.readArrayLen()
	if err != nil {
		return nil, err
	}
	a := make([]any, n)
	for i := range a {
		if a[i], err = r.readAny(); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func (r *msgpackReader) readAnyMap() (any, error) {
	n, err := r.readMapLen()
	if err != nil {
		return nil, err
	}
	m := make(map[string]any, n)
	for range n {
		k, err := r.readAnyKey()
		if err != nil {
			return nil, err
		}
		if m[k], err = r.readAny(); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// readAnyKey reads a map key: a string, or an integer formatted in decimal.
func (r *msgpackReader) readAnyKey() (string, error) {
	c, err := r.peek()
	if err != nil {
		return "", err
	}
	if c&0xe0 == 0xa0 || c == mpStr8 || c == mpStr16 || c == mpStr32 {
		return r.readString()
	}
	i, u, big, err := r.readInt()
	switch {
	case err != nil:
		return "", r.errorf("map key must be a string or an integer")
	case big:
		return strconv.FormatUint(u, 10), nil
	}
	return strconv.FormatInt(i, 10), nil
}

// unmarshalMsgpackReflect decodes raw into v with vmihailenco/msgpack. The
// library is third-party code fed with peer data, so a panic in it is
// turned into an error rather than taking the server down.
func unmarshalMsgpackReflect(raw Raw, v any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: messagepack: decode into %T: %v", ErrInvalidMessage, v, p)
		}
	}()
	dec := msgpack.GetDecoder()
	defer msgpack.PutDecoder(dec)
	dec.Reset(bytes.NewReader(raw))
	dec.SetCustomStructTag(msgpackStructTag)
	dec.UseLooseInterfaceDecoding(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: messagepack: decode into %T: %w", ErrInvalidMessage, v, err)
	}
	return nil
}
