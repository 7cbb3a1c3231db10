package redis

import (
	"encoding/binary"
	"fmt"
	"math"
)

// reader reads the MessagePack of backplane payloads, which come from
// Redis and so from anyone who can publish there. It never panics and
// never allocates more than the input justifies: the first error sticks,
// later reads return zero values.
type reader struct {
	b   []byte
	err error
}

// maxSkipDepth bounds the nesting of skipped values.
const maxSkipDepth = 32

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", errPayload, what)
	}
	r.b = nil
}

func (r *reader) end() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail("trailing bytes")
	}
	return r.err
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.fail("truncated")
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) byte1() byte {
	v := r.take(1)
	if v == nil {
		return 0
	}
	return v[0]
}

func (r *reader) uint(n int) uint64 {
	v := r.take(n)
	switch n {
	case 1:
		if v != nil {
			return uint64(v[0])
		}
	case 2:
		if v != nil {
			return uint64(binary.BigEndian.Uint16(v))
		}
	case 4:
		if v != nil {
			return uint64(binary.BigEndian.Uint32(v))
		}
	case 8:
		if v != nil {
			return binary.BigEndian.Uint64(v)
		}
	}
	return 0
}

// count converts a length read from the input and rejects one that could
// not fit in what is left (every element takes at least one byte).
func (r *reader) count(n uint64) int {
	if r.err == nil && n > uint64(len(r.b)) {
		r.fail("length beyond the payload")
		return 0
	}
	return int(n)
}

func (r *reader) arrayLen() int {
	switch t := r.byte1(); {
	case r.err != nil:
		return 0
	case t&0xf0 == 0x90:
		return int(t & 0x0f)
	case t == 0xdc:
		return r.count(r.uint(2))
	case t == 0xdd:
		return r.count(r.uint(4))
	default:
		r.fail("not an array")
		return 0
	}
}

func (r *reader) peekArray() bool {
	if r.err != nil || len(r.b) == 0 {
		return false
	}
	t := r.b[0]
	return t&0xf0 == 0x90 || t == 0xdc || t == 0xdd
}

func (r *reader) mapLen() int {
	switch t := r.byte1(); {
	case r.err != nil:
		return 0
	case t&0xf0 == 0x80:
		return int(t & 0x0f)
	case t == 0xde:
		return r.count(r.uint(2))
	case t == 0xdf:
		return r.count(r.uint(4))
	default:
		r.fail("not a map")
		return 0
	}
}

// strOrNil reads a string or nil (ok false).
func (r *reader) strOrNil() (s string, ok bool) {
	if r.err == nil && len(r.b) > 0 && r.b[0] == 0xc0 {
		r.b = r.b[1:]
		return "", false
	}
	return r.str(), r.err == nil
}

func (r *reader) str() string {
	var n uint64
	switch t := r.byte1(); {
	case r.err != nil:
		return ""
	case t&0xe0 == 0xa0:
		n = uint64(t & 0x1f)
	case t == 0xd9:
		n = r.uint(1)
	case t == 0xda:
		n = r.uint(2)
	case t == 0xdb:
		n = r.uint(4)
	default:
		r.fail("not a string")
		return ""
	}
	return string(r.take(r.count(n)))
}

func (r *reader) strings() []string {
	n := r.arrayLen()
	if n == 0 {
		return nil
	}
	ss := make([]string, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		ss = append(ss, r.str())
	}
	return ss
}

func (r *reader) bin() []byte {
	var n uint64
	switch t := r.byte1(); {
	case r.err != nil:
		return nil
	case t == 0xc4:
		n = r.uint(1)
	case t == 0xc5:
		n = r.uint(2)
	case t == 0xc6:
		n = r.uint(4)
	default:
		r.fail("not binary")
		return nil
	}
	return r.take(r.count(n))
}

// int reads any MessagePack integer.
func (r *reader) int() int64 {
	switch t := r.byte1(); {
	case r.err != nil:
		return 0
	case t < 0x80:
		return int64(t)
	case t >= 0xe0:
		return int64(int8(t))
	case t == 0xcc:
		return int64(r.uint(1))
	case t == 0xcd:
		return int64(r.uint(2))
	case t == 0xce:
		return int64(r.uint(4))
	case t == 0xcf:
		v := r.uint(8)
		if v > math.MaxInt64 {
			r.fail("integer out of range")
		}
		return int64(v)
	case t == 0xd0:
		return int64(int8(r.uint(1)))
	case t == 0xd1:
		return int64(int16(r.uint(2)))
	case t == 0xd2:
		return int64(int32(r.uint(4)))
	case t == 0xd3:
		return int64(r.uint(8))
	default:
		r.fail("not an integer")
		return 0
	}
}

func (r *reader) int32() int32 {
	v := r.int()
	if v < math.MinInt32 || v > math.MaxInt32 {
		r.fail("integer out of range")
		return 0
	}
	return int32(v)
}

// skip passes over one value of any type.
func (r *reader) skip(depth int) {
	if depth > maxSkipDepth {
		r.fail("nested too deeply")
		return
	}
	if r.err != nil || len(r.b) == 0 {
		r.fail("truncated")
		return
	}
	t := r.b[0]
	switch {
	case t < 0x80 || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3:
		r.b = r.b[1:]
	case t&0xe0 == 0xa0 || (t >= 0xd9 && t <= 0xdb):
		r.str()
	case t >= 0xc4 && t <= 0xc6:
		r.bin()
	case t >= 0xcc && t <= 0xd3:
		r.int()
	case t == 0xca:
		r.take(5)
	case t == 0xcb:
		r.take(9)
	case t&0xf0 == 0x90 || t == 0xdc || t == 0xdd:
		n := r.arrayLen()
		for i := 0; i < n && r.err == nil; i++ {
			r.skip(depth + 1)
		}
	case t&0xf0 == 0x80 || t == 0xde || t == 0xdf:
		n := r.mapLen()
		for i := 0; i < 2*n && r.err == nil; i++ {
			r.skip(depth + 1)
		}
	case t >= 0xd4 && t <= 0xd8: // fixext 1..16
		r.take(2 + 1<<(t-0xd4))
	case t >= 0xc7 && t <= 0xc9: // ext 8/16/32
		r.b = r.b[1:]
		n := r.uint(1 << (t - 0xc7))
		r.take(1)
		r.take(r.count(n))
	default:
		r.fail("unknown type")
	}
}
