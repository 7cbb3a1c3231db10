package protocol

import "math"

// jsonEnvelope collects the properties of one message object in whatever
// order they come; the JS client writes "type" last and "arguments" before
// "target". Every known property is type-checked whatever the message type,
// as ASP.NET does.
type jsonEnvelope struct {
	typ     int64
	hasType bool
	// Spans of jsonScratch.text.
	id             jsonTextSpan
	target         jsonTextSpan
	errMsg         jsonTextSpan
	hasArguments   bool
	streamIDs      []string
	item           Raw
	hasItem        bool
	result         Raw
	hasResult      bool
	headers        map[string]string
	allowReconnect bool
	sequenceID     int64
	hasSequenceID  bool
}

// The nesting levels inside a message: the object itself is level 1.
const (
	jsonMessageDepth = 1
	jsonMemberDepth  = 2
)

// jsonScratch holds what a message's decoding collects before it knows
// the sizes: the texts of "invocationId", "target" and "error", so that one
// allocation makes all three strings, and the arguments, so that their
// slice is allocated at its final size. It is kept apart from
// jsonEnvelope, whose values end up on the heap, so that its buffers can
// stay on the stack.
type jsonScratch struct {
	text []byte
	args []Raw
}

// jsonInlineText and jsonInlineArgs size the stack buffers of jsonScratch.
const (
	jsonInlineText = 128
	jsonInlineArgs = 8
)

// jsonTextSpan locates a string in jsonScratch.text; present is false
// when the property was absent or null.
type jsonTextSpan struct {
	start, end int
	present    bool
}

func (t jsonTextSpan) in(text string) string { return text[t.start:t.end] }

func decodeJSONMessage(body []byte) (Message, error) {
	s := jsonScanner{buf: body}
	var e jsonEnvelope
	var text [jsonInlineText]byte
	var args [jsonInlineArgs]Raw
	sc := jsonScratch{text: text[:0], args: args[:0]}
	more, err := s.enter('{', '}', jsonMessageDepth)
	for more && err == nil {
		if sc, err = s.member(&e, sc); err == nil {
			more, err = s.next('}')
		}
	}
	if err != nil {
		return nil, err
	}
	if !s.atEnd() {
		return nil, s.errorf("data after the message object")
	}
	return e.message(&s, sc)
}

// member reads one property of the message object into e and sc. sc goes
// by value both ways: stored through a pointer, its buffers would escape.
func (s *jsonScanner) member(e *jsonEnvelope, sc jsonScratch) (jsonScratch, error) {
	name, err := s.propertyName()
	if err != nil {
		return sc, err
	}
	switch string(name) {
	case "type":
		e.typ, err = s.integer("type", math.MinInt32, math.MaxInt32)
		e.hasType = err == nil
	case "invocationId":
		sc.text, e.id, err = s.text(sc.text, "invocationId")
	case "target":
		sc.text, e.target, err = s.text(sc.text, "target")
	case "error":
		sc.text, e.errMsg, err = s.text(sc.text, "error")
	case "arguments":
		sc.args, err = s.arguments(sc.args[:0])
		e.hasArguments = err == nil
	case "streamIds":
		e.streamIDs, err = s.streamIDs()
	case "item":
		e.item, err = s.rawValue(jsonMessageDepth)
		e.hasItem = err == nil
	case "result":
		e.result, err = s.rawValue(jsonMessageDepth)
		e.hasResult = err == nil
	case "headers":
		e.headers, err = s.headers()
	case "allowReconnect":
		e.allowReconnect, err = s.boolean("allowReconnect")
	case "sequenceId":
		e.sequenceID, err = s.integer("sequenceId", math.MinInt64, math.MaxInt64)
		e.hasSequenceID = err == nil
	default:
		err = s.skipValue(jsonMessageDepth)
	}
	return sc, err
}

