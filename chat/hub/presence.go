package hub

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/signalr-go/signalr"
)

// Member is a user online in a room.
type Member struct {
	UserID string `json:"userId"`
	Name   string `json:"name"`
}

// userGroup is the group holding every connection of a user: it lets any
// server find out whose a connection of another server is (GroupsOf).
func userGroup(userID string) string { return "user:" + userID }

// presence tells rooms who is online in them, across every server that
// shares the lifetime manager. A user is online in a room while at least
// one of their connections, on any server, is in the room's group, so
// several tabs of one person are one presence.
//
// The truth is the lifetime manager's (Members of the room's group, each
// connection's user found once through its user group and then cached):
// presence never costs a query per message, only per change.
//
// Changes go out as PresenceDelta(roomId, joined, left, online), coalesced per
// room over delay; the list goes only to whoever joins (JoinRoom's
// result). Pages list the first MaxListedMembers online by name, so only
// arrivals among them are sent, each delta with how many are online.
// Each server remembers, per room where it has connections, what its
// clients were last told (view): a change it causes is sent to
// the whole room; every sweep it compares the truth with the view and
// tells its own clients the rest (users of a server that died, changes
// lost during a Redis outage). A change made on another server may so
// reach a client twice, harmlessly: deltas are idempotent. Which of its
// connections a sweep tells is read from the room's group too: other
// servers put them in (invitations) and take them out (removals), and a
// connection taken out must hear nothing more of the room.
type presence struct {
	lm      signalr.LifetimeManager
	clients signalr.HubClients
	name    func(ctx context.Context, userID string) (string, error)
	log     *slog.Logger
	delay   time.Duration
	sweep   time.Duration

	mu    sync.Mutex
	local map[string]*localConn // this server's connections
	known map[string]Member     // connection (any server) -> its user
	rooms map[int64]*roomState  // rooms with local connections or pending changes
	// seq counts the room changes of local connections this server made,
	// for a sweep to tell them from those it may not have seen.
	seq uint64

	kick      chan struct{}
	stop      chan struct{}
	closeOnce sync.Once // App.Shutdown may run twice
	done      chan struct{}
}

type localConn struct {
	who   Member
	rooms map[int64]struct{}
	// changed is seq at this server's last change of the connection's
	// rooms.
	changed uint64
}

type roomState struct {
	local map[string]struct{} // local connections in the room
	view  map[string]Member   // online users as this server's clients were last told; nil: not known yet
	dirty map[string]struct{} // users whose presence this server changed since the last flush
}

func newPresence(srv *signalr.Server, name func(context.Context, string) (string, error), log *slog.Logger, delay, sweep time.Duration) *presence {
	return &presence{lm: srv.LifetimeManager(), clients: srv.Clients(), name: name, log: log, delay: delay, sweep: sweep,
		local: make(map[string]*localConn), known: make(map[string]Member), rooms: make(map[int64]*roomState),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

func (p *presence) room(id int64) *roomState {
	r := p.rooms[id]
	if r == nil {
		r = &roomState{local: make(map[string]struct{}), dirty: make(map[string]struct{})}
		p.rooms[id] = r
	}
	return r
}

// connect records a connection of this server and its user.
func (p *presence) connect(conn string, who Member) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.local[conn] = &localConn{who: who, rooms: make(map[int64]struct{})}
	p.known[conn] = who
}

// entered records that a connection joined a room's group and schedules
// the room's news. A connection of another server only schedules it.
func (p *presence) entered(roomID int64, conn string, who Member) {
	p.mu.Lock()
	r := p.room(roomID)
	if lc := p.local[conn]; lc != nil {
		lc.rooms[roomID] = struct{}{}
		r.local[conn] = struct{}{}
		p.seq++
		lc.changed = p.seq
	}
	r.dirty[who.UserID] = struct{}{}
	p.mu.Unlock()
	p.wake()
}

// left records that a connection left a room's group.
func (p *presence) left(roomID int64, conn string, userID string) {
	p.mu.Lock()
	r := p.room(roomID)
	if lc := p.local[conn]; lc != nil {
		delete(lc.rooms, roomID)
		delete(r.local, conn)
		p.seq++
		lc.changed = p.seq
	}
	r.dirty[userID] = struct{}{}
	p.mu.Unlock()
	p.wake()
}

// disconnect forgets a connection of this server, which the lifetime
// manager has already taken out of every group, and schedules the news
// for its rooms and extra (rooms it may have entered from another server).
func (p *presence) disconnect(conn string, extra []int64) {
	p.mu.Lock()
	lc := p.local[conn]
	delete(p.local, conn)
	delete(p.known, conn)
	if lc == nil {
		p.mu.Unlock()
		return
	}
	for id := range lc.rooms {
		delete(p.room(id).local, conn)
		p.room(id).dirty[lc.who.UserID] = struct{}{}
	}
	for _, id := range extra {
		p.room(id).dirty[lc.who.UserID] = struct{}{}
	}
	p.mu.Unlock()
	p.wake()
}

// localConns returns the ids of this server's connections.
func (p *presence) localConns() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Collect(maps.Keys(p.local))
}

