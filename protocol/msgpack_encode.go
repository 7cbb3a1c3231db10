package protocol

import "fmt"

// appendMsgpackMessage writes the body of m, unframed, in the layout
// ASP.NET writes: headers always present (0x80 when empty), nil for an
// empty invocation id, six-element invocations, three-element Close.
func appendMsgpackMessage(b []byte, m Message) ([]byte, error) {
	switch m := m.(type) {
	case *Invocation:
		return appendMsgpackCall(b, InvocationType, m.Headers, m.InvocationID, m.Target, m.Arguments, m.StreamIDs)
	case *StreamInvocation:
		return appendMsgpackCall(b, StreamInvocationType, m.Headers, m.InvocationID, m.Target, m.Arguments, m.StreamIDs)
	case *StreamItem:
		b, err := appendMsgpackAddress(append(b, 0x94, byte(StreamItemType)), m.Headers, m.InvocationID)
		if err != nil {
			return b, err
		}
		return appendMsgpackValue(b, m.Item, msgpackItemDepth)
	case *Completion:
		return appendMsgpackCompletion(b, m)
	case *CancelInvocation:
		return appendMsgpackAddress(append(b, 0x93, byte(CancelInvocationType)), m.Headers, m.InvocationID)
	case *Ping:
		return append(b, 0x91, byte(PingType)), nil
	case *Close:
		b, err := appendMsgpackOptionalString(append(b, 0x93, byte(CloseType)), m.Error)
		return appendMsgpackBool(b, m.AllowReconnect), err
	case *Ack:
		return appendMsgpackInt(append(b, 0x92, byte(AckType)), m.SequenceID), nil
	case *Sequence:
		return appendMsgpackInt(append(b, 0x92, byte(SequenceType)), m.SequenceID), nil
	}
	return b, fmt.Errorf("%w: messagepack: cannot encode message %T", ErrUnsupportedValue, m)
}

// appendMsgpackCall writes [type, headers, id|nil, target, [args], [streamIds]].
func appendMsgpackCall(b []byte, t MessageType, h map[string]string, id, target string, args []any, streams []string) ([]byte, error) {
	b, err := appendMsgpackAddress(append(b, 0x96, byte(t)), h, id)
	if err != nil {
		return b, err
	}
	if b, err = appendMsgpackString(b, target); err != nil {
		return b, err
	}
	if b, err = appendMsgpackArrayLen(b, len(args)); err != nil {
		return b, err
	}
	for _, a := range args {
		if b, err = appendMsgpackValue(b, a, msgpackArgumentDepth); err != nil {
			return b, err
		}
	}
	return appendMsgpackStrings(b, streams)
}

// appendMsgpackAddress writes the headers map and the invocation id.
func appendMsgpackAddress(b []byte, h map[string]string, id string) ([]byte, error) {
	b, err := appendMsgpackStringMap(b, h)
	if err != nil {
		return b, err
	}
	return appendMsgpackOptionalString(b, id)
}

// appendMsgpackCompletion writes [3, headers, id, kind, error|result?]:
// kind 1 with the error, else kind 3 with the result when there is one,
// else kind 2.
func appendMsgpackCompletion(b []byte, m *Completion) ([]byte, error) {
	n, kind := byte(0x95), byte(msgpackNonVoidResult)
	switch {
	case m.Error != "":
		kind = msgpackErrorResult
	case !m.HasResult:
		n, kind = 0x94, msgpackVoidResult
	}
	b, err := appendMsgpackAddress(append(b, n, byte(CompletionType)), m.Headers, m.InvocationID)
	if err != nil {
		return b, err
	}
	b = append(b, kind)
	switch kind {
	case msgpackErrorResult:
		return appendMsgpackString(b, m.Error)
	case msgpackNonVoidResult:
		return appendMsgpackValue(b, m.Result, msgpackItemDepth)
	}
	return b, nil
}
