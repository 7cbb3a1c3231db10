package protocol

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// unhex turns "09 95 01" into bytes.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// decodeFramed runs NextFrame and Decode on one whole frame.
func decodeFramed(t *testing.T, frame []byte) (Message, error) {
	t.Helper()
	var mp MessagePack
	body, n, err := mp.NextFrame(frame, DefaultMaxMessageSize)
	if err != nil {
		return nil, err
	}
	if n != len(frame) {
		t.Fatalf("NextFrame took %d of %d bytes", n, len(frame))
	}
	return mp.Decode(body)
}

// TestMessagePackDecodeJSClient decodes the bytes the JavaScript client
// writes (protocol.md §3.4).
func TestMessagePackDecodeJSClient(t *testing.T) {
	raw := func(s string) Raw { return Raw(unhex(t, s)) }
	tests := []struct {
		name  string
		frame string
		want  Message
	}{
		{"invoke", "09 95 01 80 a1 30 a1 6d 91 2a",
			&Invocation{InvocationID: "0", Target: "m", Arguments: []any{raw("2a")}}},
		{"send", "08 95 01 80 c0 a1 6d 91 2a",
			&Invocation{Target: "m", Arguments: []any{raw("2a")}}},
		{"invoke with upload stream", "0b 96 01 80 a1 30 a1 6d 90 91 a1 31",
			&Invocation{InvocationID: "0", Target: "m", Arguments: []any{}, StreamIDs: []string{"1"}}},
		{"stream", "08 95 04 80 a1 33 a1 73 90",
			&StreamInvocation{InvocationID: "3", Target: "s", Arguments: []any{}}},
		{"stream item", "06 94 02 80 a1 33 07",
			&StreamItem{InvocationID: "3", Item: raw("07")}},
		{"completion void", "06 94 03 80 a1 31 02",
			&Completion{InvocationID: "1"}},
		{"completion result nil", "07 95 03 80 a1 31 03 c0",
			&Completion{InvocationID: "1", Result: raw("c0"), HasResult: true}},
		{"completion error", "08 95 03 80 a1 31 01 a1 65",
			&Completion{InvocationID: "1", Error: "e"}},
		{"cancel", "05 93 05 80 a1 33", &CancelInvocation{InvocationID: "3"}},
		{"ping", "02 91 06", &Ping{}},
		{"close", "03 92 07 c0", &Close{}},
		{"ack", "03 92 08 05", &Ack{SequenceID: 5}},
		{"sequence", "03 92 09 05", &Sequence{SequenceID: 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeFramed(t, unhex(t, tt.frame))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

// TestMessagePackAppendServerLayouts checks the bytes against the layouts
// ASP.NET writes (protocol.md §3.4, server writer table).
func TestMessagePackAppendServerLayouts(t *testing.T) {
	tests := []struct {
		name string
		msg  Message
		want string
	}{
		{"invocation fire and forget", &Invocation{Target: "m", Arguments: []any{42}},
			"09 96 01 80 c0 a1 6d 91 2a 90"},
		{"invocation with id, header and streams",
			&Invocation{Headers: map[string]string{"a": "b"}, InvocationID: "s1", Target: "m", StreamIDs: []string{"1"}},
			"10 96 01 81 a1 61 a1 62 a2 73 31 a1 6d 90 91 a1 31"},
		{"stream invocation", &StreamInvocation{InvocationID: "3", Target: "s"},
			"09 96 04 80 a1 33 a1 73 90 90"},
		{"stream item", &StreamItem{InvocationID: "3", Item: "x"}, "07 94 02 80 a1 33 a1 78"},
		{"stream item nil", &StreamItem{InvocationID: "3"}, "06 94 02 80 a1 33 c0"},
		{"completion error", &Completion{InvocationID: "1", Error: "e", HasResult: true, Result: 1},
			"08 95 03 80 a1 31 01 a1 65"},
		{"completion void", &Completion{InvocationID: "1"}, "06 94 03 80 a1 31 02"},
		{"completion result nil", &Completion{InvocationID: "1", HasResult: true},
			"07 95 03 80 a1 31 03 c0"},
		{"completion result", &Completion{InvocationID: "1", HasResult: true, Result: int64(-1)},
			"07 95 03 80 a1 31 03 ff"},
		{"cancel", &CancelInvocation{InvocationID: "3"}, "05 93 05 80 a1 33"},
		{"ping", &Ping{}, "02 91 06"},
		{"close", &Close{}, "04 93 07 c0 c2"},
		{"close error", &Close{Error: "e", AllowReconnect: true}, "05 93 07 a1 65 c3"},
		{"ack", &Ack{SequenceID: 5}, "03 92 08 05"},
		{"sequence big", &Sequence{SequenceID: math.MaxInt64}, "0b 92 09 cf 7f ff ff ff ff ff ff ff"},
		{"sequence negative", &Sequence{SequenceID: math.MinInt64}, "0b 92 09 d3 80 00 00 00 00 00 00 00"},
	}
	var mp MessagePack
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("keep")
			got, err := mp.Append(prefix, tt.msg)
			if err != nil {
				t.Fatalf("Append: %v", err)
			}
			if !bytes.HasPrefix(got, []byte("keep")) {
				t.Fatalf("Append clobbered dst: %x", got)
			}
			if want := unhex(t, tt.want); !bytes.Equal(got[4:], want) {
				t.Errorf("got  % x\nwant % x", got[4:], want)
			}
		})
	}
}

// TestMessagePackRoundTrip appends every message type and decodes it back.
func TestMessagePackRoundTrip(t *testing.T) {
	h := map[string]string{"traceparent": "00-abc-01", "k": "v"}
	tests := []struct {
		msg  Message
		want Message // nil: same as msg
	}{
		{msg: &Invocation{Headers: h, InvocationID: "7", Target: "Send",
			Arguments: []any{"a", 1, nil}, StreamIDs: []string{"1", "2"}},
			want: &Invocation{Headers: h, InvocationID: "7", Target: "Send",
				Arguments: []any{Raw{0xa1, 'a'}, Raw{1}, Raw{mpNil}}, StreamIDs: []string{"1", "2"}}},
		{msg: &StreamInvocation{InvocationID: "7", Target: "S", Arguments: []any{}}},
		{msg: &StreamItem{Headers: h, InvocationID: "7", Item: Raw{0x93, 1, 2, 3}}},
		{msg: &Completion{InvocationID: "7", Error: "boom"}},
		{msg: &Completion{InvocationID: "7", HasResult: true, Result: Raw{0xc3}}},
		{msg: &Completion{Headers: h, InvocationID: "7"}},
		{msg: &CancelInvocation{Headers: h, InvocationID: "7"}},
		{msg: &Ping{}},
		{msg: &Close{Error: "bye", AllowReconnect: true}},
		{msg: &Close{}},
		{msg: &Ack{SequenceID: 1 << 40}},
		{msg: &Sequence{SequenceID: -1}},
	}
	var mp MessagePack
	for _, tt := range tests {
		t.Run(reflect.TypeOf(tt.msg).Elem().Name(), func(t *testing.T) {
			frame, err := mp.Append(nil, tt.msg)
			if err != nil {
				t.Fatalf("Append: %v", err)
			}
			got, err := decodeFramed(t, frame)
			if err != nil {
				t.Fatalf("Decode(% x): %v", frame, err)
			}
			want := tt.want
			if want == nil {
				want = tt.msg
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %#v, want %#v", got, want)
			}
		})
	}
}

// TestMessagePackDecodeLenient covers the longer and shorter arrays that
// ASP.NET accepts.
func TestMessagePackDecodeLenient(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Message
	}{
		{"invocation with extra element", "97 01 80 c0 a1 6d 90 90 c3", &Invocation{Target: "m", Arguments: []any{}}},
		{"empty invocation id is none", "95 01 80 a0 a1 6d 90", &Invocation{Target: "m", Arguments: []any{}}},
		{"stream item with extra", "95 02 80 a1 31 c0 ff", &StreamItem{InvocationID: "1", Item: Raw{mpNil}}},
		{"completion void with extra", "95 03 80 a1 31 02 c0", &Completion{InvocationID: "1"}},
		{"completion nil error", "95 03 80 a1 31 01 c0", &Completion{InvocationID: "1"}},
		{"close 3 elements", "93 07 c0 c3", &Close{AllowReconnect: true}},
		{"close 4 elements", "94 07 a1 65 c2 01", &Close{Error: "e"}},
		{"ping with extra", "92 06 c0", &Ping{}},
		{"ack uint16", "92 08 cd 01 00", &Ack{SequenceID: 256}},
		{"type as int8", "91 d0 06", &Ping{}},
		{"type as uint64", "91 cf 00 00 00 00 00 00 00 06", &Ping{}},
		{"headers", "94 02 82 a1 61 a1 62 a1 63 a1 64 a1 31 c0",
			&StreamItem{Headers: map[string]string{"a": "b", "c": "d"}, InvocationID: "1", Item: Raw{mpNil}}},
		{"array16 envelope", "dc 00 02 08 2a", &Ack{SequenceID: 42}},
		{"map16 headers", "93 05 de 00 00 a1 31", &CancelInvocation{InvocationID: "1"}},
		{"str8 target", "95 01 80 c0 d9 01 6d 90", &Invocation{Target: "m", Arguments: []any{}}},
	}
	var mp MessagePack
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mp.Decode(unhex(t, tt.body))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestMessagePackDecodeUnknownType(t *testing.T) {
	var mp MessagePack
	for _, body := range []string{"91 0a", "93 63 c0 c1", "91 00", "91 ff", "91 d2 7f ff ff ff"} {
		m, err := mp.Decode(unhex(t, body))
		if m != nil || err != nil {
			t.Errorf("Decode(%s) = %#v, %v; want nil, nil", body, m, err)
		}
	}
}

// TestMessagePackDecodeRejects checks that malformed bodies give errors
// wrapping ErrInvalidMessage.
func TestMessagePackDecodeRejects(t *testing.T) {
	tests := []struct{ name, body, msg string }{
		{"empty body", "", "end of data"},
		{"not an array", "81 a1 61 01", "expected array"},
		{"empty array", "90", "empty message array"},
		{"type not int", "91 a1 31", "expected integer"},
		{"type float", "91 cb 40 18 00 00 00 00 00 00", "expected integer"},
		{"type out of int32", "91 ce 80 00 00 00", "out of range"},
		{"type huge uint64", "91 cf ff ff ff ff ff ff ff ff", "out of range"},
		{"invocation 4 elements", "94 01 80 c0 a1 6d", "at least 5"},
		{"invocation empty target", "95 01 80 c0 a0 90", "empty target"},
		{"invocation nil target", "95 01 80 c0 c0 90", "expected string"},
		{"invocation id int", "95 01 80 01 a1 6d 90", "expected string"},
		{"headers not map", "95 01 90 c0 a1 6d 90", "expected map"},
		{"headers nil", "95 01 c0 c0 a1 6d 90", "expected map"},
		{"header value int", "95 01 81 a1 61 01 c0 a1 6d 90", "expected string"},
		{"header empty key", "95 01 81 a0 a1 62 c0 a1 6d 90", "empty header"},
		{"duplicate header", "95 01 82 a1 61 a1 62 a1 61 a1 63 c0 a1 6d 90", "duplicate header"},
		{"arguments not array", "95 01 80 c0 a1 6d c0", "expected array"},
		{"stream ids not strings", "96 01 80 c0 a1 6d 90 91 01", "expected string"},
		{"empty stream id", "96 01 80 c0 a1 6d 90 91 a0", "empty stream id"},
		{"stream invocation without id", "95 04 80 c0 a1 73 90", "without invocation id"},
		{"stream item without id", "94 02 80 c0 01", "without invocation id"},
		{"stream item 3 elements", "93 02 80 a1 31", "at least 4"},
		{"stream item missing item", "94 02 80 a1 31", "end of data"},
		{"completion bad kind", "95 03 80 a1 31 04 c0", "Invalid invocation result kind."},
		{"completion kind 0", "94 03 80 a1 31 00", "Invalid invocation result kind."},
		{"completion result missing", "94 03 80 a1 31 03", "at least 5"},
		{"completion error missing", "94 03 80 a1 31 01", "at least 5"},
		{"completion error int", "95 03 80 a1 31 01 01", "expected string"},
		{"cancel without id", "93 05 80 a0", "without invocation id"},
		{"close 1 element", "91 07", "at least 2"},
		{"close bad bool", "93 07 c0 01", "expected bool"},
		{"ack missing id", "91 08", "at least 2"},
		{"ack float", "92 08 ca 3f 80 00 00", "expected integer"},
		{"ack huge", "92 08 cf 80 00 00 00 00 00 00 00", "out of range"},
		{"truncated string", "95 01 80 c0 a5 6d", "bytes declared"},
		{"truncated uint16", "92 08 cd 01", "bytes declared"},
		{"huge array32", "dd ff ff ff ff", "too large"},
		{"array32 beyond input", "dd 00 01 00 00 06", "with 1 bytes left"},
		{"huge argument array", "95 01 80 c0 a1 6d dd 7f ff ff ff 01 02", "elements with"},
		{"huge argument map", "95 01 80 c0 a1 6d 91 df 7f ff ff ff 01 02", "entries with"},
		{"huge str32", "95 01 80 c0 db 7f ff ff ff 6d 90", "bytes declared"},
		{"huge bin32 argument", "95 01 80 c0 a1 6d 91 c6 7f ff ff ff 00", "bytes declared"},
		{"huge ext32 argument", "95 01 80 c0 a1 6d 91 c9 7f ff ff fe 01 00", "bytes declared"},
		{"invalid code in argument", "95 01 80 c0 a1 6d 91 c1", "invalid type code"},
		{"truncated argument", "95 01 80 c0 a1 6d 92 01", "elements with"},
		{"truncated nested string", "95 01 80 c0 a1 6d 92 a5 61", "bytes declared"},
		{"missing argument", "95 01 80 c0 a1 6d 92 91 01", "end of data"},
	}
	var mp MessagePack
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := mp.Decode(unhex(t, tt.body))
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("Decode = %#v, %v; want ErrInvalidMessage", m, err)
			}
			if m != nil {
				t.Errorf("message %#v returned with error", m)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
		})
	}
}

