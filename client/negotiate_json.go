package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// parseNegotiate decodes a negotiate response into resp as
// json.Unmarshal would (keys matched without regard to case, later keys
// winning, null leaving a value alone, malformed JSON and values of the
// wrong type refused), without reflection: the response is decoded once
// per connection, and encoding/json cost about twenty allocations.
func parseNegotiate(data []byte, resp *negotiateResponse) error {
	r := jsonReader{b: data}
	r.space()
	if r.null() {
		return r.end()
	}
	err := r.object(func(key []byte) error { return r.negotiateField(key, resp) })
	if err != nil {
		return err
	}
	return r.end()
}

// negotiateField decodes the value of one property of the response.
func (r *jsonReader) negotiateField(key []byte, resp *negotiateResponse) error {
	switch {
	case fold(key, "connectionId"):
		return r.stringInto(&resp.ConnectionID)
	case fold(key, "connectionToken"):
		return r.stringInto(&resp.ConnectionToken)
	case fold(key, "negotiateVersion"):
		return r.intInto(&resp.NegotiateVersion)
	case fold(key, "availableTransports"):
		return r.transports(&resp.AvailableTransports)
	case fold(key, "url"):
		return r.stringInto(&resp.URL)
	case fold(key, "accessToken"):
		return r.stringInto(&resp.AccessToken)
	case fold(key, "error"):
		return r.stringInto(&resp.Error)
	case fold(key, "ProtocolVersion"):
		r.space()
		start := r.i
		err := r.skip(1)
		resp.ProtocolVersion = json.RawMessage(r.b[start:r.i])
		return err
	case fold(key, "useStatefulReconnect"):
		return r.boolInto(&resp.UseStatefulReconnect)
	}
	return r.skip(1)
}

// transports decodes availableTransports. The transfer formats of every
// transport share one backing array.
func (r *jsonReader) transports(dst *[]availableTransport) error {
	if r.null() {
		*dst = nil
		return nil
	}
	list := make([]availableTransport, 0, 3)
	formats := make([]string, 0, 6)
	err := r.array(func() error {
		var t availableTransport
		start := len(formats)
		if !r.null() {
			err := r.object(func(key []byte) error {
				switch {
				case fold(key, "transport"):
					return r.stringInto(&t.Transport)
				case fold(key, "transferFormats"):
					var err error
					start = len(formats)
					formats, err = r.strings(formats)
					return err
				}
				return r.skip(2)
			})
			if err != nil {
				return err
			}
		}
		if len(formats) > start {
			t.TransferFormats = formats[start:len(formats):len(formats)]
		}
		list = append(list, t)
		return nil
	})
	*dst = list
	return err
}

// strings appends the elements of an array of strings (or null) to dst.
func (r *jsonReader) strings(dst []string) ([]string, error) {
	if r.null() {
		return dst, nil
	}
	err := r.array(func() error {
		var s string
		err := r.stringInto(&s)
		dst = append(dst, s)
		return err
	})
	return dst, err
}

// maxJSONDepth is encoding/json's nesting limit.
const maxJSONDepth = 10000

// jsonReader reads JSON from b, at i.
type jsonReader struct {
	b []byte
	i int
}

var errJSONEnd = errors.New("unexpected end of JSON input")

func (r *jsonReader) syntaxError(what string) error {
	if r.i >= len(r.b) {
		return errJSONEnd
	}
	return fmt.Errorf("invalid character %q %s at offset %d", r.b[r.i], what, r.i)
}

func (r *jsonReader) space() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\r', '\n':
			r.i++
		default:
			return
		}
	}
}

// end checks that nothing but space follows the value.
func (r *jsonReader) end() error {
	r.space()
	if r.i < len(r.b) {
		return r.syntaxError("after top-level value")
	}
	return nil
}

