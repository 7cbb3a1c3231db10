// Package hub is the chat application's SignalR hub: rooms, messages and
// their history, presence, typing, read receipts.
//
// Who calls is always the authenticated user of the connection
// (signalr.Context.UserID and User), never a method argument, and every
// method that touches a room checks that the caller is a member of it.
//
// Client methods the hub invokes:
//
//	RoomCreated(room)                   everyone, when a room is created
//	MessageReceived(message)            a room's members
//	PresenceDelta(roomId, [joined members], [left user ids])
//	                                    a room's members, when who is online changes
//	                                    (coalesced; JoinRoom returns the full list)
//	UserTyping(roomId, userId, name)    a room's other members
//	ReadReceipt(read)                   a room's members, when a read mark moves
//	ReadUpTo(unread)                    every connection of the user whose read mark
//	                                    moved: their counts in that room now
//	MembershipChanged(roomId, joined)   every connection of the user who joined or left
//	Resync()                            after a backplane outage: fetch what was missed
package hub
