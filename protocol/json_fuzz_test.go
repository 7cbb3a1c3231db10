package protocol_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/signalr-go/signalr/protocol"
)

var jsonFuzzSeeds = []string{
	`{"type":6}`,
	`{"target":"Add","arguments":[1,2],"invocationId":"0","type":1}`,
	`{"target":"Fire","arguments":["a"],"type":1}`,
	`{"target":"Upload","arguments":[5],"invocationId":"2","streamIds":["1"],"type":1}`,
	`{"target":"Counter","arguments":[3],"invocationId":"3","type":4}`,
	`{"invocationId":"1","item":1,"type":2}`,
	`{"invocationId":"1","type":3}`,
	`{"error":"boom","invocationId":"1","type":3}`,
	`{"invocationId":"3","type":5}`,
	`{"invocationId":"srv1","result":41,"type":3}`,
	`{"type":3,"invocationId":"3","result":null}`,
	`{"type":7,"error":"Connection closed with an error.","allowReconnect":true}`,
	`{"type":8,"sequenceId":3}`,
	`{"type":9,"sequenceId":1}`,
	`{"type":1,"headers":{"a":"b"},"target":"M\u00e9\ud83d\ude00","arguments":[{"x":[1.5e3,null,true]},"\n"]}`,
	`{"type":3,"invocationId":"1","error":"e","result":1}`,
	// Text that is not UTF-8, repaired rather than refused.
	"{\"type\":1,\"target\":\"M\xff\",\"arguments\":[\"\xed\xa0\x80\",{\"k\xc3\":[\"\xe2\x82\"]}],\"headers\":{\"h\xf0\":\"v\xc0\"}}",
	`{"type":1,"target":"\ud800","arguments":["\udc00\ud800",{"\ud83d":1}],"streamIds":["\udfff"]}`,
	"{\"type\":3,\"invocationId\":\"\xff\",\"error\":\"e\xed\xb0\x80\"}",
}

// FuzzJSONDecode frames and decodes arbitrary bytes; whatever decodes must
// hold only valid UTF-8 (text.go's rule), and encode and decode again to
// the same message.
func FuzzJSONDecode(f *testing.F) {
	for _, s := range jsonFuzzSeeds {
		f.Add([]byte(s + "\x1e"))
	}
	f.Add([]byte("{\"type\":6}\x1e{\"type\":7}\x1e"))
	hp := protocol.NewJSON()
	f.Fuzz(func(t *testing.T, data []byte) {
		for len(data) > 0 {
			body, n, err := hp.NextFrame(data, protocol.DefaultMaxMessageSize)
			if err != nil || n == 0 {
				return
			}
			data = data[n:]
			m, err := hp.Decode(body)
			if err != nil {
				if !errors.Is(err, protocol.ErrInvalidMessage) {
					t.Fatalf("Decode(%q): %v does not wrap ErrInvalidMessage", body, err)
				}
				continue
			}
			if m == nil {
				continue
			}
			if err := protocol.InvalidText(hp, m); err != nil {
				t.Fatalf("Decode(%q): %v", body, err)
			}
			b, err := hp.Append(nil, m)
			if err != nil {
				t.Fatalf("Append(%#v) of Decode(%q): %v", m, body, err)
			}
			body2, n2, err := hp.NextFrame(b, 0)
			if err != nil || n2 != len(b) {
				t.Fatalf("re-encoded %q does not frame: %d, %v", b, n2, err)
			}
			m2, err := hp.Decode(body2)
			if err != nil {
				t.Fatalf("Decode(Append(Decode(%q))) = %q: %v", body, b, err)
			}
			if !reflect.DeepEqual(m, m2) {
				t.Fatalf("round trip of %q via %q:\n got  %#v\n want %#v", body, b, m2, m)
			}
		}
	})
}

// FuzzHandshakeRequest parses arbitrary bytes as a handshake request; a
// parsed request must format and parse back to itself.
func FuzzHandshakeRequest(f *testing.F) {
	for _, s := range []string{
		`{"protocol":"json","version":1}`,
		`{"protocol":"messagepack","version":2}`,
		`{"version":2,"protocol":"json","x":[{}]}`,
		`{"protocol":"json"}`,
	} {
		f.Add([]byte(s + "\x1e"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, n, err := protocol.ParseHandshakeRequest(data, 1024)
		if err != nil {
			if !errors.Is(err, protocol.ErrInvalidMessage) && !errors.Is(err, protocol.ErrMessageTooLarge) {
				t.Fatalf("ParseHandshakeRequest(%q): %v", data, err)
			}
			return
		}
		if n == 0 {
			return
		}
		if n > len(data) || data[n-1] != 0x1e {
			t.Fatalf("n = %d for %q", n, data)
		}
		b := protocol.AppendHandshakeRequest(nil, req)
		req2, n2, err := protocol.ParseHandshakeRequest(b, 0)
		if err != nil || n2 != len(b) || req2 != req {
			t.Fatalf("round trip of %+v via %q: %+v, %d, %v", req, b, req2, n2, err)
		}
	})
}