// next skips space and reports whether the next byte is c, consuming it
// if so.
func (r *jsonReader) next(c byte) bool {
	r.space()
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// null consumes a null literal if one comes next.
func (r *jsonReader) null() bool {
	r.space()
	return r.literal("null")
}

// object reads an object, calling field with each key (unescaped),
// positioned at the value, which field must consume.
func (r *jsonReader) object(field func(key []byte) error) error {
	if !r.next('{') {
		return r.typeError("object")
	}
	if r.next('}') {
		return nil
	}
	for {
		r.space()
		key, escaped, err := r.scanString()
		if err != nil {
			return err
		}
		if escaped {
			key = []byte(unquoteJSON(key))
		}
		if !r.next(':') {
			return r.syntaxError("after object key")
		}
		if err := field(key); err != nil {
			return err
		}
		if r.next('}') {
			return nil
		}
		if !r.next(',') {
			return r.syntaxError("after object key:value pair")
		}
	}
}

// array reads an array, calling elem positioned at each element.
func (r *jsonReader) array(elem func() error) error {
	if !r.next('[') {
		return r.typeError("array")
	}
	if r.next(']') {
		return nil
	}
	for {
		r.space()
		if err := elem(); err != nil {
			return err
		}
		if r.next(']') {
			return nil
		}
		if !r.next(',') {
			return r.syntaxError("after array element")
		}
	}
}

// typeError reports a value that is valid JSON but not of the type
// wanted, or invalid JSON.
func (r *jsonReader) typeError(want string) error {
	start := r.i
	if err := r.skip(1); err != nil {
		return err
	}
	return fmt.Errorf("cannot unmarshal %s into a value of type %s", r.b[start:r.i], want)
}

func (r *jsonReader) stringInto(dst *string) error {
	if r.null() {
		return nil
	}
	if r.i >= len(r.b) || r.b[r.i] != '"' {
		return r.typeError("string")
	}
	s, err := r.str()
	if err == nil {
		*dst = s
	}
	return err
}

func (r *jsonReader) intInto(dst *int) error {
	if r.null() {
		return nil
	}
	start := r.i
	if err := r.number(); err != nil {
		if r.i == start {
			return r.typeError("int")
		}
		return err
	}
	n, err := strconv.ParseInt(string(r.b[start:r.i]), 10, 0)
	if err != nil {
		return fmt.Errorf("cannot unmarshal number %s into a value of type int", r.b[start:r.i])
	}
	*dst = int(n)
	return nil
}

func (r *jsonReader) boolInto(dst *bool) error {
	switch {
	case r.null():
	case r.literal("true"):
		*dst = true
	case r.literal("false"):
		*dst = false
	default:
		return r.typeError("bool")
	}
	return nil
}

func (r *jsonReader) literal(lit string) bool {
	if len(r.b)-r.i >= len(lit) && string(r.b[r.i:r.i+len(lit)]) == lit {
		r.i += len(lit)
		return true
	}
	return false
}

// skip reads any value; depth counts the arrays and objects around it.
func (r *jsonReader) skip(depth int) error {
	r.space()
	if r.i >= len(r.b) {
		return errJSONEnd
	}
	switch c := r.b[r.i]; {
	case c == '{' || c == '[':
		if depth > maxJSONDepth {
			return errors.New("exceeded max depth")
		}
		if c == '{' {
			return r.object(func([]byte) error { return r.skip(depth + 1) })
		}
		return r.array(func() error { return r.skip(depth + 1) })
	case c == '"':
		_, _, err := r.scanString()
		return err
	case c == '-' || ('0' <= c && c <= '9'):
		return r.number()
	case r.literal("true"), r.literal("false"), r.literal("null"):
		return nil
	}
	return r.syntaxError("looking for beginning of value")
}

// number reads a number as JSON defines it.
func (r *jsonReader) number() error {
	if r.i < len(r.b) && r.b[r.i] == '-' {
		r.i++
	}
	switch {
	case r.i < len(r.b) && r.b[r.i] == '0':
		r.i++
	case r.digits() == 0:
		return r.syntaxError("in numeric literal")
	}
	if r.i < len(r.b) && r.b[r.i] == '.' {
		r.i++
		if r.digits() == 0 {
			return r.syntaxError("after decimal point in numeric literal")
		}
	}
	if r.i < len(r.b) && (r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		r.i++
		if r.i < len(r.b) && (r.b[r.i] == '+' || r.b[r.i] == '-') {
			r.i++
		}
		if r.digits() == 0 {
			return r.syntaxError("in exponent of numeric literal")
		}
	}
	return nil
}

func (r *jsonReader) digits() int {
	start := r.i
	for r.i < len(r.b) && '0' <= r.b[r.i] && r.b[r.i] <= '9' {
		r.i++
	}
	return r.i - start
}

// str reads a string and returns its value. The usual names and formats
// are not allocated again.
func (r *jsonReader) str() (string, error) {
	raw, escaped, err := r.scanString()
	switch {
	case err != nil:
		return "", err
	case escaped || !utf8.Valid(raw):
		return unquoteJSON(raw), nil
	}
	for _, known := range [...]string{"Text", "Binary", "WebSockets", "ServerSentEvents", "LongPolling"} {
		if string(raw) == known {
			return known, nil
		}
	}
	return string(raw), nil
}

// scanString reads a string and returns its content between the quotes,
// still escaped.
func (r *jsonReader) scanString() (raw []byte, escaped bool, err error) {
	if r.i >= len(r.b) || r.b[r.i] != '"' {
		return nil, false, r.syntaxError("looking for beginning of object key string")
	}
	r.i++
	start := r.i
	for r.i < len(r.b) {
		switch c := r.b[r.i]; {
		case c == '"':
			r.i++
			return r.b[start : r.i-1], escaped, nil
		case c == '\\':
			escaped = true
			if err := r.escape(); err != nil {
				return nil, false, err
			}
		case c < 0x20:
			return nil, false, r.syntaxError("in string literal")
		default:
			r.i++
		}
	}
	return nil, false, errJSONEnd
}

// escape checks the escape sequence at r.i and moves past it.
func (r *jsonReader) escape() error {
	r.i++
	if r.i >= len(r.b) {
		return errJSONEnd
	}
	switch r.b[r.i] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		r.i++
		return nil
	case 'u':
		for range 4 {
			r.i++
			if r.i >= len(r.b) {
				return errJSONEnd
			}
			if _, ok := hexDigit(r.b[r.i]); !ok {
				return r.syntaxError("in \\u hexadecimal character escape")
			}
		}
		r.i++
		return nil
	}
	return r.syntaxError("in string escape code")
}

