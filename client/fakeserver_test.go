package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/signalr-go/signalr/protocol"
)

// fakeServer is a minimal SignalR server for the client's tests: negotiate,
// the three transports, the handshake, a few hub methods and, over
// WebSockets, stateful reconnect. Every message it receives is recorded.
type fakeServer struct {
	t   *testing.T
	srv *httptest.Server

	mu         sync.Mutex
	transports []string // advertised, in order
	stateful   bool     // honour useStatefulReconnect
	negotiate  func(w http.ResponseWriter, r *http.Request) bool
	handshake  string // handshake error to return, "" for success
	refuse     map[string]bool
	conns      map[string]*fakeConn
	requests   []*http.Request
	negotiates int
	nextID     int
	connected  chan *fakeConn
}

// fakeConn is one connection on the fake server.
type fakeConn struct {
	s        *fakeServer
	id       string
	token    string
	stateful bool

	mu      sync.Mutex
	proto   protocol.HubProtocol
	in      []byte
	polls   int
	outBuf  [][]byte      // pending bytes for SSE/LP
	outSig  chan struct{} // something in outBuf
	ws      *websocket.Conn
	closed  bool
	sent    [][]byte // sequenced messages sent (stateful), all kept
	recvSeq int64    // sequenced messages received (stateful)
	skip    int64    // duplicates still to drop after a resume

	msgs chan protocol.Message // every message received
}