// integer reads a number without fraction or exponent that fits [lo, hi].
func (s *jsonScanner) integer(name string, lo, hi int64) (int64, error) {
	if c := s.peek(); c != '-' && !jsonIsDigit(c) {
		return 0, s.errorf("expected '%s' to be a number", name)
	}
	start := s.pos
	integer, err := s.scanNumber()
	if err != nil {
		return 0, err
	}
	if !integer {
		return 0, s.errorf("expected '%s' to be an integer", name)
	}
	n, ok := parseJSONInt(s.buf[start:s.pos], lo, hi)
	if !ok {
		return 0, s.errorf("'%s' is out of range", name)
	}
	return n, nil
}

// optionalString reads a string or null; present is false for null.
func (s *jsonScanner) optionalString(name string) (v string, present bool, err error) {
	switch s.peek() {
	case '"':
		content, escaped, err := s.scanString()
		if err != nil {
			return "", false, err
		}
		v, err = s.decodeString(content, escaped)
		return v, err == nil, err
	case 'n':
		return "", false, s.scanLiteral("null")
	}
	return "", false, s.errorf("expected '%s' to be a string", name)
}

func (s *jsonScanner) boolean(name string) (bool, error) {
	switch s.peek() {
	case 't':
		return true, s.scanLiteral("true")
	case 'f':
		return false, s.scanLiteral("false")
	}
	return false, s.errorf("expected '%s' to be a boolean", name)
}

// text appends a string to buf, or reads null.
func (s *jsonScanner) text(buf []byte, name string) ([]byte, jsonTextSpan, error) {
	switch s.peek() {
	case '"':
		content, escaped, err := s.scanString()
		if err != nil {
			return buf, jsonTextSpan{}, err
		}
		start := len(buf)
		if escaped {
			buf = unescapeJSON(buf, content)
		} else {
			buf = append(buf, content...)
		}
		return buf, jsonTextSpan{start: start, end: len(buf), present: true}, nil
	case 'n':
		return buf, jsonTextSpan{}, s.scanLiteral("null")
	}
	return buf, jsonTextSpan{}, s.errorf("expected '%s' to be a string", name)
}

// arguments appends the elements of the arguments array to raws.
func (s *jsonScanner) arguments(raws []Raw) ([]Raw, error) {
	if s.peek() != '[' {
		return raws, s.errorf("expected 'arguments' to be an array")
	}
	more, err := s.enter('[', ']', jsonMemberDepth)
	for more && err == nil {
		var r Raw
		if r, err = s.rawValue(jsonMemberDepth); err == nil {
			raws = append(raws, r)
			more, err = s.next(']')
		}
	}
	return raws, err
}

func (s *jsonScanner) streamIDs() ([]string, error) {
	if s.peek() != '[' {
		return nil, s.errorf("expected 'streamIds' to be an array")
	}
	var ids []string
	more, err := s.enter('[', ']', jsonMemberDepth)
	for more && err == nil {
		if s.peek() != '"' {
			return nil, s.errorf("expected stream ids to be strings")
		}
		var id string
		if id, _, err = s.optionalString("streamIds"); err == nil {
			ids = append(ids, id)
			more, err = s.next(']')
		}
	}
	return ids, err
}

// headers reads a string-to-string object; an empty one gives nil.
func (s *jsonScanner) headers() (map[string]string, error) {
	if s.peek() != '{' {
		return nil, s.errorf("expected 'headers' to be an object")
	}
	var h map[string]string
	more, err := s.enter('{', '}', jsonMemberDepth)
	for more && err == nil {
		var name, value string
		if name, err = s.headerName(); err != nil {
			return nil, err
		}
		if s.peek() != '"' {
			return nil, s.errorf("expected header '%s' to be a string", name)
		}
		if value, _, err = s.optionalString(name); err != nil {
			return nil, err
		}
		if h == nil {
			h = make(map[string]string)
		}
		h[name] = value
		more, err = s.next('}')
	}
	return h, err
}

func (s *jsonScanner) headerName() (string, error) {
	content, escaped, err := s.key()
	if err != nil {
		return "", err
	}
	return s.decodeString(content, escaped)
}

// jsonMessageText holds the strings of a message, cut from one allocation.
type jsonMessageText struct {
	invocationID, target, errMsg string
	hasError                     bool // "error" was a string, even ""
}

