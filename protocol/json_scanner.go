package protocol

import (
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonScanner walks JSON text without building values. It validates the
// grammar (RFC 8259, UTF-8 strings) and hands out the byte spans of what
// it reads, so that callers decide what to copy. Nesting is bounded by
// MaxDepth, which also bounds the recursion of skipValue.
type jsonScanner struct {
	buf []byte
	pos int
}

func (s *jsonScanner) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: json: offset %d: %s", ErrInvalidMessage, s.pos, fmt.Sprintf(format, args...))
}

func (s *jsonScanner) skipSpace() {
	for s.pos < len(s.buf) {
		switch s.buf[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (s *jsonScanner) peek() byte {
	s.skipSpace()
	if s.pos < len(s.buf) {
		return s.buf[s.pos]
	}
	return 0
}

// atEnd reports whether only white space is left.
func (s *jsonScanner) atEnd() bool {
	s.skipSpace()
	return s.pos == len(s.buf)
}

// enter consumes the opening byte of an array or object and reports
// whether a first element follows (false: the container was empty and is
// consumed too). depth is the nesting level of the container itself.
func (s *jsonScanner) enter(open, closing byte, depth int) (bool, error) {
	if depth > MaxDepth {
		return false, s.errorf("nesting deeper than %d", MaxDepth)
	}
	if s.peek() != open {
		return false, s.errorf("expected %q", open)
	}
	s.pos++
	if s.peek() == closing {
		s.pos++
		return false, nil
	}
	return true, nil
}

// next consumes the separator after an element and reports whether another
// element follows.
func (s *jsonScanner) next(closing byte) (bool, error) {
	switch s.peek() {
	case ',':
		s.pos++
		return true, nil
	case closing:
		s.pos++
		return false, nil
	}
	return false, s.errorf("expected ',' or %q", closing)
}

// key reads an object member's name and the colon after it. escaped tells
// whether the raw name needs unescaping before it is compared.
func (s *jsonScanner) key() (name []byte, escaped bool, err error) {
	if s.peek() != '"' {
		return nil, false, s.errorf("expected a property name")
	}
	name, escaped, err = s.scanString()
	if err != nil {
		return nil, false, err
	}
	if s.peek() != ':' {
		return nil, false, s.errorf("expected ':'")
	}
	s.pos++
	return name, escaped, nil
}

// propertyName reads an object member's name and the colon after it,
// unescaped if need be: "\u0074ype" is a valid spelling of "type".
func (s *jsonScanner) propertyName() ([]byte, error) {
	name, escaped, err := s.key()
	if err != nil || !escaped {
		return name, err
	}
	return unescapeJSON(nil, name), nil
}

// scanString moves past the string starting at pos and returns its content
// between the quotes, still escaped.
func (s *jsonScanner) scanString() (content []byte, escaped bool, err error) {
	s.pos++ // opening quote
	start := s.pos
	ascii := true
	for s.pos < len(s.buf) {
		c := s.buf[s.pos]
		if c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\\' {
			s.pos++
			continue
		}
		switch {
		case c == '"':
			content = s.buf[start:s.pos]
			if !ascii && !utf8.Valid(content) {
				return nil, false, fmt.Errorf("%w: json: offset %d: %w", ErrInvalidMessage, s.pos, errInvalidText)
			}
			s.pos++
			return content, escaped, nil
		case c == '\\':
			escaped = true
			if err := s.scanEscape(); err != nil {
				return nil, false, err
			}
		case c < 0x20:
			return nil, false, s.errorf("control character in string")
		default:
			if c >= utf8.RuneSelf {
				ascii = false
			}
			s.pos++
		}
	}
	return nil, false, s.errorf("unterminated string")
}

func (s *jsonScanner) scanEscape() error {
	if s.pos+1 >= len(s.buf) {
		return s.errorf("unterminated string")
	}
	switch s.buf[s.pos+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		s.pos += 2
		return nil
	case 'u':
		if s.pos+6 > len(s.buf) {
			return s.errorf("unterminated string")
		}
		if _, ok := jsonHex4(s.buf[s.pos+2 : s.pos+6]); !ok {
			return s.errorf("invalid \\u escape")
		}
		s.pos += 6
		return nil
	}
	return s.errorf("invalid escape")
}

func jsonHex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// unescapeJSON appends the text of the string content src (already checked
// by scanString) to dst. An unpaired surrogate escape, which has no UTF-8
// form, becomes U+FFFD, as in encoding/json (see text.go).
func unescapeJSON(dst, src []byte) []byte {
	for i := 0; i < len(src); {
		c := src[i]
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		c = src[i+1]
		i += 2
		switch c {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, _ := jsonHex4(src[i:])
			i += 4
			if utf16.IsSurrogate(r) {
				if pair, ok := jsonLowSurrogate(src[i:], r); ok {
					r = pair
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, c)
		}
	}
	return dst
}

// jsonLowSurrogate combines the high surrogate hi with the \u escape at
// the start of rest.
func jsonLowSurrogate(rest []byte, hi rune) (rune, bool) {
	if hi >= 0xDC00 || len(rest) < 6 || rest[0] != '\\' || rest[1] != 'u' {
		return 0, false
	}
	lo, _ := jsonHex4(rest[2:])
	r := utf16.DecodeRune(hi, lo)
	return r, r != utf8.RuneError
}

// decodeString returns the text of a string scanned by scanString.
func (s *jsonScanner) decodeString(content []byte, escaped bool) (string, error) {
	if !escaped {
		return string(content), nil
	}
	return string(unescapeJSON(make([]byte, 0, len(content)), content)), nil
}

// scanNumber moves past a number and reports whether it is an integer
// (no fraction, no exponent).
func (s *jsonScanner) scanNumber() (integer bool, err error) {
	b, i := s.buf, s.pos
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = jsonDigits(b, i)
	default:
		return false, s.errorf("invalid number")
	}
	integer = true
	if i < len(b) && b[i] == '.' {
		integer = false
		if i++; i == len(b) || !jsonIsDigit(b[i]) {
			return false, s.errorf("invalid number")
		}
		i = jsonDigits(b, i)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		integer = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i == len(b) || !jsonIsDigit(b[i]) {
			return false, s.errorf("invalid number")
		}
		i = jsonDigits(b, i)
	}
	s.pos = i
	return integer, nil
}

func jsonIsDigit(c byte) bool { return '0' <= c && c <= '9' }

func jsonDigits(b []byte, i int) int {
	for i < len(b) && jsonIsDigit(b[i]) {
		i++
	}
	return i
}

// parseJSONInt converts an integer literal checked by scanNumber, failing
// when it does not fit in [lo, hi].
func parseJSONInt(b []byte, lo, hi int64) (int64, bool) {
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	// Accumulate negatively so that math.MinInt64 fits.
	var n int64
	for _, c := range b {
		d := int64(c - '0')
		if n < (lo+d)/10 {
			return 0, false
		}
		n = n*10 - d
	}
	if !neg {
		if n < -hi {
			return 0, false
		}
		n = -n
	}
	return n, true
}

// scanLiteral moves past true, false or null.
func (s *jsonScanner) scanLiteral(lit string) error {
	if len(s.buf)-s.pos < len(lit) || string(s.buf[s.pos:s.pos+len(lit)]) != lit {
		return s.errorf("invalid literal")
	}
	s.pos += len(lit)
	return nil
}

// skipValue moves past one value. depth is the nesting level of the
// value's container.
func (s *jsonScanner) skipValue(depth int) error {
	switch c := s.peek(); c {
	case '{':
		return s.skipObject(depth + 1)
	case '[':
		return s.skipArray(depth + 1)
	case '"':
		_, _, err := s.scanString()
		return err
	case 't':
		return s.scanLiteral("true")
	case 'f':
		return s.scanLiteral("false")
	case 'n':
		return s.scanLiteral("null")
	case 0:
		if s.pos == len(s.buf) {
			return s.errorf("unexpected end of input")
		}
	default:
		if c == '-' || jsonIsDigit(c) {
			_, err := s.scanNumber()
			return err
		}
	}
	return s.errorf("unexpected character %q", s.buf[s.pos])
}

func (s *jsonScanner) skipArray(depth int) error {
	more, err := s.enter('[', ']', depth)
	for more && err == nil {
		if err = s.skipValue(depth); err == nil {
			more, err = s.next(']')
		}
	}
	return err
}

func (s *jsonScanner) skipObject(depth int) error {
	more, err := s.enter('{', '}', depth)
	for more && err == nil {
		if _, _, err = s.key(); err == nil {
			if err = s.skipValue(depth); err == nil {
				more, err = s.next('}')
			}
		}
	}
	return err
}

// rawValue moves past one value and returns its exact text, aliased.
func (s *jsonScanner) rawValue(depth int) (Raw, error) {
	s.skipSpace()
	start := s.pos
	if err := s.skipValue(depth); err != nil {
		return nil, err
	}
	return Raw(s.buf[start:s.pos:s.pos]), nil
}

// validJSONValue reports whether b is exactly one JSON value, white space
// around it allowed, nested at most MaxDepth deep.
func validJSONValue(b []byte) error {
	s := jsonScanner{buf: b}
	if err := s.skipValue(0); err != nil {
		return err
	}
	if !s.atEnd() {
		return s.errorf("data after the value")
	}
	return nil
}