// TestMessagePackDepth checks that nesting is bounded without recursion
// trouble, in messages and in Unmarshal.
func TestMessagePackDepth(t *testing.T) {
	nested := func(prefix string, n int) []byte {
		b := unhex(t, prefix)
		b = append(b, bytes.Repeat([]byte{0x91}, n)...)
		return append(b, mpNil)
	}
	var mp MessagePack
	tests := []struct {
		name string
		body []byte
		ok   bool
	}{
		{"bomb as message", nested("", 100000), false},
		{"bomb as argument", nested("95 01 80 c0 a1 6d", 100000), false},
		{"bomb as item", nested("94 02 80 a1 31", 100000), false},
		{"argument at limit", nested("95 01 80 c0 a1 6d 91", MaxDepth-2), true},
		{"argument past limit", nested("95 01 80 c0 a1 6d 91", MaxDepth-1), false},
		{"item at limit", nested("94 02 80 a1 31", MaxDepth-1), true},
		{"item past limit", nested("94 02 80 a1 31", MaxDepth), false},
		{"map bomb", append(append(unhex(t, "94 02 80 a1 31"), bytes.Repeat([]byte{0x81, 0x01}, 1000)...), 0x01), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mp.Decode(tt.body)
			if tt.ok && err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !tt.ok && !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("Decode error = %v, want ErrInvalidMessage", err)
			}
		})
	}
	var v any
	if err := mp.Unmarshal(nested("", 100000), &v); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("Unmarshal of bomb: %v, want ErrInvalidMessage", err)
	}
}

