package admin

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/signalr-go/signalr/chat/store"
)

// The bounds of one status's rooms. Presence is asked room by room (in a
// cluster a backplane round trip each, and the lifetime manager cannot
// list its groups), so a status asks at most maxLookups rooms, the next
// ones in turn, and shows the others as last seen: with R rooms every
// room is fresh within R/maxLookups statuses. It lists at most maxListed
// rooms, those with the most people online.
const (
	maxLookups = 100
	maxListed  = 50
)

// Room is a public or private room with people online in it.
// Conversations are only counted: who talks to whom is not the
// administrator's to see.
type Room struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Kind   string `json:"kind"` // store.KindPublic or store.KindPrivate
	Online int    `json:"online"`
}

// RoomCounts counts the rooms by kind, and those with people online.
type RoomCounts struct {
	Public        int `json:"public"`
	Private       int `json:"private"`
	Conversations int `json:"conversations"`
	// RoomsOnline counts the public and private rooms with people online
	// (Rooms lists the first maxListed of them).
	RoomsOnline int `json:"roomsOnline"`
	// ConversationsOnline counts the conversations with people online.
	ConversationsOnline int `json:"conversationsOnline"`
}

// presence is what the status pages were last told of the rooms.
type presence struct {
	online map[int64][]User // by room, as last asked
	next   int              // where in the rooms, by id, the next lookups start
}

// rooms fills in the status's rooms, their counts and the people online.
func (s *Service) rooms(ctx context.Context, st *Status) error {
	all, err := s.cfg.Store.Rooms(ctx)
	if err != nil {
		return err
	}
	online := s.lookUp(ctx, all)
	people := map[string]User{}
	for _, r := range all {
		n := len(online[r.ID])
		for _, u := range online[r.ID] {
			people[u.ID] = u
		}
		switch r.Kind {
		case store.KindDM:
			st.RoomCounts.Conversations++
			if n > 0 {
				st.RoomCounts.ConversationsOnline++
			}
			continue
		case store.KindPrivate:
			st.RoomCounts.Private++
		default:
			st.RoomCounts.Public++
		}
		if n > 0 {
			st.Rooms = append(st.Rooms, Room{ID: r.ID, Name: r.Name, Kind: r.Kind, Online: n})
		}
	}
	st.RoomCounts.RoomsOnline = len(st.Rooms)
	slices.SortFunc(st.Rooms, func(a, b Room) int {
		return cmp.Or(b.Online-a.Online, strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	st.Rooms = st.Rooms[:min(len(st.Rooms), maxListed)]
	st.People = slices.AppendSeq(st.People, maps.Values(people))
	slices.SortFunc(st.People, func(a, b User) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.ID, b.ID))
	})
	return nil
}

// lookUp asks the presence of the next maxLookups rooms and returns the
// people online in each room of all, as last seen.
func (s *Service) lookUp(ctx context.Context, all []store.Room) map[int64][]User {
	s.mu.Lock()
	from := s.pres.next
	s.mu.Unlock()
	if from >= len(all) {
		from = 0
	}
	n := min(len(all), maxLookups)
	asked := make(map[int64][]User, n)
	for i := range n {
		r := all[(from+i)%len(all)]
		var online []User
		if s.cfg.Members != nil {
			var err error
			// During a backplane outage the members are this server's
			// only, with an error: shown as they are.
			if online, err = s.cfg.Members(ctx, r.ID); err != nil {
				s.log.Debug("admin: room members", "room", r.ID, "error", err)
			}
		}
		asked[r.ID] = online
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pres.next = from + n
	fresh := make(map[int64][]User, len(all))
	for _, r := range all { // rooms deleted meanwhile are forgotten
		if u, ok := asked[r.ID]; ok {
			fresh[r.ID] = u
		} else if u, ok := s.pres.online[r.ID]; ok {
			fresh[r.ID] = u
		}
	}
	s.pres.online = fresh
	return fresh
}
