package protocol

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// msgpackStructTag is the tag the reflection fallback reads when a field
// has no `msgpack` tag, so structs tagged for JSON get the same names.
const msgpackStructTag = "json"

func appendMsgpackNil(b []byte) []byte { return append(b, mpNil) }

func appendMsgpackBool(b []byte, v bool) []byte {
	if v {
		return append(b, mpTrue)
	}
	return append(b, mpFalse)
}

func appendMsgpackUint16(b []byte, code byte, v uint16) []byte {
	return binary.BigEndian.AppendUint16(append(b, code), v)
}

func appendMsgpackUint32(b []byte, code byte, v uint32) []byte {
	return binary.BigEndian.AppendUint32(append(b, code), v)
}

func appendMsgpackUint64(b []byte, code byte, v uint64) []byte {
	return binary.BigEndian.AppendUint64(append(b, code), v)
}

// appendMsgpackUint writes v in its smallest unsigned encoding.
func appendMsgpackUint(b []byte, v uint64) []byte {
	switch {
	case v <= 0x7f:
		return append(b, byte(v))
	case v <= math.MaxUint8:
		return append(b, mpUint8, byte(v))
	case v <= math.MaxUint16:
		return appendMsgpackUint16(b, mpUint16, uint16(v))
	case v <= math.MaxUint32:
		return appendMsgpackUint32(b, mpUint32, uint32(v))
	}
	return appendMsgpackUint64(b, mpUint64, v)
}

// appendMsgpackInt writes v in its smallest encoding: unsigned codes for
// non-negative values, as MessagePack-CSharp and @msgpack/msgpack do.
func appendMsgpackInt(b []byte, v int64) []byte {
	switch {
	case v >= 0:
		return appendMsgpackUint(b, uint64(v))
	case v >= -32:
		return append(b, byte(v))
	case v >= math.MinInt8:
		return append(b, mpInt8, byte(v))
	case v >= math.MinInt16:
		return appendMsgpackUint16(b, mpInt16, uint16(v))
	case v >= math.MinInt32:
		return appendMsgpackUint32(b, mpInt32, uint32(v))
	}
	return appendMsgpackUint64(b, mpInt64, uint64(v))
}

// appendMsgpackHeader writes a str, bin, array or map header: fixed (when
// fixCode is non-zero and n <= fixMax), then 8-, 16- or 32-bit length
// codes, of which code8 may be 0 when the type has no 8-bit form.
func appendMsgpackHeader(b []byte, n int, fixCode byte, fixMax int, code8, code16, code32 byte) ([]byte, error) {
	switch {
	case n < 0:
	case fixCode != 0 && n <= fixMax:
		return append(b, fixCode|byte(n)), nil
	case code8 != 0 && n <= math.MaxUint8:
		return append(b, code8, byte(n)), nil
	case n <= math.MaxUint16:
		return appendMsgpackUint16(b, code16, uint16(n)), nil
	case uint64(n) <= math.MaxUint32:
		return appendMsgpackUint32(b, code32, uint32(n)), nil
	}
	return b, fmt.Errorf("%w: messagepack: length %d too large", ErrUnsupportedValue, n)
}

func appendMsgpackString(b []byte, s string) ([]byte, error) {
	b, err := appendMsgpackHeader(b, len(s), 0xa0, 31, mpStr8, mpStr16, mpStr32)
	return append(b, s...), err
}

// appendMsgpackOptionalString writes s, or nil when s is empty.
func appendMsgpackOptionalString(b []byte, s string) ([]byte, error) {
	if s == "" {
		return appendMsgpackNil(b), nil
	}
	return appendMsgpackString(b, s)
}

func appendMsgpackBin(b, v []byte) ([]byte, error) {
	b, err := appendMsgpackHeader(b, len(v), 0, 0, mpBin8, mpBin16, mpBin32)
	return append(b, v...), err
}

func appendMsgpackArrayLen(b []byte, n int) ([]byte, error) {
	return appendMsgpackHeader(b, n, 0x90, 15, 0, mpArray16, mpArray32)
}

func appendMsgpackMapLen(b []byte, n int) ([]byte, error) {
	return appendMsgpackHeader(b, n, 0x80, 15, 0, mpMap16, mpMap32)
}

// appendMsgpackTime writes t as a timestamp (extension -1) in the
// shortest of the three forms the MessagePack spec defines, the choice
// @msgpack/msgpack makes: 32-bit seconds when there are no nanoseconds,
// 30-bit nanoseconds and 34-bit seconds when the seconds fit, else 96 bits.
func appendMsgpackTime(b []byte, t time.Time) []byte {
	sec, nsec := t.Unix(), uint64(t.Nanosecond())
	switch {
	case sec >= 0 && sec <= math.MaxUint32 && nsec == 0:
		b = append(b, mpFixExt4, 0xff)
		return binary.BigEndian.AppendUint32(b, uint32(sec))
	case sec >= 0 && sec>>34 == 0:
		b = append(b, mpFixExt8, 0xff)
		return binary.BigEndian.AppendUint64(b, nsec<<34|uint64(sec))
	}
	b = append(b, mpExt8, 12, 0xff)
	b = binary.BigEndian.AppendUint32(b, uint32(nsec))
	return binary.BigEndian.AppendUint64(b, uint64(sec))
}

