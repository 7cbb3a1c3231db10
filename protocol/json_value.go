package protocol

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendJSONValue writes v as JSON. The common argument types are written
// by hand without allocating; the output is byte for byte what
// encoding/json writes with HTML escaping off (ASP.NET does not escape
// HTML either). Everything else, and every json.Marshaler except
// time.Time, goes through encoding/json. depth is the nesting level of
// v's container; the hand-written paths refuse to nest deeper than
// MaxDepth, which also stops cyclic []any and maps.
func appendJSONValue(b []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case Raw:
		return appendJSONRaw(b, x)
	case json.RawMessage:
		return appendJSONRaw(b, x)
	case string:
		return appendJSONString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case uint:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case float64:
		return appendJSONFloat(b, x, 64)
	case float32:
		return appendJSONFloat(b, float64(x), 32)
	case []byte:
		return appendJSONBytes(b, x), nil
	case time.Time:
		return appendJSONTime(b, x)
	}
	return appendJSONContainer(b, v, depth)
}

// appendJSONContainer handles the hand-written container types and hands
// the rest to encoding/json.
func appendJSONContainer(b []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case []string:
		if x == nil {
			return append(b, "null"...), nil
		}
		return appendJSONStrings(b, x), nil
	case map[string]string:
		if x == nil {
			return append(b, "null"...), nil
		}
		return appendJSONStringMap(b, x), nil
	case []any:
		if x == nil {
			return append(b, "null"...), nil
		}
		return appendJSONArray(b, x, depth+1)
	case map[string]any:
		if x == nil {
			return append(b, "null"...), nil
		}
		return appendJSONObject(b, x, depth+1)
	}
	return appendJSONReflect(b, v)
}

// appendJSONRaw copies JSON text after checking it, since one bad value
// would make the client drop the connection. Empty means null, as an empty
// json.RawMessage does in encoding/json.
func appendJSONRaw(b, raw []byte) ([]byte, error) {
	if len(raw) == 0 {
		return append(b, "null"...), nil
	}
	if err := validJSONValue(raw); err != nil {
		return b, fmt.Errorf("%w: raw value is not JSON: %w", ErrUnsupportedValue, err)
	}
	return append(b, raw...), nil
}

func appendJSONArray(b []byte, a []any, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return b, fmt.Errorf("%w: json: nesting deeper than %d", ErrUnsupportedValue, MaxDepth)
	}
	b = append(b, '[')
	for i, v := range a {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendJSONValue(b, v, depth); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// jsonInlineKeys is how many map keys are sorted on the stack.
const jsonInlineKeys = 16

// appendJSONObject writes the keys sorted, as encoding/json does, so that
// equal maps always encode to equal bytes.
func appendJSONObject(b []byte, m map[string]any, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return b, fmt.Errorf("%w: json: nesting deeper than %d", ErrUnsupportedValue, MaxDepth)
	}
	var inline [jsonInlineKeys]string
	keys := inline[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		var err error
		if b, err = appendJSONValue(b, m[k], depth); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

func appendJSONStringMap(b []byte, m map[string]string) []byte {
	var inline [jsonInlineKeys]string
	keys := inline[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, m[k])
	}
	return append(b, '}')
}

func appendJSONStrings(b []byte, a []string) []byte {
	b = append(b, '[')
	for i, s := range a {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

const jsonHexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does with HTML escaping off:
// short escapes where JSON has them, \u00XX for other control characters
// (so a record separator can never appear raw), \u2028 and \u2029 for old
// JavaScript parsers, and U+FFFD for invalid UTF-8.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', jsonHexDigits[c>>4], jsonHexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', jsonHexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendJSONFloat formats like encoding/json (and JavaScript): shortest
// representation, exponent form only for very small or large magnitudes.
func appendJSONFloat(b []byte, f float64, bits int) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, fmt.Errorf("%w: json: %v", ErrUnsupportedValue, f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) ||
			bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// Shorten a two-digit negative exponent: 1e-07 becomes 1e-7.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// appendJSONBytes writes standard base64 in a string, as both
// encoding/json and .NET do for byte arrays.
func appendJSONBytes(b, v []byte) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, v)
	return append(b, '"')
}

// appendJSONTime writes RFC 3339 with nanoseconds. Times that
// time.Time.MarshalJSON refuses go to encoding/json for its exact error.
func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	_, offset := t.Zone()
	if y := t.Year(); y < 0 || y > 9999 || offset <= -24*3600 || offset >= 24*3600 {
		return appendJSONReflect(b, t)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

// jsonAppender is the io.Writer the encoding/json fallback writes to.
type jsonAppender struct{ b []byte }

func (w *jsonAppender) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// appendJSONReflect encodes v with encoding/json, HTML escaping off.
func appendJSONReflect(b []byte, v any) ([]byte, error) {
	w := &jsonAppender{b: b}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return b, fmt.Errorf("%w: json: %T: %w", ErrUnsupportedValue, v, err)
	}
	// Encode ends the value with a newline.
	return w.b[:len(w.b)-1], nil
}
