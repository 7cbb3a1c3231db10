package server

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/chat/hub"
	"github.com/signalr-go/signalr/chat/store"
	"github.com/signalr-go/signalr/protocol"
)

// twoServers runs two applications on one data folder whose hubs share
// lifetime managers, as two servers on one backplane do (the Redis one
// has its own tests; here the chat's side of it is tested).
// The second server sees the shared state through dead, which hides the
// connections of a server that died.
func twoServers(t *testing.T, sweep time.Duration) (a, b *bench, dead *deadServer) {
	lms := map[string]signalr.LifetimeManager{
		SeedHubName: signalr.NewMemoryLifetimeManager(),
		ChatHubName: signalr.NewMemoryLifetimeManager(),
	}
	cfg := Config{DataDir: t.TempDir(), PresenceSweep: sweep,
		LifetimeManager: func(name string) signalr.LifetimeManager { return lms[name] }}
	a = newBench(t, cfg)
	dead = &deadServer{LifetimeManager: lms[ChatHubName]}
	cfg.LifetimeManager = func(name string) signalr.LifetimeManager {
		if name == ChatHubName {
			return dead
		}
		return lms[name]
	}
	b = newBench(t, cfg)
	return a, b, dead
}

// deadServer is a lifetime manager whose presence answers leave out the
// connections of a server that died, as a backplane's do once that
// server's liveness has run out.
type deadServer struct {
	signalr.LifetimeManager
	mu   sync.Mutex
	gone []string
	// unreachable makes sends fail after serving everyone, as a backplane
	// does whose Redis is down (its own recipients are served).
	unreachable bool
	// lagging makes Connections miss every connection, as a backplane's
	// answer may miss one that just arrived (its state is written in
	// batches).
	lagging bool
}

func (d *deadServer) Connections(ctx context.Context, userID string) ([]string, error) {
	ids, err := d.LifetimeManager.Connections(ctx, userID)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lagging {
		return nil, err
	}
	return ids, err
}

var errUnreachable = errors.New("the backplane is unreachable")

func (d *deadServer) Send(ctx context.Context, t signalr.Target, m *protocol.Prepared) error {
	err := d.LifetimeManager.Send(ctx, t, m)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.unreachable {
		return errUnreachable
	}
	return err
}

func (d *deadServer) kill(connIDs ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gone = append(d.gone, connIDs...)
}

func (d *deadServer) Members(ctx context.Context, group string) ([]string, error) {
	ids, err := d.LifetimeManager.Members(ctx, group)
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.DeleteFunc(ids, func(id string) bool { return slices.Contains(d.gone, id) }), err
}

func TestChatAcrossServers(t *testing.T) {
	na, nb, dead := twoServers(t, 100*time.Millisecond)
	ann, bob, cid := na.login("Ann", ""), nb.login("Bob", ""), na.login("Cid", "")
	ca, _ := na.dial("/hubs/chat", ann.Token)
	cb, _ := nb.dial("/hubs/chat", bob.Token)
	var st hub.RoomState
	ca.must(&st, "JoinRoom", 1)
	cb.must(&st, "JoinRoom", 1)
	if len(st.Members) != 2 {
		t.Fatalf("bob, on the second server, sees %+v online", st.Members)
	}
	for d := ca.delta(); !slices.ContainsFunc(d.joined, func(m hub.Member) bool { return m.UserID == bob.UserID }); d = ca.delta() {
	}

	// Messages, typing, read receipts and new rooms cross servers.
	var sent, got store.Message
	ca.must(&sent, "SendMessage", 1, "hello", "m1")
	cb.event("MessageReceived", &got)
	if got.ID != sent.ID {
		t.Errorf("bob got %+v", got)
	}
	cb.must(nil, "Typing", 1)
	var typer string
	ca.event("UserTyping", new(int64), new(string), &typer)
	if typer != "Bob" {
		t.Errorf("typing: %q", typer)
	}
	cb.must(nil, "MarkRead", 1, sent.ID)
	var r store.Read
	ca.event("ReadReceipt", &r)
	if r.UserID != bob.UserID {
		t.Errorf("receipt: %+v", r)
	}
	var room store.Room
	cb.must(&room, "CreateRoom", "ops")
	var created store.Room
	ca.event("RoomCreated", &created)
	if created.ID != room.ID {
		t.Errorf("room created: %+v", created)
	}

	// Bob's second tab on ann's server: joining a room from it brings his
	// tab on the other server along, and closing one tab is no news.
	cb2, _ := na.dial("/hubs/chat", bob.Token)
	cb2.must(nil, "JoinRoom", room.ID)
	var joinedRoom int64
	var joined bool
	cb.event("MembershipChanged", &joinedRoom, &joined)
	if joinedRoom != room.ID || !joined {
		t.Errorf("membership: %d %v", joinedRoom, joined)
	}
	cb.must(nil, "Typing", room.ID) // the other server knows bob's first tab is in the room
	cb2.ws.Close()
	waitConns(t, na.app, bob.UserID, 1)
	cc, _ := na.dial("/hubs/chat", cid.Token)
	cc.must(nil, "JoinRoom", 1)
	if d := ca.delta(); len(d.left) != 0 || len(d.joined) != 1 || d.joined[0].UserID != cid.UserID {
		t.Errorf("one of bob's tabs closed: %+v, want only cid joining", d)
	}

	// A server that dies says nothing: cid's connection vanishes from the
	// shared state alone, and the other server's sweep tells bob. (A
	// backplane keeps a dead server's connections for its liveness bound,
	// longer than a sweep, so the sweep has seen cid before: here that is
	// waited for, as the sweep repeating cid's arrival to bob.)
	for n := 0; n < 2; {
		if d := cb.delta(); slices.ContainsFunc(d.joined, func(m hub.Member) bool { return m.UserID == cid.UserID }) {
			n++
		}
	}
	cids, _ := dead.Connections(context.Background(), cid.UserID)
	if len(cids) != 1 {
		t.Fatalf("cid's connections: %v", cids)
	}
	dead.kill(cids...)
	for d := cb.delta(); !slices.Contains(d.left, cid.UserID); d = cb.delta() {
		if len(d.left) != 0 {
			t.Fatalf("bob was told %+v", d)
		}
	}
}

