package hub

import "context"

// Members returns the people online in a room, on every server, sorted
// by name, for the status page.
func (s *Service) Members(ctx context.Context, roomID int64) ([]Member, error) {
	return s.pres.members(ctx, roomID)
}
