package hub

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/signalr-go/signalr"
)

// presenceTimeout bounds each query and send of the presence loop, so
// that a Redis outage delays presence news instead of stopping them.
const presenceTimeout = 5 * time.Second

// run announces presence changes until close: a change waits delay (to
// be coalesced with the next ones) and then every room with changes is
// flushed; every sweep interval the rooms with local connections are
// compared with the truth.
func (p *presence) run() {
	defer close(p.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-p.stop
		cancel()
	}()
	tick := time.NewTicker(p.sweep)
	defer tick.Stop()
	wait := time.NewTimer(0)
	<-wait.C
	for {
		select {
		case <-p.stop:
			return
		case <-p.kick:
			wait.Reset(p.delay)
			select {
			case <-p.stop:
				return
			case <-wait.C:
			}
			p.flushAll(ctx)
		case <-tick.C:
			p.flushAll(ctx) // before the sweep, which leaves pending changes to it
			p.sweepAll(ctx)
		}
	}
}

// close stops the loop and waits for it.
func (p *presence) close() {
	p.closeOnce.Do(func() { close(p.stop) })
	<-p.done
}

func (p *presence) flushAll(ctx context.Context) {
	p.mu.Lock()
	var ids []int64
	for id, r := range p.rooms {
		if len(r.dirty) > 0 {
			ids = append(ids, id)
		}
	}
	p.mu.Unlock()
	slices.Sort(ids)
	for _, id := range ids {
		p.flush(ctx, id)
	}
}

// flush tells a room's members, on every server, how the users whose
// presence this server changed stand now.
func (p *presence) flush(ctx context.Context, roomID int64) {
	ctx, cancel := context.WithTimeout(ctx, presenceTimeout)
	defer cancel()
	p.mu.Lock()
	r := p.room(roomID)
	dirty := r.dirty
	r.dirty = make(map[string]struct{})
	p.mu.Unlock()

	truth, err := p.online(ctx, roomID, nil)
	p.mu.Lock()
	r = p.room(roomID)
	if err != nil {
		maps.Copy(r.dirty, dirty) // tried again at the next change or sweep
		p.mu.Unlock()
		p.log.Warn("chat: presence", "room", roomID, "err", err)
		return
	}
	// A room this server knew nothing of starts from the truth, and its
	// own changes are told as they stand.
	fresh := r.view == nil
	if fresh {
		r.view = maps.Clone(truth)
	}
	// Only arrivals among the first MaxListedMembers by name are told
	// (pages list no more), or else thousands reconnecting at once to a
	// big room (a server restarting) would each be sent to everyone;
	// the count tells of the others.
	listed := firstByName(truth, MaxListedMembers)
	changed := false
	joined, left := []Member{}, []string{}
	for _, u := range slices.Sorted(maps.Keys(dirty)) {
		m, now := truth[u]
		_, was := r.view[u]
		switch {
		case now && (fresh || !was):
			if listed.has(u) {
				joined = append(joined, m)
			}
			r.view[u] = m
			changed = true
		case !now && (fresh || was):
			left = append(left, u)
			delete(r.view, u)
			changed = true
		}
	}
	p.forget(roomID)
	p.mu.Unlock()
	if changed {
		p.announce(ctx, p.clients.Group(group(roomID)), roomID, joined, left, len(truth))
	}
}

// forget drops the state of a room that has neither local connections
// nor pending changes. Called with mu held.
func (p *presence) forget(roomID int64) {
	if r := p.rooms[roomID]; r != nil && len(r.local) == 0 && len(r.dirty) == 0 {
		delete(p.rooms, roomID)
	}
}