// After a backplane outage a server tells its own clients to fetch what
// they missed, and everyone's when one of its messages did not go out.
func TestResyncAfterAnOutage(t *testing.T) {
	na, nb, dead := twoServers(t, time.Hour)
	ann, bob := na.login("Ann", ""), nb.login("Bob", "")
	ca, _ := na.dial("/hubs/chat", ann.Token)
	cb, _ := nb.dial("/hubs/chat", bob.Token)
	ca.must(nil, "JoinRoom", 1)
	cb.must(nil, "JoinRoom", 1)

	na.app.BackplaneRecovered(context.Background())
	ca.event("Resync")
	if cb.seen("Resync") {
		t.Error("the other server's client was told to resync")
	}

	dead.mu.Lock()
	dead.unreachable = true
	dead.mu.Unlock()
	var m store.Message
	cb.must(&m, "SendMessage", 1, "during the outage", "o1")
	dead.mu.Lock()
	dead.unreachable = false
	dead.mu.Unlock()
	nb.app.BackplaneRecovered(context.Background())
	ca.event("Resync")
	var missed []store.Message
	ca.must(&missed, "MessagesSince", 1, m.ID-1)
	if len(missed) != 1 || missed[0].Text != "during the outage" {
		t.Errorf("what ann fetches: %+v", missed)
	}
	// The lost message is told once: the next recovery is local again.
	cb.events = nil
	ca.events = nil
	nb.app.BackplaneRecovered(context.Background())
	cb.event("Resync")
	if ca.seen("Resync") {
		t.Error("a second recovery told everyone again")
	}
}

// Joining a room brings the caller's own connection in, even when the
// backplane does not know of it yet.
func TestJoinWhileTheBackplaneLags(t *testing.T) {
	na, nb, dead := twoServers(t, time.Hour)
	ann, bob := na.login("Ann", ""), nb.login("Bob", "")
	ca, _ := na.dial("/hubs/chat", ann.Token)
	cb, _ := nb.dial("/hubs/chat", bob.Token)
	var room store.Room
	ca.must(&room, "CreateRoom", "ops")
	dead.mu.Lock()
	dead.lagging = true
	dead.mu.Unlock()
	cb.must(nil, "JoinRoom", room.ID)
	ca.must(nil, "SendMessage", room.ID, "hello", "")
	var got store.Message
	cb.event("MessageReceived", &got)
	if got.Text != "hello" {
		t.Errorf("bob got %+v", got)
	}
	cb.must(nil, "LeaveRoom", room.ID)
	if members, _ := dead.Members(context.Background(), "room:"+itoa(room.ID)); len(members) != 1 {
		t.Errorf("after bob left, the room's group holds %v", members)
	}
}