func TestMessagePackNextFrame(t *testing.T) {
	var mp MessagePack
	body200 := bytes.Repeat([]byte{0xc0}, 200)
	tests := []struct {
		name     string
		buf      []byte
		max      int
		wantBody []byte
		wantN    int
		wantErr  error
	}{
		{"empty", nil, 100, nil, 0, nil},
		{"prefix only", []byte{0x02}, 100, nil, 0, nil},
		{"partial body", []byte{0x02, 0x91}, 100, nil, 0, nil},
		{"whole", []byte{0x02, 0x91, 0x06}, 100, []byte{0x91, 0x06}, 3, nil},
		{"whole and more", []byte{0x02, 0x91, 0x06, 0x02, 0x91}, 100, []byte{0x91, 0x06}, 3, nil},
		{"empty body", []byte{0x00, 0x02}, 100, []byte{}, 1, nil},
		{"two-byte prefix", append([]byte{0xc8, 0x01}, body200...), 1000, body200, 202, nil},
		{"two-byte prefix partial", []byte{0xc8}, 1000, nil, 0, nil},
		{"no limit", append([]byte{0xc8, 0x01}, body200...), 0, body200, 202, nil},
		{"exactly the limit", append([]byte{0xc8, 0x01}, body200...), 200, body200, 202, nil},
		{"too large before body", []byte{0xc9, 0x01}, 200, nil, 0, ErrMessageTooLarge},
		{"too large from partial prefix", []byte{0xff, 0xff}, 1000, nil, 0, ErrMessageTooLarge},
		{"max length, no body yet", []byte{0xff, 0xff, 0xff, 0xff, 0x07}, 0, nil, 0, nil},
		{"max length too large", []byte{0xff, 0xff, 0xff, 0xff, 0x07}, DefaultMaxMessageSize, nil, 0, ErrMessageTooLarge},
		{"above 2 GiB", []byte{0xff, 0xff, 0xff, 0xff, 0x08}, 0, nil, 0, ErrInvalidMessage},
		{"six bytes", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 0, nil, 0, ErrInvalidMessage},
		{"padded prefix", []byte{0x82, 0x80, 0x80, 0x00, 0x91, 0x06}, 0, []byte{0x91, 0x06}, 6, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, n, err := mp.NextFrame(tt.buf, tt.max)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if n != tt.wantN || !bytes.Equal(body, tt.wantBody) || (tt.wantBody != nil) != (body != nil) {
				t.Errorf("got (% x, %d), want (% x, %d)", body, n, tt.wantBody, tt.wantN)
			}
		})
	}
}