// sweepAll tells this server's clients what changed in their rooms
// without this server's doing (a server that died, news lost in an
// outage), and forgets the users of connections no longer seen.
func (p *presence) sweepAll(ctx context.Context) {
	p.mu.Lock()
	ids := slices.Sorted(maps.Keys(p.rooms))
	p.mu.Unlock()
	seen := make(map[string]struct{})
	complete := true
	for _, id := range ids {
		complete = p.sweepRoom(ctx, id, seen) && complete
	}
	if !complete {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.known {
		if _, ok := seen[c]; !ok && p.local[c] == nil {
			delete(p.known, c)
		}
	}
}

func (p *presence) sweepRoom(ctx context.Context, roomID int64, seen map[string]struct{}) bool {
	ctx, cancel := context.WithTimeout(ctx, presenceTimeout)
	defer cancel()
	p.mu.Lock()
	before := p.seq
	p.mu.Unlock()
	in := make(map[string]struct{})
	truth, err := p.online(ctx, roomID, in)
	if err != nil {
		p.log.Warn("chat: presence sweep", "room", roomID, "err", err)
		return false
	}
	maps.Copy(seen, in)
	p.mu.Lock()
	r := p.rooms[roomID]
	if r == nil {
		p.mu.Unlock()
		return true
	}
	p.settle(roomID, r, in, before)
	if len(r.local) == 0 {
		p.forget(roomID)
		p.mu.Unlock()
		return true
	}
	if r.view == nil {
		r.view = make(map[string]Member)
	}
	// As in flush: telling of all would send a big room's whole list
	// to every local client after an outage (forgetViews).
	listed := firstByName(truth, MaxListedMembers)
	changed := false
	joined, left := []Member{}, []string{}
	for u, m := range truth {
		if _, pending := r.dirty[u]; !pending && r.view[u] != m {
			if listed.has(u) {
				joined = append(joined, m)
			}
			r.view[u] = m
			changed = true
		}
	}
	for u := range r.view {
		if _, pending := r.dirty[u]; !pending && !has(truth, u) {
			left = append(left, u)
			delete(r.view, u)
			changed = true
		}
	}
	targets := slices.Collect(maps.Keys(r.local))
	p.mu.Unlock()
	if changed {
		p.announce(ctx, p.clients.Clients(targets...), roomID, joined, left, len(truth))
	}
	return true
}

// listedSet is the set of users a page lists; nil: everyone.
type listedSet map[string]struct{}

func (l listedSet) has(userID string) bool {
	_, ok := l[userID]
	return l == nil || ok
}

// firstByName returns the ids of the first n users by name, or nil when
// there are no more than n (without sorting them).
func firstByName(users map[string]Member, n int) listedSet {
	if len(users) <= n {
		return nil
	}
	ids := make(listedSet, n)
	for _, m := range sorted(users)[:n] {
		ids[m.UserID] = struct{}{}
	}
	return ids
}

// settle makes a room's local connections those of this server in its
// group (in): another server may have put one in or taken one out (an
// invitation, a removal by the owner), and a connection taken out must
// hear nothing more of the room. A connection whose rooms this server
// changed since before (seq when the group was read) is left as it is:
// in may predate that change. Called with mu held.
func (p *presence) settle(roomID int64, r *roomState, in map[string]struct{}, before uint64) {
	for c := range r.local {
		if _, ok := in[c]; ok {
			continue
		}
		if lc := p.local[c]; lc == nil || lc.changed <= before {
			delete(r.local, c)
			if lc != nil {
				delete(lc.rooms, roomID)
			}
		}
	}
	for c := range in {
		if lc := p.local[c]; lc != nil && lc.changed <= before {
			r.local[c] = struct{}{}
			lc.rooms[roomID] = struct{}{}
		}
	}
}

// announce sends a room's changes to some of its clients, with how many
// are online in it now.
func (p *presence) announce(ctx context.Context, to signalr.ClientProxy, roomID int64, joined []Member, left []string, online int) {
	if err := to.Send(ctx, "PresenceDelta", roomID, joined, left, online); err != nil {
		p.log.Warn("chat: presence", "room", roomID, "err", err)
	}
}

func has(users map[string]Member, id string) bool {
	_, ok := users[id]
	return ok
}
