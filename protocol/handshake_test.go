package protocol_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/signalr-go/signalr/protocol"
)

func TestParseHandshakeRequest(t *testing.T) {
	tests := []struct {
		in   string
		want protocol.HandshakeRequest
	}{
		{`{"protocol":"json","version":1}`, protocol.HandshakeRequest{Protocol: "json", Version: 1}},
		{`{"protocol":"messagepack","version":2}`, protocol.HandshakeRequest{Protocol: "messagepack", Version: 2}},
		{` { "version" : 2 , "protocol" : "json" } `, protocol.HandshakeRequest{Protocol: "json", Version: 2}},
		{`{"protocol":"json","minor":{"x":[1]},"version":1,"extra":null}`, protocol.HandshakeRequest{Protocol: "json", Version: 1}},
		{`{"\u0070rotocol":"js\u006fn","version":-3}`, protocol.HandshakeRequest{Protocol: "json", Version: -3}},
	}
	for _, tt := range tests {
		buf := []byte(tt.in + "\x1e{\"type\":6}\x1e")
		got, n, err := protocol.ParseHandshakeRequest(buf, 1024)
		if err != nil || n != len(tt.in)+1 || got != tt.want {
			t.Errorf("ParseHandshakeRequest(%s) = %+v, %d, %v; want %+v, %d", tt.in, got, n, err, tt.want, len(tt.in)+1)
		}
	}
}

func TestParseHandshakeRequestIncomplete(t *testing.T) {
	full := []byte("{\"protocol\":\"json\",\"version\":1}\x1e")
	for i := range len(full) - 1 {
		if _, n, err := protocol.ParseHandshakeRequest(full[:i], 1024); n != 0 || err != nil {
			t.Fatalf("prefix of %d bytes: n %d, %v", i, n, err)
		}
	}
	// Too much without a separator is refused before the rest arrives.
	if _, _, err := protocol.ParseHandshakeRequest(bytes.Repeat([]byte{' '}, 33), 32); !errors.Is(err, protocol.ErrMessageTooLarge) {
		t.Fatalf("oversized: %v", err)
	}
	if _, _, err := protocol.ParseHandshakeRequest(full, len(full)-2); !errors.Is(err, protocol.ErrMessageTooLarge) {
		t.Fatalf("oversized with separator: %v", err)
	}
	if _, n, err := protocol.ParseHandshakeRequest(full, len(full)-1); n != len(full) || err != nil {
		t.Fatalf("exact fit: %d, %v", n, err)
	}
}

func TestParseHandshakeRequestRejects(t *testing.T) {
	for _, in := range []string{
		``, `[]`, `{`, `{}`, `{"protocol":"json"}`, `{"version":1}`,
		`{"protocol":null,"version":1}`, `{"protocol":1,"version":1}`,
		`{"protocol":"json","version":"1"}`, `{"protocol":"json","version":1.5}`,
		`{"protocol":"json","version":null}`, `{"protocol":"json","version":2147483648}`,
		`{"protocol":"json","version":1}x`, `{"protocol":"json","version":1,}`,
		"{\"protocol\":\"js\xffon\",\"version\":1}",
		`{"protocol":"json","version":1,"x":` + strings.Repeat("[", 1000) + `}`,
	} {
		_, n, err := protocol.ParseHandshakeRequest([]byte(in+"\x1e"), 0)
		if !errors.Is(err, protocol.ErrInvalidMessage) || n != 0 {
			t.Errorf("ParseHandshakeRequest(%.50q) = %d, %v; want ErrInvalidMessage", in, n, err)
		}
	}
}

