package protocol

import "math"

// Completion result kinds of the MessagePack layout.
const (
	msgpackErrorResult   = 1
	msgpackVoidResult    = 2
	msgpackNonVoidResult = 3
)

// The nesting level of values inside a message: stream items and results
// sit in the message array (level 1), arguments one level deeper.
const (
	msgpackItemDepth     = 1
	msgpackArgumentDepth = 2
)

// readMessage reads one message array. Unknown message types give
// (nil, nil); the rest of their array is not examined.
func (r *msgpackReader) readMessage() (Message, error) {
	n, err := r.readArrayLen()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, r.errorf("empty message array")
	}
	t, err := r.readInt64(math.MinInt32, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	switch MessageType(t) {
	case InvocationType:
		return r.readInvocation(n)
	case StreamInvocationType:
		return r.readStreamInvocation(n)
	case StreamItemType:
		return r.readStreamItem(n)
	case CompletionType:
		return r.readCompletion(n)
	case CancelInvocationType:
		return r.readCancelInvocation(n)
	case PingType:
		return &Ping{}, nil
	case CloseType:
		return r.readClose(n)
	case AckType, SequenceType:
		return r.readSequenced(n, MessageType(t))
	}
	return nil, nil
}

// need checks that a message array of n elements has at least want.
func (r *msgpackReader) need(n, want int, what string) error {
	if n < want {
		return r.errorf("%s needs at least %d elements, got %d", what, want, n)
	}
	return nil
}

func (r *msgpackReader) readInvocation(n int) (Message, error) {
	m := &Invocation{}
	if err := r.readCall(n, m, "Invocation"); err != nil {
		return nil, err
	}
	return m, nil
}

func (r *msgpackReader) readStreamInvocation(n int) (Message, error) {
	var c Invocation
	if err := r.readCall(n, &c, "StreamInvocation"); err != nil {
		return nil, err
	}
	if c.InvocationID == "" {
		return nil, r.errorf("StreamInvocation without invocation id")
	}
	m := StreamInvocation(c)
	return &m, nil
}

// readCall reads the fields Invocation and StreamInvocation share:
// [type, headers, id, target, [args], [streamIds]?].
func (r *msgpackReader) readCall(n int, m *Invocation, what string) error {
	var err error
	if err = r.need(n, 5, what); err != nil {
		return err
	}
	if m.Headers, err = r.readHeaders(); err != nil {
		return err
	}
	if m.InvocationID, err = r.readOptionalString(); err != nil {
		return err
	}
	if m.Target, err = r.readString(); err != nil {
		return err
	}
	if m.Target == "" {
		return r.errorf("%s with empty target", what)
	}
	if m.Arguments, err = r.readArguments(); err != nil {
		return err
	}
	// Older clients, the JavaScript one included, leave out the stream ids.
	if n > 5 {
		m.StreamIDs, err = r.readStreamIDs()
	}
	return err
}

// readHeaders reads the headers map; an empty map gives nil. Keys and
// values must be non-empty strings, as ASP.NET requires.
func (r *msgpackReader) readHeaders() (map[string]string, error) {
	n, err := r.readMapLen()
	if err != nil || n == 0 {
		return nil, err
	}
	h := make(map[string]string, n)
	for range n {
		k, err := r.readString()
		if err != nil {
			return nil, err
		}
		v, err := r.readString()
		if err != nil {
			return nil, err
		}
		if k == "" || v == "" {
			return nil, r.errorf("empty header key or value")
		}
		if _, dup := h[k]; dup {
			return nil, r.errorf("duplicate header %q", k)
		}
		h[k] = v
	}
	return h, nil
}

// readArguments reads the arguments array, keeping each one as Raw.
func (r *msgpackReader) readArguments() ([]any, error) {
	n, err := r.readArrayLen()
	if err != nil {
		return nil, err
	}
	args := make([]any, n)
	for i := range args {
		raw, err := r.skip(msgpackArgumentDepth)
		if err != nil {
			return nil, err
		}
		args[i] = Raw(raw)
	}
	return args, nil
}

