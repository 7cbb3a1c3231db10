package hub

import (
	"cmp"
	"slices"
	"strings"
)

// Online returns how many people (several tabs are one person) are online
// in each room that has anyone, by room id, on this server.
func (s *Service) Online() map[int64]int {
	p := s.pres
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[int64]int, len(p.rooms))
	for room, people := range p.rooms {
		if len(people) > 0 {
			out[room] = len(people)
		}
	}
	return out
}

// People returns the people online in any room of this server, sorted by
// name.
func (s *Service) People() []Member {
	p := s.pres
	p.mu.Lock()
	seen := map[string]Member{}
	for _, people := range p.rooms {
		for id, o := range people {
			seen[id] = Member{UserID: id, Name: o.name}
		}
	}
	p.mu.Unlock()
	out := make([]Member, 0, len(seen))
	for _, m := range seen {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Member) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.UserID, b.UserID))
	})
	return out
}