func hexDigit(c byte) (rune, bool) {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0'), true
	case 'a' <= c && c <= 'f':
		return rune(c-'a') + 10, true
	case 'A' <= c && c <= 'F':
		return rune(c-'A') + 10, true
	}
	return 0, false
}

// unquoteJSON decodes the content of a valid string literal as
// encoding/json does: invalid UTF-8 and lone surrogates become U+FFFD.
func unquoteJSON(raw []byte) string {
	var sb strings.Builder
	sb.Grow(len(raw))
	for len(raw) > 0 {
		c := raw[0]
		switch {
		case c == '\\':
			raw = unescapeOne(&sb, raw)
		case c < utf8.RuneSelf:
			sb.WriteByte(c)
			raw = raw[1:]
		default:
			rr, size := utf8.DecodeRune(raw)
			sb.WriteRune(rr) // RuneError for a bad byte, as encoding/json
			raw = raw[size:]
		}
	}
	return sb.String()
}

// unescapeOne writes the escape sequence at the start of raw and returns
// what follows it.
func unescapeOne(sb *strings.Builder, raw []byte) []byte {
	switch c := raw[1]; c {
	case 'b':
		sb.WriteByte('\b')
	case 'f':
		sb.WriteByte('\f')
	case 'n':
		sb.WriteByte('\n')
	case 'r':
		sb.WriteByte('\r')
	case 't':
		sb.WriteByte('\t')
	case 'u':
		rr := hex4(raw[2:6])
		raw = raw[6:]
		if utf16.IsSurrogate(rr) {
			if len(raw) >= 6 && raw[0] == '\\' && raw[1] == 'u' {
				if dec := utf16.DecodeRune(rr, hex4(raw[2:6])); dec != utf8.RuneError {
					sb.WriteRune(dec)
					return raw[6:]
				}
			}
			rr = utf8.RuneError
		}
		sb.WriteRune(rr)
		return raw
	default: // '"', '\\', '/'
		sb.WriteByte(c)
	}
	return raw[2:]
}

// hex4 decodes four hex digits, already checked.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		d, _ := hexDigit(c)
		r = r<<4 | d
	}
	return r
}