// TestMessagePackSeveralFrames splits one buffer holding several messages
// and checks that bodies cannot be appended over their neighbours.
func TestMessagePackSeveralFrames(t *testing.T) {
	var mp MessagePack
	var buf []byte
	msgs := []Message{&Ping{}, &Invocation{Target: "a", Arguments: []any{1}}, &Ack{SequenceID: 3}}
	for _, m := range msgs {
		var err error
		if buf, err = mp.Append(buf, m); err != nil {
			t.Fatal(err)
		}
	}
	var types []MessageType
	for len(buf) > 0 {
		body, n, err := mp.NextFrame(buf, DefaultMaxMessageSize)
		if err != nil || n == 0 {
			t.Fatalf("NextFrame(% x) = %d, %v", buf, n, err)
		}
		if cap(body) != len(body) {
			t.Errorf("body capacity %d exceeds its length %d", cap(body), len(body))
		}
		m, err := mp.Decode(body)
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, m.Type())
		buf = buf[n:]
	}
	if want := []MessageType{PingType, InvocationType, AckType}; !reflect.DeepEqual(types, want) {
		t.Errorf("types %v, want %v", types, want)
	}
}

// TestMessagePackAppendLongPrefix checks multi-byte length prefixes.
func TestMessagePackAppendLongPrefix(t *testing.T) {
	var mp MessagePack
	for _, size := range []int{100, 20000, 300000} {
		item := strings.Repeat("x", size)
		frame, err := mp.Append([]byte{0xee}, &StreamItem{InvocationID: "1", Item: item})
		if err != nil {
			t.Fatal(err)
		}
		body, n, err := mp.NextFrame(frame[1:], 0)
		if err != nil || n != len(frame)-1 {
			t.Fatalf("size %d: NextFrame = %d, %v; frame %d bytes", size, n, err, len(frame))
		}
		m, err := mp.Decode(body)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if err := mp.Unmarshal(m.(*StreamItem).Item.(Raw), &got); err != nil || got != item {
			t.Errorf("size %d: item of %d bytes, err %v", size, len(got), err)
		}
	}
}