// readStreamIDs reads the stream ids array; an empty one gives nil.
func (r *msgpackReader) readStreamIDs() ([]string, error) {
	n, err := r.readArrayLen()
	if err != nil || n == 0 {
		return nil, err
	}
	ids := make([]string, n)
	for i := range ids {
		if ids[i], err = r.readString(); err != nil {
			return nil, err
		}
		if ids[i] == "" {
			return nil, r.errorf("empty stream id")
		}
	}
	return ids, nil
}

// readAddress reads the headers and the invocation id that every message
// addressed to an invocation starts with; the id must not be empty.
func (r *msgpackReader) readAddress(what string) (map[string]string, string, error) {
	h, err := r.readHeaders()
	if err != nil {
		return nil, "", err
	}
	id, err := r.readOptionalString()
	if err != nil {
		return nil, "", err
	}
	if id == "" {
		return nil, "", r.errorf("%s without invocation id", what)
	}
	return h, id, nil
}

func (r *msgpackReader) readStreamItem(n int) (Message, error) {
	if err := r.need(n, 4, "StreamItem"); err != nil {
		return nil, err
	}
	h, id, err := r.readAddress("StreamItem")
	if err != nil {
		return nil, err
	}
	item, err := r.skip(msgpackItemDepth)
	if err != nil {
		return nil, err
	}
	return &StreamItem{Headers: h, InvocationID: id, Item: Raw(item)}, nil
}

// readCompletion reads [3, headers, id, kind, error|result?]. A kind 1
// error of nil or "" reads as a completion without error or result.
func (r *msgpackReader) readCompletion(n int) (Message, error) {
	if err := r.need(n, 4, "Completion"); err != nil {
		return nil, err
	}
	h, id, err := r.readAddress("Completion")
	if err != nil {
		return nil, err
	}
	m := &Completion{Headers: h, InvocationID: id}
	kind, err := r.readInt64(math.MinInt32, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	switch kind {
	case msgpackVoidResult:
		return m, nil
	case msgpackErrorResult:
		if err := r.need(n, 5, "error Completion"); err != nil {
			return nil, err
		}
		m.Error, err = r.readOptionalString()
	case msgpackNonVoidResult:
		if err := r.need(n, 5, "result Completion"); err != nil {
			return nil, err
		}
		var res []byte
		res, err = r.skip(msgpackItemDepth)
		m.Result, m.HasResult = Raw(res), true
	default:
		return nil, r.errorf("Invalid invocation result kind.")
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (r *msgpackReader) readCancelInvocation(n int) (Message, error) {
	if err := r.need(n, 3, "CancelInvocation"); err != nil {
		return nil, err
	}
	h, id, err := r.readAddress("CancelInvocation")
	if err != nil {
		return nil, err
	}
	return &CancelInvocation{Headers: h, InvocationID: id}, nil
}

// readClose reads [7, error|nil, allowReconnect?].
func (r *msgpackReader) readClose(n int) (Message, error) {
	if err := r.need(n, 2, "Close"); err != nil {
		return nil, err
	}
	m := &Close{}
	var err error
	if m.Error, err = r.readOptionalString(); err != nil {
		return nil, err
	}
	if n > 2 {
		if m.AllowReconnect, err = r.readBool(); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// readSequenced reads [8, sequenceId] (Ack) or [9, sequenceId] (Sequence).
func (r *msgpackReader) readSequenced(n int, t MessageType) (Message, error) {
	if err := r.need(n, 2, "Ack or Sequence"); err != nil {
		return nil, err
	}
	id, err := r.readInt64(math.MinInt64, math.MaxInt64)
	if err != nil {
		return nil, err
	}
	if t == AckType {
		return &Ack{SequenceID: id}, nil
	}
	return &Sequence{SequenceID: id}, nil
}
