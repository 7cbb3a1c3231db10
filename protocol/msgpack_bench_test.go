package protocol

import "testing"

// benchInvocation is a typical chat message with three arguments.
func benchInvocation() *Invocation {
	return &Invocation{InvocationID: "42", Target: "SendMessage", Arguments: []any{"alice", "hello world", 17}}
}

func BenchmarkMessagePackEncodeInvocation(b *testing.B) {
	var mp MessagePack
	m := benchInvocation()
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = mp.Append(buf[:0], m); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkMessagePackDecodeInvocation(b *testing.B) {
	var mp MessagePack
	frame, err := mp.Append(nil, benchInvocation())
	if err != nil {
		b.Fatal(err)
	}
	body, _, err := mp.NextFrame(frame, DefaultMaxMessageSize)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := mp.Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMessagePackDecodeBindInvocation adds binding the three
// arguments to Go values, as the hub layer does.
func BenchmarkMessagePackDecodeBindInvocation(b *testing.B) {
	var mp MessagePack
	frame, err := mp.Append(nil, benchInvocation())
	if err != nil {
		b.Fatal(err)
	}
	body, _, err := mp.NextFrame(frame, DefaultMaxMessageSize)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m, err := mp.Decode(body)
		if err != nil {
			b.Fatal(err)
		}
		args := m.(*Invocation).Arguments
		var user, text string
		var n int
		if mp.Unmarshal(args[0].(Raw), &user) != nil || mp.Unmarshal(args[1].(Raw), &text) != nil ||
			mp.Unmarshal(args[2].(Raw), &n) != nil {
			b.Fatal("bind failed")
		}
	}
}

// BenchmarkMessagePackEncodeStruct measures the reflection fallback.
func BenchmarkMessagePackEncodeStruct(b *testing.B) {
	type message struct {
		User string `json:"user"`
		Text string `json:"text"`
		N    int    `json:"n"`
	}
	var mp MessagePack
	m := &StreamItem{InvocationID: "1", Item: message{"alice", "hello world", 17}}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = mp.Append(buf[:0], m); err != nil {
			b.Fatal(err)
		}
	}
}