func TestMessagePackAppendValues(t *testing.T) {
	type tagged struct {
		Name   string `json:"name"`
		Count  int    `msgpack:"n" json:"count"`
		Hidden string `json:"-"`
		Plain  bool
	}
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"nil", nil, "c0"},
		{"true", true, "c3"},
		{"false", false, "c2"},
		{"0", 0, "00"},
		{"127", 127, "7f"},
		{"128", 128, "cc 80"},
		{"255", uint8(255), "cc ff"},
		{"256", int16(256), "cd 01 00"},
		{"65536", int32(65536), "ce 00 01 00 00"},
		{"2^32", int64(1) << 32, "cf 00 00 00 01 00 00 00 00"},
		{"max uint64", uint64(math.MaxUint64), "cf ff ff ff ff ff ff ff ff"},
		{"max int64", int64(math.MaxInt64), "cf 7f ff ff ff ff ff ff ff"},
		{"-1", -1, "ff"},
		{"-32", int8(-32), "e0"},
		{"-33", -33, "d0 df"},
		{"-128", -128, "d0 80"},
		{"-129", -129, "d1 ff 7f"},
		{"-32769", -32769, "d2 ff ff 7f ff"},
		{"-2^31-1", int64(math.MinInt32) - 1, "d3 ff ff ff ff 7f ff ff ff"},
		{"min int64", int64(math.MinInt64), "d3 80 00 00 00 00 00 00 00"},
		{"uint", uint(7), "07"},
		{"uint16", uint16(300), "cd 01 2c"},
		{"uint32", uint32(70000), "ce 00 01 11 70"},
		{"float32", float32(1.5), "ca 3f c0 00 00"},
		{"float64", 1.5, "cb 3f f8 00 00 00 00 00 00"},
		{"fixstr", "hi", "a2 68 69"},
		{"empty string", "", "a0"},
		{"str8", strings.Repeat("a", 32), "d9 20 " + strings.Repeat("61 ", 32)},
		{"bin8", []byte{1, 2}, "c4 02 01 02"},
		{"empty bin", []byte{}, "c4 00"},
		{"raw", Raw{0x92, 0x01, 0xc0}, "92 01 c0"},
		{"[]any", []any{1, "a", nil, []any{}}, "94 01 a1 61 c0 90"},
		{"[]string", []string{"a"}, "91 a1 61"},
		{"map[string]any", map[string]any{"k": []any{true}}, "81 a1 6b 91 c3"},
		{"map[string]string", map[string]string{"k": "v"}, "81 a1 6b a1 76"},
		{"ts32", time.Unix(1, 0), "d6 ff 00 00 00 01"},
		{"ts32 max", time.Unix(math.MaxUint32, 0), "d6 ff ff ff ff ff"},
		{"ts64", time.Unix(1, 500), "d7 ff 00 00 07 d0 00 00 00 01"},
		{"ts64 2^32 s", time.Unix(1<<32, 0), "d7 ff 00 00 00 01 00 00 00 00"},
		{"ts96 negative", time.Unix(-1, 0), "c7 0c ff 00 00 00 00 ff ff ff ff ff ff ff ff"},
		{"ts96 2^34 s", time.Unix(1<<34, 1), "c7 0c ff 00 00 00 01 00 00 00 04 00 00 00 00"},
		{"struct via json tags", tagged{Name: "a", Count: 2, Hidden: "h", Plain: true},
			"83 a4 6e 61 6d 65 a1 61 a1 6e 02 a5 50 6c 61 69 6e c3"},
		{"pointer to struct", &tagged{}, "83 a4 6e 61 6d 65 a0 a1 6e 00 a5 50 6c 61 69 6e c2"},
		{"nil pointer", (*tagged)(nil), "c0"},
		{"slice of ints", []int{1, 300}, "92 01 cd 01 2c"},
		{"time in struct", struct{ T time.Time }{time.Unix(1, 0)}, "81 a1 54 d6 ff 00 00 00 01"},
		{"bytes in struct", struct{ B []byte }{[]byte{9}}, "81 a1 42 c4 01 09"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := appendMsgpackValue([]byte{0xee}, tt.v, 0)
			if err != nil {
				t.Fatalf("appendMsgpackValue: %v", err)
			}
			if want := unhex(t, tt.want); !bytes.Equal(got[1:], want) || got[0] != 0xee {
				t.Errorf("got  % x\nwant % x", got[1:], want)
			}
		})
	}
}

