package seed

import (
	"unicode/utf8"

	"github.com/signalr-go/signalr"
)

// Limits of what one call may carry, each in characters. The sample has
// none; without them one SendMessage reaches every connection with
// whatever the frame limit lets through, and one connection may put
// itself in any number of groups.
const (
	MaxMessageLength = 4000 // a message (as the chat's, hub.MaxTextLength)
	MaxNameLength    = 100  // a user name, a room or group name
	MaxGroups        = 100  // groups and rooms one connection is in at once
)

// checkText returns a hub error if s, what, is longer than max.
func checkText(what, s string, max int) error {
	if n := utf8.RuneCountInString(s); n > max {
		return signalr.NewHubError("The %s is %d characters long; the limit is %d.", what, n, max)
	}
	return nil
}

// roomForOneMore returns a hub error if the caller may not enter group
// (what: "room name" or "group name"): a name too long, or the caller in
// MaxGroups already.
func roomForOneMore(c *signalr.Context, what, group string) error {
	if err := checkText(what, group, MaxNameLength); err != nil {
		return err
	}
	in, err := c.Server().LifetimeManager().GroupsOf(c, c.ConnectionID())
	if err != nil {
		return err
	}
	if len(in) >= MaxGroups {
		for _, g := range in {
			if g == group {
				return nil // already in: adding again changes nothing
			}
		}
		return signalr.NewHubError("This connection is in %d groups already, the limit; leave one first.", len(in))
	}
	return nil
}