func newFakeServer(t *testing.T) *fakeServer {
	s := &fakeServer{
		t: t, transports: []string{"WebSockets", "ServerSentEvents", "LongPolling"},
		conns: map[string]*fakeConn{}, refuse: map[string]bool{}, connected: make(chan *fakeConn, 16),
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	t.Cleanup(s.close)
	return s
}

func (s *fakeServer) url() string { return s.srv.URL + "/hub" }

func (s *fakeServer) close() {
	s.mu.Lock()
	for _, c := range s.conns {
		c.shutdown()
	}
	s.mu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

func (s *fakeServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r)
	s.mu.Unlock()
	switch {
	case strings.HasSuffix(r.URL.Path, "/negotiate"):
		s.serveNegotiate(w, r)
	case websocket.IsWebSocketUpgrade(r):
		s.serveWebSocket(w, r)
	case r.Method == http.MethodGet && r.Header.Get("Accept") == "text/event-stream":
		s.serveSSE(w, r)
	case r.Method == http.MethodGet:
		s.servePoll(w, r)
	case r.Method == http.MethodPost:
		c := s.conn(w, r)
		if c == nil {
			return
		}
		body, _ := io.ReadAll(r.Body)
		c.feed(body)
	case r.Method == http.MethodDelete:
		if c := s.conn(w, r); c != nil {
			c.shutdown()
			w.WriteHeader(http.StatusAccepted)
		}
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func (s *fakeServer) serveNegotiate(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.negotiates++
	hook := s.negotiate
	s.mu.Unlock()
	if hook != nil && hook(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	c := &fakeConn{
		s: s, id: fmt.Sprintf("conn%d", s.nextID), token: fmt.Sprintf("tok%d", s.nextID),
		stateful: s.stateful && r.URL.Query().Get("useStatefulReconnect") == "true",
		outSig:   make(chan struct{}, 1), msgs: make(chan protocol.Message, 1000),
	}
	s.conns[c.token] = c
	var list []map[string]any
	for _, t := range s.transports {
		formats := []string{"Text", "Binary"}
		if t == "ServerSentEvents" {
			formats = []string{"Text"}
		}
		list = append(list, map[string]any{"transport": t, "transferFormats": formats})
	}
	resp := map[string]any{"connectionId": c.id, "connectionToken": c.token, "negotiateVersion": 1, "availableTransports": list}
	if c.stateful {
		resp["useStatefulReconnect"] = true
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// conn finds the connection named by ?id=, answering 404 if there is none.
func (s *fakeServer) conn(w http.ResponseWriter, r *http.Request) *fakeConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conns[r.URL.Query().Get("id")]
	if c == nil {
		http.Error(w, "No Connection with that ID", http.StatusNotFound)
	}
	return c
}

func (s *fakeServer) refused(kind string, w http.ResponseWriter) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse[kind] {
		http.Error(w, kind+" refused", http.StatusInternalServerError)
		return true
	}
	return false
}

var upgrader = websocket.Upgrader{}

func (s *fakeServer) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	if s.refused("WebSockets", w) {
		return
	}
	var c *fakeConn
	if r.URL.Query().Has("id") {
		if c = s.conn(w, r); c == nil {
			return
		}
	} else { // skip negotiation
		s.mu.Lock()
		s.nextID++
		c = &fakeConn{s: s, token: fmt.Sprintf("ws%d", s.nextID), outSig: make(chan struct{}, 1), msgs: make(chan protocol.Message, 1000)}
		s.conns[c.token] = c
		s.mu.Unlock()
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c.mu.Lock()
	resumed := c.ws != nil
	c.ws = ws
	c.in = nil
	c.mu.Unlock()
	if resumed {
		c.resend()
	}
	for {
		_, p, err := ws.ReadMessage()
		if err != nil {
			return
		}
		c.feed(p)
	}
}

func (s *fakeServer) serveSSE(w http.ResponseWriter, r *http.Request) {
	c := s.conn(w, r)
	if c == nil || s.refused("ServerSentEvents", w) {
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, ":\r\n")
	w.(http.Flusher).Flush()
	for {
		data, ok := c.take(r, time.Hour)
		if !ok {
			return
		}
		if _, err := fmt.Fprintf(w, "data: %s\r\n\r\n", data); err != nil {
			return
		}
		w.(http.Flusher).Flush()
	}
}

func (s *fakeServer) servePoll(w http.ResponseWriter, r *http.Request) {
	c := s.conn(w, r)
	if c == nil || s.refused("LongPolling", w) {
		return
	}
	c.mu.Lock()
	c.polls++
	first := c.polls == 1
	c.mu.Unlock()
	if first {
		w.WriteHeader(http.StatusOK)
		return
	}
	data, ok := c.take(r, 200*time.Millisecond)
	switch {
	case !ok:
		w.WriteHeader(http.StatusNoContent)
	case len(data) == 0:
		w.WriteHeader(http.StatusOK)
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(data)
	}
}

// take waits for pending output: ok false once the connection is closed,
// empty data when wait elapsed.
func (c *fakeConn) take(r *http.Request, wait time.Duration) ([]byte, bool) {
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		c.mu.Lock()
		if len(c.outBuf) > 0 {
			data := bytes.Join(c.outBuf, nil)
			c.outBuf = nil
			c.mu.Unlock()
			return data, true
		}
		closed := c.closed
		c.mu.Unlock()
		if closed {
			return nil, false
		}
		select {
		case <-c.outSig:
		case <-t.C:
			return nil, true
		case <-r.Context().Done():
			return nil, false
		}
	}
}

// feed handles bytes from the client: the handshake, then messages.
func (c *fakeConn) feed(p []byte) {
	c.mu.Lock()
	c.in = append(c.in, p...)
	if c.proto == nil {
		req, n, err := protocol.ParseHandshakeRequest(c.in, 1<<16)
		if err != nil || n == 0 {
			c.mu.Unlock()
			return
		}
		c.in = c.in[n:]
		switch req.Protocol {
		case "json":
			c.proto = protocol.NewJSON()
		case "messagepack":
			c.proto = protocol.NewMessagePack()
		}
		c.s.mu.Lock()
		hsErr := c.s.handshake
		c.s.mu.Unlock()
		c.stateful = c.stateful && req.Version == 2
		c.mu.Unlock()
		c.write(protocol.AppendHandshakeResponse(nil, hsErr), true)
		if hsErr != "" {
			c.shutdown()
			return
		}
		c.s.connected <- c
		c.mu.Lock()
	}
	var msgs []protocol.Message
	for {
		body, n, err := c.proto.NextFrame(c.in, 1<<20)
		if err != nil || n == 0 {
			break
		}
		c.in = c.in[n:]
		m, err := c.proto.Decode(body)
		if err != nil || m == nil {
			continue
		}
		if c.stateful && !c.sequenceIn(m) {
			continue
		}
		msgs = append(msgs, m)
	}
	c.in = append([]byte(nil), c.in...)
	c.mu.Unlock()
	for _, m := range msgs {
		c.msgs <- m
		c.hub(m)
	}
}

// sequenceIn applies stateful reconnect to a received message; false drops
// it (a duplicate).
func (c *fakeConn) sequenceIn(m protocol.Message) bool {
	if seq, ok := m.(*protocol.Sequence); ok {
		c.skip = c.recvSeq - seq.SequenceID + 1
		return true
	}
	if !protocol.IsSequenced(m.Type()) {
		return true
	}
	if c.skip > 0 {
		c.skip--
		return false
	}
	c.recvSeq++
	return true
}

// resend starts a resumed connection: Sequence, then everything sent.
func (c *fakeConn) resend() {
	c.mu.Lock()
	seq, _ := c.proto.Append(nil, &protocol.Sequence{SequenceID: 1})
	all := append([][]byte{seq}, c.sent...)
	c.mu.Unlock()
	for _, b := range all {
		c.write(b, false)
	}
}

// hub plays a few hub methods.
func (c *fakeConn) hub(m protocol.Message) {
	switch m := m.(type) {
	case *protocol.Invocation:
		if m.InvocationID == "" {
			return
		}
		switch m.Target {
		case "Echo":
			c.send(&protocol.Completion{InvocationID: m.InvocationID, Result: m.Arguments[0], HasResult: true})
		case "Fail":
			c.send(&protocol.Completion{InvocationID: m.InvocationID, Error: "boom"})
		case "Void":
			c.send(&protocol.Completion{InvocationID: m.InvocationID, Result: nil, HasResult: true})
		}
	case *protocol.StreamInvocation:
		if m.Target == "Count" {
			var n int
			_ = c.proto.Unmarshal(m.Arguments[0].(protocol.Raw), &n)
			for i := range n {
				c.send(&protocol.StreamItem{InvocationID: m.InvocationID, Item: i})
			}
			c.send(&protocol.Completion{InvocationID: m.InvocationID})
		}
	}
}

// send writes a hub message to the client.
func (c *fakeConn) send(m protocol.Message) {
	c.mu.Lock()
	b, err := c.proto.Append(nil, m)
	if err != nil {
		c.mu.Unlock()
		c.s.t.Errorf("fake server: encoding %T: %v", m, err)
		return
	}
	if c.stateful && protocol.IsSequenced(m.Type()) {
		c.sent = append(c.sent, b)
	}
	c.mu.Unlock()
	c.write(b, false)
}

// write sends bytes on whatever transport the connection uses.
func (c *fakeConn) write(b []byte, handshake bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ws != nil {
		mt := websocket.TextMessage
		if !handshake && c.proto != nil && c.proto.TransferFormat() == protocol.BinaryFormat {
			mt = websocket.BinaryMessage
		}
		_ = c.ws.WriteMessage(mt, b)
		return
	}
	c.outBuf = append(c.outBuf, b)
	select {
	case c.outSig <- struct{}{}:
	default:
	}
}

// shutdown ends the connection from the server side.
func (c *fakeConn) shutdown() {
	c.mu.Lock()
	c.closed = true
	ws := c.ws
	c.mu.Unlock()
	select {
	case c.outSig <- struct{}{}:
	default:
	}
	if ws != nil {
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		ws.Close()
	}
}

// next returns the next message the client sent of the given type,
// skipping pings and acks unless asked for.
func (c *fakeConn) next(t *testing.T, want protocol.MessageType) protocol.Message {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case m := <-c.msgs:
			if m.Type() == want {
				return m
			}
		case <-timeout:
			t.Fatalf("no message of type %d from the client", want)
			return nil
		}
	}
}

// waitConn returns the next connection that completed its handshake.
func (s *fakeServer) waitConn(t *testing.T) *fakeConn {
	t.Helper()
	select {
	case c := <-s.connected:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no connection reached the server")
		return nil
	}
}
