// Package protocol encodes and decodes the messages of the SignalR hub
// protocol in its two wire formats, JSON and MessagePack, plus the JSON
// handshake that precedes them.
//
// The package is pure: it does no I/O and starts no goroutines. It frames
// messages (record separator for JSON, varint length prefix for MessagePack),
// enforces size and nesting limits before allocating, and keeps invocation
// arguments, stream items and results undecoded ([Raw]) so that the hub layer
// can bind each one to a typed Go value later with [HubProtocol.Unmarshal].
package protocol

// MessageType is the numeric "type" of a hub message.
type MessageType int

// The hub message types, with the numbers the wire uses.
const (
	InvocationType       MessageType = 1
	StreamItemType       MessageType = 2
	CompletionType       MessageType = 3
	StreamInvocationType MessageType = 4
	CancelInvocationType MessageType = 5
	PingType             MessageType = 6
	CloseType            MessageType = 7
	AckType              MessageType = 8
	SequenceType         MessageType = 9
)

// Message is one hub protocol message: one of the pointer types
// *Invocation, *StreamItem, *Completion, *StreamInvocation,
// *CancelInvocation, *Ping, *Close, *Ack or *Sequence.
type Message interface {
	// Type reports the message's wire type.
	Type() MessageType
}

// Raw is a value kept in the encoding of the protocol that produced it:
// JSON text for the JSON protocol, one MessagePack object for MessagePack.
// Decoders put Raw values in arguments, stream items and results. Encoders
// copy a Raw value verbatim, so a Raw must only be written with the protocol
// it came from.
type Raw []byte

// Invocation asks the other side to run Target with Arguments. An empty
// InvocationID makes it fire-and-forget: no Completion is expected.
type Invocation struct {
	Headers      map[string]string
	InvocationID string
	Target       string
	// Arguments are Go values to encode, or Raw values after decoding.
	Arguments []any
	// StreamIDs name the client-to-server streams that feed this call.
	StreamIDs []string
}

// StreamInvocation starts a server-to-client stream of Target's results.
type StreamInvocation struct {
	Headers      map[string]string
	InvocationID string
	Target       string
	Arguments    []any
	StreamIDs    []string
}

// StreamItem carries one item of a stream, in either direction.
type StreamItem struct {
	Headers      map[string]string
	InvocationID string
	// Item is a Go value to encode, or a Raw value after decoding; nil
	// encodes as null.
	Item any
}

// Completion ends an invocation or a stream. Exactly one of these holds:
// Error is non-empty (failure), HasResult is true (success with Result, which
// may be nil), or neither (success without a result, as at a stream's end).
type Completion struct {
	Headers      map[string]string
	InvocationID string
	Error        string
	Result       any
	HasResult    bool
}

// CancelInvocation asks the server to stop a stream it is producing.
type CancelInvocation struct {
	Headers      map[string]string
	InvocationID string
}

// Ping keeps an idle connection alive.
type Ping struct{}

// Close ends the connection. A non-empty Error is shown to the client;
// AllowReconnect tells clients with automatic reconnect to try again.
type Close struct {
	Error          string
	AllowReconnect bool
}

// Ack acknowledges every sequenced message up to and including SequenceID
// (stateful reconnect).
type Ack struct {
	SequenceID int64
}

// Sequence announces the sequence id of the next message the sender will
// (re)send after a stateful reconnect.
type Sequence struct {
	SequenceID int64
}

// Type implements [Message].
func (*Invocation) Type() MessageType { return InvocationType }

// Type implements [Message].
func (*StreamInvocation) Type() MessageType { return StreamInvocationType }

// Type implements [Message].
func (*StreamItem) Type() MessageType { return StreamItemType }

// Type implements [Message].
func (*Completion) Type() MessageType { return CompletionType }

// Type implements [Message].
func (*CancelInvocation) Type() MessageType { return CancelInvocationType }

// Type implements [Message].
func (*Ping) Type() MessageType { return PingType }

// Type implements [Message].
func (*Close) Type() MessageType { return CloseType }

// Type implements [Message].
func (*Ack) Type() MessageType { return AckType }

// Type implements [Message].
func (*Sequence) Type() MessageType { return SequenceType }

// IsSequenced reports whether messages of type t count toward stateful
// reconnect sequence ids (types 1 to 5); Ping, Close, Ack and Sequence never do.
func IsSequenced(t MessageType) bool {
	return t >= InvocationType && t <= CancelInvocationType
}
