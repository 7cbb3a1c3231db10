package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Unmarshal implements [HubProtocol] with encoding/json semantics: the
// result is always what json.Unmarshal(raw, v) gives, including its errors
// (wrapped in ErrInvalidMessage). Numbers decoded into *any are float64.
//
// Common targets skip reflection when raw is in the plain form for them:
// *string, *bool, *int, *int64, *float64, *any holding a scalar, and
// *json.RawMessage (copied, without surrounding white space). *Raw is not a []byte to be base64-decoded but
// the JSON text itself: it receives raw, aliased, after a validity check.
func (JSON) Unmarshal(raw Raw, v any) error {
	if done, err := unmarshalJSONFast(raw, v); done {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		// encoding/json's errors already start with "json: ".
		return fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	return nil
}

// unmarshalJSONFast decodes into the common targets and reports whether it
// did; anything unusual is left to encoding/json so that its results and
// errors stay authoritative.
func unmarshalJSONFast(raw Raw, v any) (done bool, err error) {
	switch p := v.(type) {
	case *Raw:
		if err := validJSONValue(raw); err != nil {
			return true, err
		}
		*p = raw
		return true, nil
	case *json.RawMessage:
		// encoding/json is laxer (it lets invalid UTF-8 through), so it
		// has the last word on what this check refuses.
		if validJSONValue(raw) != nil {
			return false, nil
		}
		*p = append((*p)[:0], bytes.Trim(raw, " \t\r\n")...)
		return true, nil
	case *string:
		s, ok := jsonFastString(raw)
		if ok {
			*p = s
		}
		return ok, nil
	case *bool:
		b, ok := jsonFastBool(raw)
		if ok {
			*p = b
		}
		return ok, nil
	case *int:
		n, ok := jsonFastInt(raw, math.MinInt, math.MaxInt)
		if ok {
			*p = int(n)
		}
		return ok, nil
	case *int64:
		n, ok := jsonFastInt(raw, math.MinInt64, math.MaxInt64)
		if ok {
			*p = n
		}
		return ok, nil
	case *float64:
		f, ok := jsonFastFloat(raw)
		if ok {
			*p = f
		}
		return ok, nil
	case *any:
		return jsonFastAny(raw, p), nil
	}
	return false, nil
}

// jsonFastAny stores a scalar into *p as encoding/json would: string,
// bool, float64, or nil for null.
func jsonFastAny(raw Raw, p *any) bool {
	if len(raw) == 0 {
		return false
	}
	switch c := raw[0]; {
	case c == '"':
		s, ok := jsonFastString(raw)
		if ok {
			*p = s
		}
		return ok
	case c == 't' || c == 'f':
		b, ok := jsonFastBool(raw)
		if ok {
			*p = b
		}
		return ok
	case c == 'n':
		if string(raw) == "null" {
			*p = nil
			return true
		}
	case c == '-' || jsonIsDigit(c):
		f, ok := jsonFastFloat(raw)
		if ok {
			*p = f
		}
		return ok
	}
	return false
}

// jsonFastString decodes raw when it is exactly one valid string.
func jsonFastString(raw Raw) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	s := jsonScanner{buf: raw}
	content, escaped, err := s.scanString()
	if err != nil || s.pos != len(raw) {
		return "", false
	}
	if !escaped {
		return string(content), true
	}
	return string(unescapeJSON(make([]byte, 0, len(content)), content)), true
}

func jsonFastBool(raw Raw) (bool, bool) {
	switch string(raw) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// jsonNumber reports whether raw is exactly one number, and whether it is
// an integer.
func jsonNumber(raw Raw) (isNumber, integer bool) {
	if len(raw) == 0 {
		return false, false
	}
	s := jsonScanner{buf: raw}
	integer, err := s.scanNumber()
	return err == nil && s.pos == len(raw), integer
}

func jsonFastInt(raw Raw, lo, hi int64) (int64, bool) {
	if isNumber, integer := jsonNumber(raw); !isNumber || !integer {
		return 0, false
	}
	return parseJSONInt(raw, lo, hi)
}

// jsonExactFloatDigits is how many decimal digits any integer can have and
// still convert to float64 exactly.
const jsonExactFloatDigits = 15

func jsonFastFloat(raw Raw) (float64, bool) {
	isNumber, integer := jsonNumber(raw)
	if !isNumber {
		return 0, false
	}
	if integer && len(raw) <= jsonExactFloatDigits {
		// "-0" is left to ParseFloat, which keeps its sign.
		if n, _ := parseJSONInt(raw, math.MinInt64, math.MaxInt64); n != 0 || raw[0] != '-' {
			return float64(n), true
		}
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	return f, err == nil
}
