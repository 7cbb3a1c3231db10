package hub

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