func TestMessagePackAppendRejects(t *testing.T) {
	deep := []any{nil}
	for range MaxDepth + 5 {
		deep = []any{deep}
	}
	cyclic := []any{nil}
	cyclic[0] = cyclic
	tests := []struct {
		name string
		msg  Message
	}{
		{"nil message", nil},
		{"empty raw", &StreamItem{InvocationID: "1", Item: Raw{}}},
		{"json raw", &StreamItem{InvocationID: "1", Item: Raw(`{"a":1}`)}},
		{"two objects in raw", &Completion{InvocationID: "1", HasResult: true, Result: Raw{1, 2}}},
		{"channel", &Invocation{Target: "m", Arguments: []any{make(chan int)}}},
		{"too deep", &Invocation{Target: "m", Arguments: []any{deep}}},
		{"cyclic", &StreamItem{InvocationID: "1", Item: cyclic}},
	}
	var mp MessagePack
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte("keep")
			got, err := mp.Append(dst, tt.msg)
			if !errors.Is(err, ErrUnsupportedValue) {
				t.Fatalf("err = %v, want ErrUnsupportedValue", err)
			}
			if string(got) != "keep" {
				t.Errorf("dst changed to % x", got)
			}
		})
	}
}

func TestMessagePackUnmarshalScalars(t *testing.T) {
	var mp MessagePack
	check := func(t *testing.T, raw string, v, want any) {
		t.Helper()
		if err := mp.Unmarshal(unhex(t, raw), v); err != nil {
			t.Fatalf("Unmarshal(%s, %T): %v", raw, v, err)
		}
		if got := reflect.ValueOf(v).Elem().Interface(); !reflect.DeepEqual(got, want) {
			t.Errorf("Unmarshal(%s, %T) = %#v, want %#v", raw, v, got, want)
		}
	}
	t.Run("strings", func(t *testing.T) {
		check(t, "a2 68 69", new(string), "hi")
		check(t, "d9 02 68 69", new(string), "hi")
		check(t, "c4 02 68 69", new(string), "hi")
		check(t, "c0", new(string), "")
		check(t, "c4 02 01 02", new([]byte), []byte{1, 2})
		check(t, "a2 68 69", new([]byte), []byte("hi"))
		check(t, "c0", new([]byte), []byte(nil))
	})
	t.Run("bool", func(t *testing.T) {
		check(t, "c3", new(bool), true)
		check(t, "c0", new(bool), false)
	})
	t.Run("integers", func(t *testing.T) {
		check(t, "2a", new(int), 42)
		check(t, "ff", new(int), -1)
		check(t, "cf 7f ff ff ff ff ff ff ff", new(int64), int64(math.MaxInt64))
		check(t, "d3 80 00 00 00 00 00 00 00", new(int64), int64(math.MinInt64))
		check(t, "cf ff ff ff ff ff ff ff ff", new(uint64), uint64(math.MaxUint64))
		check(t, "cf 00 20 00 00 00 00 00 01", new(int64), int64(1<<53+1))
		check(t, "d0 80", new(int8), int8(-128))
		check(t, "cc ff", new(uint8), uint8(255))
		check(t, "d1 80 00", new(int16), int16(math.MinInt16))
		check(t, "ce ff ff ff ff", new(uint32), uint32(math.MaxUint32))
		check(t, "d2 80 00 00 00", new(int32), int32(math.MinInt32))
		check(t, "cd ff ff", new(uint16), uint16(math.MaxUint16))
		check(t, "07", new(uint), uint(7))
		check(t, "cb 40 45 00 00 00 00 00 00", new(int), 42) // 42.0
		check(t, "ca 42 28 00 00", new(uint8), uint8(42))    // 42.0f
		check(t, "c0", new(int), 0)
	})
	t.Run("floats", func(t *testing.T) {
		check(t, "cb 3f f8 00 00 00 00 00 00", new(float64), 1.5)
		check(t, "ca 3f c0 00 00", new(float64), 1.5)
		check(t, "ca 3f c0 00 00", new(float32), float32(1.5))
		check(t, "2a", new(float64), 42.0)
		check(t, "d3 80 00 00 00 00 00 00 00", new(float64), -math.Pow(2, 63))
		check(t, "cf ff ff ff ff ff ff ff ff", new(float64), math.Pow(2, 64))
	})
	t.Run("timestamps", func(t *testing.T) {
		check(t, "d6 ff 00 00 00 01", new(time.Time), time.Unix(1, 0).UTC())
		check(t, "d7 ff 00 00 07 d0 00 00 00 01", new(time.Time), time.Unix(1, 500).UTC())
		check(t, "c7 0c ff 00 00 00 00 ff ff ff ff ff ff ff ff", new(time.Time), time.Unix(-1, 0).UTC())
		check(t, "c7 0c ff 3b 9a c9 ff 00 00 00 00 00 00 00 00", new(time.Time), time.Unix(0, 999999999).UTC())
		check(t, "c0", new(time.Time), time.Time{})
	})
	t.Run("raw", func(t *testing.T) {
		check(t, "92 01 02", new(Raw), Raw{0x92, 1, 2})
	})
}

