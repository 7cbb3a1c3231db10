package redis

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/signalr-go/signalr/internal/redistest"
	"github.com/signalr-go/signalr/protocol"
)

// These tests play a .NET server (ASP.NET Core's RedisHubLifetimeManager)
// by speaking to Redis directly, encoding and decoding the payloads with a
// general MessagePack library rather than this package's codec.

const foreignServer = "DOTNET_0123456789abcdef0123456789abcdef"

// foreign is the fake .NET server's Redis connection.
type foreign struct {
	t   *testing.T
	rdb *goredis.Client
	ps  *goredis.PubSub
}

func newForeign(t *testing.T, addr string, channels ...string) *foreign {
	t.Helper()
	rdb := goredis.NewClient(&goredis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
	f := &foreign{t: t, rdb: rdb, ps: rdb.Subscribe(context.Background(), channels...)}
	t.Cleanup(func() { f.ps.Close(); rdb.Close() })
	for range channels {
		if _, err := f.ps.ReceiveTimeout(context.Background(), 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// pack encodes v as MessagePack-CSharp would: smallest integers.
func pack(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.UseCompactInts(true)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (f *foreign) publish(ch string, payload []byte) int64 {
	f.t.Helper()
	n, err := f.rdb.Publish(context.Background(), ch, payload).Result()
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// next returns the next message's channel and decoded payload.
func (f *foreign) next() (string, []any, []byte) {
	f.t.Helper()
	m, err := f.ps.ReceiveTimeout(context.Background(), 5*time.Second)
	if err != nil {
		f.t.Fatal(err)
	}
	msg, ok := m.(*goredis.Message)
	if !ok {
		f.t.Fatalf("got %T, want a message", m)
	}
	var v []any
	if err := msgpack.Unmarshal([]byte(msg.Payload), &v); err != nil {
		f.t.Fatalf("payload % x: %v", msg.Payload, err)
	}
	return msg.Channel, v, []byte(msg.Payload)
}

// framed returns the JSON and MessagePack framings of an invocation.
func framed(t *testing.T, inv *protocol.Invocation) (j, m []byte) {
	t.Helper()
	j, err := protocol.JSON{}.Append(nil, inv)
	if err != nil {
		t.Fatal(err)
	}
	m, err = protocol.MessagePack{}.Append(nil, inv)
	if err != nil {
		t.Fatal(err)
	}
	return j, m
}

func (c *fakeConn) rawAt(i int) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.raw[i]
}

func TestDotNetPublisherReachesGoConnections(t *testing.T) {
	srv := redistest.Start(t)
	s := newNode(t, []string{srv.Addr})
	cj := s.add(t, newConn("cj", "u1"))
	cm := newConn("cm", "")
	cm.proto = protocol.MessagePack{}
	s.add(t, cm)
	if err := s.h.AddToGroup(ctx5(t), "cj", "g1"); err != nil {
		t.Fatal(err)
	}
	f := newForeign(t, srv.Addr)
	j, m := framed(t, &protocol.Invocation{Target: "Echo", Arguments: []any{"hi"}})
	entries := map[string]any{"json": j, "messagepack": m}
	p := "Test.Hubs.TestHub"
	f.publish(p+":all", pack(t, []any{[]string{}, entries}))
	f.publish(p+":all", pack(t, []any{[]string{"cm"}, entries}))
	f.publish(p+":group:g1", pack(t, []any{[]string{}, entries}))
	f.publish(p+":user:u1", pack(t, []any{[]string{}, entries}))
	if n := f.publish(p+":connection:cm", pack(t, []any{[]string{}, entries})); n != 1 {
		t.Fatalf("PUBLISH to a Go connection's channel reached %d subscribers, want 1", n)
	}
	cj.waitN(t, 4)
	cm.waitN(t, 2)
	for i := range 4 {
		if !bytes.Equal(cj.rawAt(i), j) {
			t.Fatalf("json connection got % x, want the published bytes % x", cj.rawAt(i), j)
		}
	}
	for i := range 2 {
		if !bytes.Equal(cm.rawAt(i), m) {
			t.Fatalf("messagepack connection got % x, want % x", cm.rawAt(i), m)
		}
	}
	if got := cm.targets(); len(got) != 2 {
		t.Fatalf("excluded connection got %q", got)
	}
}

func TestDotNetGroupCommandIsAcked(t *testing.T) {
	srv := redistest.Start(t)
	s := newNode(t, []string{srv.Addr})
	c := s.add(t, newConn("c1", ""))
	p := "Test.Hubs.TestHub"
	f := newForeign(t, srv.Addr, p+":internal:ack:"+foreignServer)
	f.publish(p+":internal:groups", pack(t, []any{7, foreignServer, 1, "g2", "c1"}))
	ch, v, raw := f.next()
	if ch != p+":internal:ack:"+foreignServer || !bytes.Equal(raw, []byte{0x91, 7}) {
		t.Fatalf("ack on %q: % x (%v)", ch, raw, v)
	}
	if gs, err := s.h.GroupsOf(ctx5(t), "c1"); err != nil || !slices.Equal(gs, []string{"g2"}) {
		t.Fatalf("groups %q, %v", gs, err)
	}
	j, m := framed(t, &protocol.Invocation{Target: "InGroup", Arguments: []any{"x"}})
	f.publish(p+":group:g2", pack(t, []any{[]string{}, map[string]any{"json": j, "messagepack": m}}))
	equal(t, c, "InGroup:x")
	// A command for a connection that is not on this server is not acked.
	f.publish(p+":internal:groups", pack(t, []any{8, foreignServer, 2, "g2", "elsewhere"}))
	f.publish(p+":internal:groups", pack(t, []any{300, foreignServer, 2, "g2", "c1"}))
	if _, _, raw := f.next(); !bytes.Equal(raw, []byte{0x91, 0xcd, 0x01, 0x2c}) {
		t.Fatalf("second ack % x, want the one for 300", raw)
	}
}

func TestDotNetClientResultIsAnswered(t *testing.T) {
	srv := redistest.Start(t)
	s := newNode(t, []string{srv.Addr})
	s.add(t, answerWith(newConn("c1", ""), "42", ""))
	p := "Test.Hubs.TestHub"
	ret := p + ":internal:return:" + foreignServer
	f := newForeign(t, srv.Addr, ret)
	j, m := framed(t, &protocol.Invocation{InvocationID: "AAAAAAAAAAAAAAAAAAAAAA", Target: "Ask", Arguments: []any{"q"}})
	f.publish(p+":connection:c1", pack(t, []any{[]string{}, map[string]any{"json": j, "messagepack": m}, "AAAAAAAAAAAAAAAAAAAAAA", ret}))
	ch, v, _ := f.next()
	if ch != ret || len(v) != 2 || v[0] != "json" {
		t.Fatalf("completion on %q: %v", ch, v)
	}
	body, _, err := protocol.JSON{}.NextFrame(v[1].([]byte), 0)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := protocol.JSON{}.Decode(body)
	comp, ok := msg.(*protocol.Completion)
	if err != nil || !ok || comp.InvocationID != "AAAAAAAAAAAAAAAAAAAAAA" || string(comp.Result.(protocol.Raw)) != "42" {
		t.Fatalf("completion %+v, %v", msg, err)
	}
}

func TestGoPublicationsAsDotNetReadsThem(t *testing.T) {
	srv := redistest.Start(t)
	s := newNode(t, []string{srv.Addr})
	p := "Test.Hubs.TestHub"
	f := newForeign(t, srv.Addr, p+":all", p+":internal:groups")
	if err := s.h.Send(ctx5(t), all("x"), msg("Echo", "hi")); err != nil {
		t.Fatal(err)
	}
	ch, v, raw := f.next()
	j, m := framed(t, &protocol.Invocation{Target: "Echo", Arguments: []any{"hi"}})
	want := pack(t, []any{[]string{"x"}, map[string]any{"json": j, "messagepack": m}})
	if ch != p+":all" || raw[0] != 0x92 || len(raw) != len(want) {
		t.Fatalf("all on %q: % x\nwant like % x", ch, raw, want)
	}
	entries := v[1].(map[string]any)
	if !bytes.Equal(entries["json"].([]byte), j) || !bytes.Equal(entries["messagepack"].([]byte), m) {
		t.Fatalf("entries %v", entries)
	}
	// A group change of a connection the Go server does not have goes out
	// as a group command, and the .NET server's ack completes it.
	done := make(chan error, 1)
	go func() { done <- s.h.AddToGroup(context.Background(), "dotnetConn", "g") }()
	ch, v, _ = f.next()
	if ch != p+":internal:groups" || len(v) != 5 || v[1] != s.b.ServerName() || v[3] != "g" || v[4] != "dotnetConn" {
		t.Fatalf("group command on %q: %v", ch, v)
	}
	if action, _ := v[2].(int8); action != 1 {
		t.Fatalf("action %v (%T), want 1", v[2], v[2])
	}
	f.publish(p+":internal:ack:"+s.b.ServerName(), pack(t, []any{v[0]}))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestGoInvokesDotNetConnection(t *testing.T) {
	srv := redistest.Start(t)
	s := newNode(t, []string{srv.Addr}, func(o *Options) { o.ChannelPrefix = "MyApp" })
	p := "Test.Hubs.TestHub"
	f := newForeign(t, srv.Addr, "MyApp"+p+":connection:X")
	type out struct {
		raw string
		err error
	}
	done := make(chan out, 1)
	go func() {
		r, err := s.h.Invoke(context.Background(), "X", "Ask", []any{"q"})
		done <- out{string(r.Result), err}
	}()
	_, v, raw := f.next()
	if raw[0] != 0x94 || len(v) != 4 {
		t.Fatalf("client-result invocation % x", raw)
	}
	id, ret := v[2].(string), v[3].(string)
	if len(id) != 22 || ret != p+":internal:return:"+s.b.ServerName() {
		t.Fatalf("id %q, return channel %q (must not carry the prefix)", id, ret)
	}
	b, _ := protocol.JSON{}.Append(nil, &protocol.Completion{InvocationID: id, Result: protocol.Raw(`"yes"`), HasResult: true})
	f.publish("MyApp"+ret, pack(t, []any{"json", b}))
	if r := <-done; r.err != nil || r.raw != `"yes"` {
		t.Fatalf("got %q, %v", r.raw, r.err)
	}
}
