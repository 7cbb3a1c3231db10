package server

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/chat/hub"
	"github.com/signalr-go/signalr/chat/store"
	"github.com/signalr-go/signalr/internal/redistest"
	"github.com/signalr-go/signalr/redis"
)

// redisServers runs two applications on one data folder, each with its
// own backplane on a throwaway redis-server, as cmd/chat -redis does.
func redisServers(t *testing.T, sweep time.Duration) (a, b *bench) {
	t.Helper()
	srv := redistest.Start(t)
	cfg := Config{DataDir: t.TempDir(), PresenceSweep: sweep}
	open := func() *bench {
		bp, err := redis.Open(context.Background(), redis.Options{Addrs: []string{srv.Addr}, Logger: discard()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { bp.Close() }) // after the application's shutdown, registered next
		cfg.LifetimeManager = func(name string) signalr.LifetimeManager { return bp.Hub(name, nil) }
		return newBench(t, cfg)
	}
	return open(), open()
}

// joinedIn reports whether a presence delta says a user came online.
func joinedIn(d presenceDelta, userID string) bool {
	return slices.ContainsFunc(d.joined, func(m hub.Member) bool { return m.UserID == userID })
}

// leftIn reports whether a presence delta of a room says a user went
// offline.
func leftIn(d presenceDelta, roomID int64, userID string) bool {
	return d.room == roomID && slices.Contains(d.left, userID)
}

// A member who stops being one on another server hears nothing more of
// the room from their own server either: its presence sweep, which tells
// its connections what changed in their rooms, no longer counts them in.
// Removed by the owner, or leaving from a tab on the other server.
func TestFormerMemberGetsNoPresenceFromTheirServer(t *testing.T) {
	for _, how := range []string{"removed", "left"} {
		t.Run(how, func(t *testing.T) { testFormerMember(t, how == "left") })
	}
}

func testFormerMember(t *testing.T, leaves bool) {
	na, nb := redisServers(t, 50*time.Millisecond)
	ann, bob, dan := na.login("Ann", ""), nb.login("Bob", ""), nb.login("Dan", "")
	ca, _ := na.dial("/hubs/chat", ann.Token)
	var secret store.Room
	ca.must(&secret, "CreateRoomWith", "secret", private)
	ca.must(nil, "InviteToRoom", secret.ID, "Bob")
	ca.must(nil, "InviteToRoom", secret.ID, "Dan")
	// Bob and Dan come online on their server, which so is the only one
	// to tell of them: once Dan hears of himself, it has told them who
	// is online (Bob among them).
	cb, _ := nb.dial("/hubs/chat", bob.Token)
	cb.must(nil, "Rooms")
	cd, _ := nb.dial("/hubs/chat", dan.Token)
	for d := cd.delta(); d.room != secret.ID || !joinedIn(d, dan.UserID); d = cd.delta() {
	}

	cb.seen("") // what Bob was told as a member
	cb.events = nil
	// Bob's pages are told he is out, and nothing else of the room.
	want := []string{"MembershipChanged", "RoomRemoved"}
	if leaves {
		tab, _ := na.dial("/hubs/chat", bob.Token)
		tab.must(nil, "LeaveRoom", secret.ID)
		want = []string{"RoomRemoved", "MembershipChanged"}
	} else {
		ca.must(nil, "RemoveFromRoom", secret.ID, bob.UserID)
	}
	// Dan hears that Bob left twice: from Ann's server, and again from
	// his own server's sweep, which so has run since.
	for n := 0; n < 2; {
		if leftIn(cd.delta(), secret.ID, bob.UserID) {
			n++
		}
	}
	if got := cb.leaks(secret.ID); !slices.Equal(got, want) {
		t.Errorf("bob, out of the room on the other server, received %v, want %v", got, want)
	}
}

// A member invited from another server is told by their own server's
// sweep what only a sweep tells (a server that died), like the members
// who opened the room there.
func TestInvitedMemberGetsPresenceFromTheirServer(t *testing.T) {
	na, nb, dead := twoServers(t, 50*time.Millisecond)
	ann, cid := na.login("Ann", ""), na.login("Cid", "")
	bob, dan := nb.login("Bob", ""), nb.login("Dan", "")
	ca, _ := na.dial("/hubs/chat", ann.Token)
	cb, _ := nb.dial("/hubs/chat", bob.Token)
	var secret store.Room
	ca.must(&secret, "CreateRoomWith", "secret", private)
	for _, name := range []string{"Bob", "Cid", "Dan"} {
		ca.must(nil, "InviteToRoom", secret.ID, name) // Bob, online, is put in by Ann's server
	}
	cd, _ := nb.dial("/hubs/chat", dan.Token)
	for d := cd.delta(); d.room != secret.ID || !joinedIn(d, dan.UserID); d = cd.delta() {
	}
	cc, _ := na.dial("/hubs/chat", cid.Token)
	cc.must(nil, "Rooms")
	for n := 0; n < 2; { // the second time from Dan's server's sweep, which has seen Cid
		if d := cd.delta(); d.room == secret.ID && joinedIn(d, cid.UserID) {
			n++
		}
	}
	cids, _ := dead.Connections(context.Background(), cid.UserID)
	dead.kill(cids...)
	for d := cb.delta(); !leftIn(d, secret.ID, cid.UserID); d = cb.delta() {
	}
}

// pausing is a lifetime manager whose first addition to a group waits
// until release is closed, after closing arrived.
type pausing struct {
	signalr.LifetimeManager
	mu      sync.Mutex
	group   string
	arrived chan struct{}
	release chan struct{}
}

func (p *pausing) AddToGroup(ctx context.Context, conn, group string) error {
	p.mu.Lock()
	hold := group == p.group
	if hold {
		p.group = "" // once
	}
	p.mu.Unlock()
	if hold {
		close(p.arrived)
		<-p.release
	}
	return p.LifetimeManager.AddToGroup(ctx, conn, group)
}

// pausedPair builds two chat servers sharing one in-memory lifetime
// manager: the second reaches it through p, which can hold one entry into
// a group (p.group) until p.release is closed.
func pausedPair(t *testing.T) (na, nb *bench, lm signalr.LifetimeManager, p *pausing) {
	lm = signalr.NewMemoryLifetimeManager()
	p = &pausing{LifetimeManager: lm, arrived: make(chan struct{}), release: make(chan struct{})}
	serve := func(m signalr.LifetimeManager) Config {
		return Config{DataDir: t.TempDir(), PresenceSweep: time.Hour,
			LifetimeManager: func(name string) signalr.LifetimeManager {
				if name == ChatHubName {
					return m
				}
				return nil
			}}
	}
	cfg := serve(lm)
	na = newBench(t, cfg)
	cfg.LifetimeManager = serve(p).LifetimeManager
	return na, newBench(t, cfg), lm, p
}

// A tab that connects while its person is removed from a room, on
// another server, does not stay in the room: its server read the person's
// rooms before the removal, and entered it after.
func TestRemovedWhileConnecting(t *testing.T) {
	na, nb, lm, p := pausedPair(t)
	ann, bob := na.login("Ann", ""), nb.login("Bob", "")
	ca, _ := na.dial("/hubs/chat", ann.Token)
	var secret store.Room
	ca.must(&secret, "CreateRoomWith", "secret", private)
	ca.must(nil, "InviteToRoom", secret.ID, "Bob")

	room := "room:" + itoa(secret.ID)
	p.mu.Lock()
	p.group = room
	p.mu.Unlock()
	dialed := make(chan *hubClient)
	go func() {
		cb, _ := nb.dial("/hubs/chat", bob.Token)
		dialed <- cb
	}()
	<-p.arrived // Bob's new tab read his rooms, and is about to enter this one
	ca.must(nil, "RemoveFromRoom", secret.ID, bob.UserID)
	close(p.release)
	cb := <-dialed
	cb.must(nil, "Rooms")
	ca.must(nil, "SendMessage", secret.ID, "after Bob was removed", "")
	if got := cb.leaks(secret.ID); slices.Contains(got, "MessageReceived") {
		t.Errorf("the tab that connected during the removal got %v", got)
	}
	if userInGroup(lm, room, bob.UserID) {
		t.Errorf("bob's tab is in the room's group %s", room)
	}
}

// A member who opens a private room while its owner removes them, on
// another server, is not left in the room: their server checked the
// membership before the removal and entered the room after it.
func TestRemovedWhileOpeningTheRoom(t *testing.T) {
	na, nb, lm, p := pausedPair(t)
	ann, bob := na.login("Ann", ""), nb.login("Bob", "")
	ca, _ := na.dial("/hubs/chat", ann.Token)
	cb, _ := nb.dial("/hubs/chat", bob.Token)
	var secret store.Room
	ca.must(&secret, "CreateRoomWith", "secret", private)
	ca.must(nil, "InviteToRoom", secret.ID, "Bob")
	cb.must(nil, "Rooms") // Bob's tab has heard of the invitation

	room := "room:" + itoa(secret.ID)
	p.mu.Lock()
	p.group = room
	p.mu.Unlock()
	opened := make(chan string)
	go func() {
		var st hub.RoomState
		opened <- cb.call(&st, "JoinRoom", secret.ID)
	}()
	<-p.arrived // Bob is a member, and his tab is about to enter the room
	ca.must(nil, "RemoveFromRoom", secret.ID, bob.UserID)
	close(p.release)
	if e := <-opened; !strings.Contains(e, "There is no room") {
		t.Errorf("JoinRoom during the removal: %q, want the missing-room answer", e)
	}
	var mine []hub.RoomInfo
	cb.must(&mine, "Rooms")
	if slices.ContainsFunc(mine, func(r hub.RoomInfo) bool { return r.ID == secret.ID }) {
		t.Errorf("Bob is a member again: %+v", mine)
	}
	ca.must(nil, "SendMessage", secret.ID, "after Bob was removed", "")
	if got := cb.leaks(secret.ID); slices.Contains(got, "MessageReceived") {
		t.Errorf("the tab that opened the room during the removal got %v", got)
	}
	if userInGroup(lm, room, bob.UserID) {
		t.Errorf("bob's tab is in the room's group %s", room)
	}
}

// userInGroup reports whether a connection of the user is in group, on
// any server sharing lm.
func userInGroup(lm signalr.LifetimeManager, group, userID string) bool {
	conns, _ := lm.Members(context.Background(), group)
	return slices.ContainsFunc(conns, func(c string) bool {
		gs, _ := lm.GroupsOf(context.Background(), c)
		return slices.Contains(gs, "user:"+userID)
	})
}
