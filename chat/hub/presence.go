package hub

import (
	"cmp"
	"slices"
	"strings"
	"sync"
)

// Member is a user online in a room.
type Member struct {
	UserID string `json:"userId"`
	Name   string `json:"name"`
}

// presence knows which users have connections in which rooms. A user is
// online in a room while at least one of their connections is in it, so
// several tabs of one person are one presence. It covers the connections
// of this process only.
type presence struct {
	mu    sync.Mutex
	rooms map[int64]map[string]*online // room -> user id -> connections
	conns map[string]map[int64]string  // connection -> rooms -> user id
}

type online struct {
	name  string
	conns map[string]struct{}
}

func newPresence() *presence {
	return &presence{rooms: make(map[int64]map[string]*online), conns: make(map[string]map[int64]string)}
}

// add puts a connection of a user in a room and reports whether the user
// just came online there.
func (p *presence) add(room int64, m Member, conn string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	users := p.rooms[room]
	if users == nil {
		users = make(map[string]*online)
		p.rooms[room] = users
	}
	o := users[m.UserID]
	came := o == nil
	if came {
		o = &online{name: m.Name, conns: make(map[string]struct{})}
		users[m.UserID] = o
	}
	o.conns[conn] = struct{}{}
	if p.conns[conn] == nil {
		p.conns[conn] = make(map[int64]string)
	}
	p.conns[conn][room] = m.UserID
	return came
}

// remove takes a connection out of a room and reports whether its user
// went offline there.
func (p *presence) remove(room int64, conn string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.removeLocked(room, conn)
}

func (p *presence) removeLocked(room int64, conn string) bool {
	userID, ok := p.conns[conn][room]
	if !ok {
		return false
	}
	delete(p.conns[conn], room)
	if len(p.conns[conn]) == 0 {
		delete(p.conns, conn)
	}
	o := p.rooms[room][userID]
	delete(o.conns, conn)
	if len(o.conns) > 0 {
		return false
	}
	delete(p.rooms[room], userID)
	if len(p.rooms[room]) == 0 {
		delete(p.rooms, room)
	}
	return true
}

// drop takes a connection out of every room and returns the rooms where
// its user went offline.
func (p *presence) drop(conn string) []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var gone []int64
	for room := range p.conns[conn] {
		if p.removeLocked(room, conn) {
			gone = append(gone, room)
		}
	}
	slices.Sort(gone)
	return gone
}

// has reports whether a connection is in a room.
func (p *presence) has(room int64, conn string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.conns[conn][room]
	return ok
}

// members returns the users online in a room, by name.
func (p *presence) members(room int64) []Member {
	p.mu.Lock()
	defer p.mu.Unlock()
	ms := make([]Member, 0, len(p.rooms[room]))
	for id, o := range p.rooms[room] {
		ms = append(ms, Member{UserID: id, Name: o.name})
	}
	slices.SortFunc(ms, func(a, b Member) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.UserID, b.UserID))
	})
	return ms
}