func TestAppendHandshake(t *testing.T) {
	req := protocol.AppendHandshakeRequest([]byte("x"), protocol.HandshakeRequest{Protocol: "messagepack", Version: 2})
	if want := "x{\"protocol\":\"messagepack\",\"version\":2}\x1e"; string(req) != want {
		t.Errorf("request %q, want %q", req, want)
	}
	got, _, err := protocol.ParseHandshakeRequest(req[1:], 0)
	if err != nil || got != (protocol.HandshakeRequest{Protocol: "messagepack", Version: 2}) {
		t.Errorf("request round trip: %+v, %v", got, err)
	}
	if ok := protocol.AppendHandshakeResponse(nil, ""); !bytes.Equal(ok, []byte{'{', '}', 0x1e}) {
		t.Errorf("success response %q", ok)
	}
	resp := protocol.AppendHandshakeResponse(nil, "The protocol 'x\"' is not supported.")
	if want := "{\"error\":\"The protocol 'x\\\"' is not supported.\"}\x1e"; string(resp) != want {
		t.Errorf("error response %q, want %q", resp, want)
	}
}

func TestParseHandshakeResponse(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`{}`, ""},
		{`{"error":"nope"}`, "nope"},
		{`{"error":null}`, ""},
		{`{"minorVersion":1}`, ""},
		{`{"type":0}`, ""},
		{`{"type":null,"error":"x"}`, "x"},
		{`{"type":false}`, ""},
		{`{"type":""}`, ""},
		{`{"type":-0.0}`, ""},
	}
	for _, tt := range tests {
		buf := []byte(tt.in + "\x1e{\"type\":6}\x1e")
		got, n, err := protocol.ParseHandshakeResponse(buf, 1024)
		if err != nil || n != len(tt.in)+1 || got != tt.want {
			t.Errorf("ParseHandshakeResponse(%s) = %q, %d, %v; want %q", tt.in, got, n, err, tt.want)
		}
	}
	for _, in := range []string{`{"type":6}`, `{"type":1,"error":"x"}`, `{"type":"a"}`, `{"type":true}`, `{"type":{}}`, `{"type":1e400}`} {
		_, _, err := protocol.ParseHandshakeResponse([]byte(in+"\x1e"), 1024)
		if !errors.Is(err, protocol.ErrInvalidMessage) || !strings.Contains(err.Error(), "Expected a handshake response from the server.") {
			t.Errorf("ParseHandshakeResponse(%s): %v", in, err)
		}
	}
	for _, in := range []string{``, `{"error":1}`, `[]`, `{} {}`} {
		if _, _, err := protocol.ParseHandshakeResponse([]byte(in+"\x1e"), 1024); !errors.Is(err, protocol.ErrInvalidMessage) {
			t.Errorf("ParseHandshakeResponse(%s): %v", in, err)
		}
	}
	if _, n, err := protocol.ParseHandshakeResponse([]byte(`{}`), 1024); n != 0 || err != nil {
		t.Errorf("incomplete: %d, %v", n, err)
	}
	if _, _, err := protocol.ParseHandshakeResponse([]byte(`{"error":"long"}`), 4); !errors.Is(err, protocol.ErrMessageTooLarge) {
		t.Errorf("oversized: %v", err)
	}
}

func TestHandshakeErrorTexts(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{protocol.HandshakeErrorUnsupportedProtocol("xml"), "The protocol 'xml' is not supported."},
		{protocol.HandshakeErrorUnsupportedVersion("json", 3), "The server does not support version 3 of the 'json' protocol."},
		{protocol.HandshakeErrorTransferFormat(protocol.NewMessagePack()),
			"Cannot use the 'messagepack' protocol on the current transport. The transport does not support 'Binary' transfer format."},
		{protocol.HandshakeErrorTransferFormat(protocol.NewJSON()),
			"Cannot use the 'json' protocol on the current transport. The transport does not support 'Text' transfer format."},
		{protocol.HandshakeErrorCanceled, "Handshake was canceled."},
		{protocol.HandshakeErrorUnexpected, "An unexpected error occurred during connection handshake."},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestSupportsVersion(t *testing.T) {
	for _, p := range []protocol.HubProtocol{protocol.NewJSON(), protocol.NewMessagePack()} {
		for v, want := range map[int]bool{-1: false, 0: false, 1: true, 2: true, 3: false} {
			if got := protocol.SupportsVersion(p, v); got != want {
				t.Errorf("SupportsVersion(%s, %d) = %v", p.Name(), v, got)
			}
		}
	}
}