// appendMsgpackRaw copies raw after checking that it is exactly one
// MessagePack object, so a stray JSON Raw cannot corrupt the stream.
func appendMsgpackRaw(b []byte, raw Raw) ([]byte, error) {
	r := msgpackReader{buf: raw}
	if _, err := r.skip(0); err != nil {
		return b, fmt.Errorf("%w: Raw is not MessagePack: %w", ErrUnsupportedValue, err)
	}
	if r.pos != len(raw) {
		return b, fmt.Errorf("%w: Raw holds more than one MessagePack object", ErrUnsupportedValue)
	}
	return append(b, raw...), nil
}

// appendMsgpackValue writes one argument, item or result. depth counts
// the containers already open, bounding recursion through []any and maps.
func appendMsgpackValue(b []byte, v any, depth int) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return appendMsgpackNil(b), nil
	case Raw:
		return appendMsgpackRaw(b, v)
	case bool:
		return appendMsgpackBool(b, v), nil
	case string:
		return appendMsgpackString(b, v)
	case int:
		return appendMsgpackInt(b, int64(v)), nil
	case int8:
		return appendMsgpackInt(b, int64(v)), nil
	case int16:
		return appendMsgpackInt(b, int64(v)), nil
	case int32:
		return appendMsgpackInt(b, int64(v)), nil
	case int64:
		return appendMsgpackInt(b, v), nil
	case uint:
		return appendMsgpackUint(b, uint64(v)), nil
	case uint8:
		return appendMsgpackUint(b, uint64(v)), nil
	case uint16:
		return appendMsgpackUint(b, uint64(v)), nil
	case uint32:
		return appendMsgpackUint(b, uint64(v)), nil
	case uint64:
		return appendMsgpackUint(b, v), nil
	case float32:
		return appendMsgpackUint32(b, mpFloat32, math.Float32bits(v)), nil
	case float64:
		return appendMsgpackUint64(b, mpFloat64, math.Float64bits(v)), nil
	case []byte:
		return appendMsgpackBin(b, v)
	case time.Time:
		return appendMsgpackTime(b, v), nil
	}
	return appendMsgpackContainer(b, v, depth)
}

// appendMsgpackContainer writes the container fast paths, and everything
// else through the reflection fallback.
func appendMsgpackContainer(b []byte, v any, depth int) ([]byte, error) {
	if depth >= MaxDepth {
		return b, fmt.Errorf("%w: messagepack: values nest deeper than %d", ErrUnsupportedValue, MaxDepth)
	}
	var err error
	switch v := v.(type) {
	case []any:
		b, err = appendMsgpackArrayLen(b, len(v))
		for i := 0; i < len(v) && err == nil; i++ {
			b, err = appendMsgpackValue(b, v[i], depth+1)
		}
	case []string:
		b, err = appendMsgpackStrings(b, v)
	case map[string]any:
		b, err = appendMsgpackMapLen(b, len(v))
		for k, e := range v {
			if err != nil {
				break
			}
			if b, err = appendMsgpackString(b, k); err == nil {
				b, err = appendMsgpackValue(b, e, depth+1)
			}
		}
	case map[string]string:
		b, err = appendMsgpackStringMap(b, v)
	default:
		return appendMsgpackReflect(b, v)
	}
	return b, err
}

// appendMsgpackStrings writes an array of strings; stream ids use it too.
func appendMsgpackStrings(b []byte, s []string) ([]byte, error) {
	b, err := appendMsgpackArrayLen(b, len(s))
	for i := 0; i < len(s) && err == nil; i++ {
		b, err = appendMsgpackString(b, s[i])
	}
	return b, err
}

// appendMsgpackStringMap writes a string-to-string map; headers use it too.
func appendMsgpackStringMap(b []byte, m map[string]string) ([]byte, error) {
	b, err := appendMsgpackMapLen(b, len(m))
	for k, v := range m {
		if err != nil {
			break
		}
		if b, err = appendMsgpackString(b, k); err == nil {
			b, err = appendMsgpackString(b, v)
		}
	}
	return b, err
}

// msgpackAppender is the io.Writer the reflection fallback writes to.
type msgpackAppender struct{ b []byte }

func (w *msgpackAppender) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func (w *msgpackAppender) WriteByte(c byte) error {
	w.b = append(w.b, c)
	return nil
}

// appendMsgpackReflect encodes v with vmihailenco/msgpack: structs as maps
// (msgpack tag, else json tag, else field name), integers in their
// smallest form, time.Time as extension -1, []byte as bin.
func appendMsgpackReflect(b []byte, v any) ([]byte, error) {
	w := &msgpackAppender{b: b}
	enc := msgpack.GetEncoder()
	defer msgpack.PutEncoder(enc)
	enc.Reset(w)
	enc.SetCustomStructTag(msgpackStructTag)
	enc.UseCompactInts(true)
	if err := enc.Encode(v); err != nil {
		return b, fmt.Errorf("%w: messagepack: %T: %w", ErrUnsupportedValue, v, err)
	}
	return w.b, nil
}
