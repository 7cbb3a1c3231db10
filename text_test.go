package signalr

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/signalr-go/signalr/protocol"
)

// textHub relays what it is given to every connection.
type textHub struct{}

func (textHub) Say(c *Context, s string) (string, error) {
	return s, c.Clients.All().Send(c, "Said", s)
}

func (textHub) SayRaw(c *Context, r protocol.Raw) error {
	return c.Clients.All().Send(c, "SaidRaw", r)
}

// rawMessage returns the body of the next message other than Ping as it
// came, unparsed (Decode would repair it).
func (c *wsClient) rawMessage() []byte {
	c.t.Helper()
	for {
		if body, n, err := c.hp.NextFrame(c.buf, 0); err == nil && n > 0 {
			c.buf = c.buf[n:]
			if m, _ := c.hp.Decode(bytes.Clone(body)); m != nil && m.Type() == protocol.PingType {
				continue
			}
			return body
		}
		_, data := c.read()
		c.buf = append(c.buf, data...)
	}
}

// TestInvalidTextOverBothProtocols: a string that is not UTF-8, from a
// MessagePack client or in a JSON text frame, reaches the hub and every
// client as valid UTF-8 with U+FFFD in place of each invalid sequence
// (protocol/text.go), over a real socket; the sender's connection stays
// open.
func TestInvalidTextOverBothProtocols(t *testing.T) {
	_, base := startE2E(t, textHub{}, Options{})
	mp := dialHub(t, base, protocol.NewMessagePack(), nil)
	js := dialHub(t, base, protocol.NewJSON(), nil)
	const bad, good = "a\xffb\xed\xa0\x80", "a\uFFFDb\uFFFD"

	check := func(who string, frame []byte) {
		t.Helper()
		if bytes.Contains(frame, []byte("a\xffb")) || !bytes.Contains(frame, []byte(good)) {
			t.Errorf("%s received % x, want the text repaired to %q", who, frame, good)
		}
	}
	// The test's MessagePack encoder writes strings as given: a hostile
	// client's frame.
	mp.send(&protocol.Invocation{InvocationID: "1", Target: "Say", Arguments: []any{bad}})
	check("the MessagePack sender", mp.rawMessage()) // Said
	check("the MessagePack sender", mp.rawMessage()) // its Completion
	f := js.rawMessage()
	if !utf8.Valid(f) {
		t.Errorf("the JSON client received text that is not UTF-8: %q", f)
	}
	check("the JSON client", f)

	mp.send(&protocol.Invocation{Target: "SayRaw", Arguments: []any{protocol.Raw(append([]byte{0xa0 | byte(len(bad))}, bad...))}})
	// A Raw value is relayed as it was decoded, to the clients of its own
	// protocol: repaired too.
	check("the MessagePack sender of a Raw", mp.rawMessage())

	// A JSON text frame with the same bytes: repaired, not refused.
	if err := js.ws.WriteMessage(websocket.TextMessage, []byte("{\"type\":1,\"invocationId\":\"2\",\"target\":\"Say\",\"arguments\":[\""+bad+"\"]}\x1e")); err != nil {
		t.Fatal(err)
	}
	check("the MessagePack client", mp.rawMessage())
	comp, _ := js.completion("2")
	var s string
	js.value(comp.Result, &s)
	if s != good {
		t.Errorf("the JSON sender's completion: %q (%+v), want %q", s, comp, good)
	}
	// Still open.
	js.send(&protocol.Invocation{InvocationID: "3", Target: "Say", Arguments: []any{"ok"}})
	if comp, _ := js.completion("3"); comp.Error != "" {
		t.Errorf("after the repaired frame: %+v", comp)
	}
}
