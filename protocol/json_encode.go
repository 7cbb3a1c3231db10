package protocol

import (
	"fmt"
	"strconv"
)

// jsonRecordSeparator ends every JSON message on the wire.
const jsonRecordSeparator = 0x1e

// appendJSONMessage writes m as ASP.NET does: "type" first, then only the
// properties that carry something. The JS client tears the connection down
// on "invocationId":null, so empty ids are left out rather than nulled.
func appendJSONMessage(b []byte, m Message) ([]byte, error) {
	var err error
	switch m := m.(type) {
	case *Invocation:
		b, err = appendJSONCall(b, InvocationType, m.Headers, m.InvocationID, m.Target, m.Arguments, m.StreamIDs)
	case *StreamInvocation:
		b, err = appendJSONCall(b, StreamInvocationType, m.Headers, m.InvocationID, m.Target, m.Arguments, m.StreamIDs)
	case *StreamItem:
		b = appendJSONAddress(b, StreamItemType, m.Headers, m.InvocationID)
		b = append(b, `,"item":`...)
		b, err = appendJSONValue(b, m.Item, jsonMessageDepth)
	case *Completion:
		b, err = appendJSONCompletion(b, m)
	case *CancelInvocation:
		b = appendJSONAddress(b, CancelInvocationType, m.Headers, m.InvocationID)
	case *Ping:
		b = appendJSONType(b, PingType)
	case *Close:
		b = appendJSONClose(b, m)
	case *Ack:
		b = appendJSONType(b, AckType)
		b = append(b, `,"sequenceId":`...)
		b = strconv.AppendInt(b, m.SequenceID, 10)
	case *Sequence:
		b = appendJSONType(b, SequenceType)
		b = append(b, `,"sequenceId":`...)
		b = strconv.AppendInt(b, m.SequenceID, 10)
	default:
		return b, fmt.Errorf("%w: json: message %T", ErrUnsupportedValue, m)
	}
	if err != nil {
		return b, err
	}
	return append(b, '}', jsonRecordSeparator), nil
}

func appendJSONType(b []byte, t MessageType) []byte {
	b = append(b, `{"type":`...)
	return strconv.AppendInt(b, int64(t), 10)
}

// appendJSONAddress opens a message of types 1 to 5: type, headers, id.
func appendJSONAddress(b []byte, t MessageType, h map[string]string, id string) []byte {
	b = appendJSONType(b, t)
	if len(h) > 0 {
		b = append(b, `,"headers":`...)
		b = appendJSONStringMap(b, h)
	}
	if id != "" {
		b = append(b, `,"invocationId":`...)
		b = appendJSONString(b, id)
	}
	return b
}

func appendJSONCall(b []byte, t MessageType, h map[string]string, id, target string, args []any, streams []string) ([]byte, error) {
	b = appendJSONAddress(b, t, h, id)
	b = append(b, `,"target":`...)
	b = appendJSONString(b, target)
	b = append(b, `,"arguments":[`...)
	for i, a := range args {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendJSONValue(b, a, jsonMemberDepth); err != nil {
			return b, err
		}
	}
	b = append(b, ']')
	if len(streams) > 0 {
		b = append(b, `,"streamIds":`...)
		b = appendJSONStrings(b, streams)
	}
	return b, nil
}

// appendJSONCompletion writes an error, else a result when there is one:
// the JS client reads "error":"" as success, so it is never written.
func appendJSONCompletion(b []byte, m *Completion) ([]byte, error) {
	b = appendJSONAddress(b, CompletionType, m.Headers, m.InvocationID)
	switch {
	case m.Error != "":
		b = append(b, `,"error":`...)
		b = appendJSONString(b, m.Error)
	case m.HasResult:
		b = append(b, `,"result":`...)
		return appendJSONValue(b, m.Result, jsonMessageDepth)
	}
	return b, nil
}

func appendJSONClose(b []byte, m *Close) []byte {
	b = appendJSONType(b, CloseType)
	if m.Error != "" {
		b = append(b, `,"error":`...)
		b = appendJSONString(b, m.Error)
	}
	if m.AllowReconnect {
		b = append(b, `,"allowReconnect":true`...)
	}
	return b
}
