package hub

import "context"

// Members returns the people online in a room, sorted by name, for the
// status page.
func (s *Service) Members(_ context.Context, roomID int64) ([]Member, error) {
	return s.pres.members(roomID), nil
}