func (p *presence) wake() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// members returns the users online in a room now, sorted by name. While
// the lifetime manager cannot answer (a backplane outage) it returns the
// users of this server's connections in the room, and the error.
func (p *presence) members(ctx context.Context, roomID int64) ([]Member, error) {
	online, err := p.online(ctx, roomID, nil)
	if err != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		online = make(map[string]Member)
		if r := p.rooms[roomID]; r != nil {
			for c := range r.local {
				online[p.local[c].who.UserID] = p.local[c].who
			}
		}
	}
	return sorted(online), err
}

// forgetViews makes the next sweep tell this server's clients everyone
// online, as after a backplane outage: what pages were told meanwhile
// may have come from a presence the backplane was still rebuilding.
func (p *presence) forgetViews() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.rooms {
		r.view = make(map[string]Member)
	}
}

func sorted(users map[string]Member) []Member {
	ms := slices.Collect(maps.Values(users))
	slices.SortFunc(ms, func(a, b Member) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.UserID, b.UserID))
	})
	return ms
}

// online returns the users with a connection in a room's group, on any
// server, by user id, adding the connections to seen (when not nil).
func (p *presence) online(ctx context.Context, roomID int64, seen map[string]struct{}) (map[string]Member, error) {
	conns, err := p.lm.Members(ctx, group(roomID))
	if err != nil {
		return nil, err
	}
	users := make(map[string]Member)
	for _, c := range conns {
		if seen != nil {
			seen[c] = struct{}{}
		}
		p.mu.Lock()
		m, ok := p.known[c]
		p.mu.Unlock()
		if !ok {
			if m, ok, err = p.resolve(ctx, c); err != nil {
				return nil, err
			}
		}
		if ok {
			users[m.UserID] = m
		}
	}
	return users, nil
}

// resolve finds the user of a connection of another server; ok is false
// when the connection is gone or has not joined its user group yet.
func (p *presence) resolve(ctx context.Context, conn string) (Member, bool, error) {
	groups, err := p.lm.GroupsOf(ctx, conn)
	if errors.Is(err, signalr.ErrConnectionNotFound) {
		return Member{}, false, nil
	}
	if err != nil {
		return Member{}, false, err
	}
	for _, g := range groups {
		if id, ok := strings.CutPrefix(g, userGroup("")); ok {
			name, err := p.name(ctx, id)
			if err != nil {
				return Member{}, false, err
			}
			m := Member{UserID: id, Name: name}
			p.mu.Lock()
			p.known[conn] = m
			p.mu.Unlock()
			return m, true, nil
		}
	}
	return Member{}, false, nil
}