// message checks the properties the message type needs and builds it,
// rejecting what ASP.NET rejects.
func (e *jsonEnvelope) message(s *jsonScanner, sc jsonScratch) (Message, error) {
	if !e.hasType {
		return nil, s.errorf("missing required property 'type'")
	}
	all := string(sc.text)
	t := jsonMessageText{invocationID: e.id.in(all), target: e.target.in(all),
		errMsg: e.errMsg.in(all), hasError: e.errMsg.present}
	switch MessageType(e.typ) {
	case InvocationType, StreamInvocationType:
		return e.call(s, t, sc.args)
	case StreamItemType:
		if err := t.requireID(s); err != nil {
			return nil, err
		}
		if !e.hasItem {
			return nil, s.errorf("missing required property 'item'")
		}
		return &StreamItem{Headers: e.headers, InvocationID: t.invocationID, Item: e.item}, nil
	case CompletionType:
		return e.completion(s, t)
	case CancelInvocationType:
		if err := t.requireID(s); err != nil {
			return nil, err
		}
		return &CancelInvocation{Headers: e.headers, InvocationID: t.invocationID}, nil
	case PingType:
		return &Ping{}, nil
	case CloseType:
		return &Close{Error: t.errMsg, AllowReconnect: e.allowReconnect}, nil
	case AckType, SequenceType:
		if !e.hasSequenceID {
			return nil, s.errorf("missing required property 'sequenceId'")
		}
		if MessageType(e.typ) == AckType {
			return &Ack{SequenceID: e.sequenceID}, nil
		}
		return &Sequence{SequenceID: e.sequenceID}, nil
	}
	// Newer peers may send types this version does not know: ignore them.
	return nil, nil
}

func (t *jsonMessageText) requireID(s *jsonScanner) error {
	if t.invocationID == "" {
		return s.errorf("missing required property 'invocationId'")
	}
	return nil
}

// jsonBlockArgs is how many arguments share the allocation of their
// Invocation.
const jsonBlockArgs = 4

// jsonInvocationBlock puts a small invocation and its argument slice in
// one allocation.
type jsonInvocationBlock struct {
	msg  Invocation
	args [jsonBlockArgs]any
}

func (e *jsonEnvelope) call(s *jsonScanner, t jsonMessageText, raws []Raw) (Message, error) {
	stream := e.typ == int64(StreamInvocationType)
	if stream {
		if err := t.requireID(s); err != nil {
			return nil, err
		}
	}
	if t.target == "" {
		return nil, s.errorf("missing required property 'target'")
	}
	if !e.hasArguments {
		return nil, s.errorf("missing required property 'arguments'")
	}
	if len(e.streamIDs) == 0 {
		e.streamIDs = nil
	}
	if stream {
		return &StreamInvocation{Headers: e.headers, InvocationID: t.invocationID, Target: t.target,
			Arguments: jsonBoxArgs(make([]any, len(raws)), raws), StreamIDs: e.streamIDs}, nil
	}
	var args []any
	b := &jsonInvocationBlock{}
	if n := len(raws); n <= jsonBlockArgs {
		args = b.args[:n:n]
	} else {
		args = make([]any, n)
	}
	b.msg = Invocation{Headers: e.headers, InvocationID: t.invocationID, Target: t.target,
		Arguments: jsonBoxArgs(args, raws), StreamIDs: e.streamIDs}
	return &b.msg, nil
}

// jsonBoxArgs stores raws in dst, which has as many elements.
func jsonBoxArgs(dst []any, raws []Raw) []any {
	for i, r := range raws {
		dst[i] = r
	}
	return dst
}

func (e *jsonEnvelope) completion(s *jsonScanner, t jsonMessageText) (Message, error) {
	if err := t.requireID(s); err != nil {
		return nil, err
	}
	if t.hasError && e.hasResult {
		return nil, s.errorf("The 'error' and 'result' properties are mutually exclusive.")
	}
	m := &Completion{Headers: e.headers, InvocationID: t.invocationID, Error: t.errMsg, HasResult: e.hasResult}
	if e.hasResult {
		m.Result = e.result
	}
	return m, nil
}