func TestMessagePackUnmarshalAny(t *testing.T) {
	var mp MessagePack
	tests := []struct {
		raw  string
		want any
	}{
		{"c0", nil},
		{"c3", true},
		{"2a", int64(42)},
		{"e0", int64(-32)},
		{"cf ff ff ff ff ff ff ff ff", uint64(math.MaxUint64)},
		{"cf 7f ff ff ff ff ff ff ff", int64(math.MaxInt64)},
		{"cb 3f f8 00 00 00 00 00 00", 1.5},
		{"ca 3f c0 00 00", 1.5},
		{"a1 61", "a"},
		{"c4 01 09", []byte{9}},
		{"d6 ff 00 00 00 01", time.Unix(1, 0).UTC()},
		{"92 01 a1 61", []any{int64(1), "a"}},
		{"82 a1 61 01 02 c0", map[string]any{"a": int64(1), "2": nil}},
		{"81 ff 90", map[string]any{"-1": []any{}}},
	}
	for _, tt := range tests {
		var got any
		if err := mp.Unmarshal(unhex(t, tt.raw), &got); err != nil {
			t.Fatalf("Unmarshal(%s): %v", tt.raw, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Unmarshal(%s) = %#v, want %#v", tt.raw, got, tt.want)
		}
	}
}

func TestMessagePackUnmarshalStruct(t *testing.T) {
	type inner struct {
		When time.Time `json:"when"`
		Data []byte    `json:"data"`
	}
	type point struct {
		Name   string         `json:"name"`
		Value  float64        `json:"value"`
		Big    uint64         `msgpack:"big" json:"ignored"`
		Inner  inner          `json:"inner"`
		Extra  map[string]any `json:"extra"`
		Tags   []string       `json:"tags"`
		NoTags int
	}
	var mp MessagePack
	v := point{Name: "p", Value: 2, Big: math.MaxUint64, NoTags: -5,
		Inner: inner{When: time.Unix(5, 6).UTC(), Data: []byte{1}},
		Extra: map[string]any{"n": int64(1)}, Tags: []string{"x"}}
	b, err := appendMsgpackValue(nil, v, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got point
	if err := mp.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !got.Inner.When.Equal(v.Inner.When) {
		t.Errorf("time %v, want %v", got.Inner.When, v.Inner.When)
	}
	got.Inner.When = v.Inner.When
	if !reflect.DeepEqual(got, v) {
		t.Errorf("got %#v, want %#v", got, v)
	}

	// A JavaScript object {name:"q", value:3} with an integer value.
	if err := mp.Unmarshal(unhex(t, "82 a4 6e 61 6d 65 a1 71 a5 76 61 6c 75 65 03"), &got); err != nil {
		t.Fatal(err)
	}
	if got.Name != "q" || got.Value != 3 {
		t.Errorf("got %+v", got)
	}
}

func TestMessagePackUnmarshalRejects(t *testing.T) {
	var mp MessagePack
	tests := []struct {
		name string
		raw  string
		v    any
	}{
		{"empty", "", new(any)},
		{"trailing", "01 02", new(int)},
		{"truncated", "92 01", new(any)},
		{"int8 overflow", "cc 80", new(int8)},
		{"negative into uint", "ff", new(uint)},
		{"uint64 into int64", "cf 80 00 00 00 00 00 00 00", new(int64)},
		{"fraction into int", "cb 3f f8 00 00 00 00 00 00", new(int)},
		{"float too big for int", "cb 43 e0 00 00 00 00 00 00", new(int64)},
		{"NaN into int", "cb 7f f8 00 00 00 00 00 00", new(int)},
		{"float64 into float32 overflow", "cb 7f ef ff ff ff ff ff ff", new(float32)},
		{"string into int", "a1 31", new(int)},
		{"int into string", "01", new(string)},
		{"int into bool", "01", new(bool)},
		{"int into time", "01", new(time.Time)},
		{"ext 1 into time", "d6 01 00 00 00 01", new(time.Time)},
		{"ext 1 into any", "d4 01 00", new(any)},
		{"bad nanoseconds", "c7 0c ff 3b 9a ca 00 00 00 00 00 00 00 00 00", new(time.Time)},
		{"bool map key", "81 c3 01", new(any)},
		{"string into struct", "a1 61", new(struct{ A int })},
		{"string into struct field", "81 a1 41 a1 61", new(struct{ A int })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := mp.Unmarshal(unhex(t, tt.raw), tt.v); !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("err = %v, want ErrInvalidMessage", err)
			}
		})
	}
}

// TestMessagePackAppendAllocs holds the zero-allocation promise for the
// common value types appended into a buffer with room.
func TestMessagePackAppendAllocs(t *testing.T) {
	var mp MessagePack
	msgs := []Message{
		&Invocation{InvocationID: "42", Target: "SendMessage", Arguments: []any{"alice", "hello world", 17},
			Headers: map[string]string{"a": "b"}, StreamIDs: []string{"1"}},
		&StreamItem{InvocationID: "1", Item: []any{1.5, true, nil, []byte{1}, time.Unix(1, 1), Raw{1}}},
		&Completion{InvocationID: "1", HasResult: true, Result: map[string]any{"a": map[string]string{"b": "c"}}},
		&Close{Error: "x"},
	}
	buf := make([]byte, 0, 4096)
	for _, m := range msgs {
		if n := testing.AllocsPerRun(100, func() {
			var err error
			if _, err = mp.Append(buf, m); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%T: %v allocations per Append", m, n)
		}
	}
}

func TestMessagePackIdentity(t *testing.T) {
	var hp HubProtocol = NewMessagePack()
	if hp.Name() != "messagepack" || hp.Version() != 2 || hp.TransferFormat() != BinaryFormat {
		t.Errorf("got %q v%d %v", hp.Name(), hp.Version(), hp.TransferFormat())
	}
}

// TestMessagePackLengthBoundaries encodes strings, binaries, arrays and
// maps at the size boundaries of their headers and reads them back.
func TestMessagePackLengthBoundaries(t *testing.T) {
	var mp MessagePack
	for _, n := range []int{0, 15, 16, 31, 32, 255, 256, 65535, 65536} {
		str := strings.Repeat("s", n)
		bin := bytes.Repeat([]byte{7}, n)
		arr := make([]any, n)
		m := make(map[string]any, n)
		for i := range n {
			m[strconv.Itoa(i)] = nil
		}
		tests := []struct {
			v      any
			target any
			header string
		}{
			{str, new(string), map[bool]string{n <= 15: "a", n > 15 && n <= 31: "b", n > 31 && n <= 255: "d9", n > 255 && n <= 65535: "da", n > 65535: "db"}[true]},
			{bin, new([]byte), map[bool]string{n <= 255: "c4", n > 255 && n <= 65535: "c5", n > 65535: "c6"}[true]},
			{arr, new(any), map[bool]string{n <= 15: "9", n > 15 && n <= 65535: "dc", n > 65535: "dd"}[true]},
			{m, new(any), map[bool]string{n <= 15: "8", n > 15 && n <= 65535: "de", n > 65535: "df"}[true]},
		}
		for _, tt := range tests {
			b, err := appendMsgpackValue(nil, tt.v, 0)
			if err != nil {
				t.Fatalf("%T of %d: %v", tt.v, n, err)
			}
			if h := hex.EncodeToString(b); !strings.HasPrefix(h, tt.header) {
				t.Errorf("%T of %d starts % x, want %s", tt.v, n, b[:min(len(b), 5)], tt.header)
			}
			if err := mp.Unmarshal(b, tt.target); err != nil {
				t.Fatalf("%T of %d: Unmarshal: %v", tt.v, n, err)
			}
			got := reflect.ValueOf(tt.target).Elem().Interface()
			if s, ok := tt.v.(string); ok && got != s {
				t.Errorf("string of %d came back as %d bytes", n, len(got.(string)))
			}
			if b, ok := tt.v.([]byte); ok && !bytes.Equal(got.([]byte), b) {
				t.Errorf("bin of %d came back as %d bytes", n, len(got.([]byte)))
			}
			if a, ok := tt.v.([]any); ok && len(got.([]any)) != len(a) {
				t.Errorf("array of %d came back with %d", n, len(got.([]any)))
			}
			if mm, ok := tt.v.(map[string]any); ok && len(got.(map[string]any)) != len(mm) {
				t.Errorf("map of %d came back with %d", n, len(got.(map[string]any)))
			}
		}
	}
}
