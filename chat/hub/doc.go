// Package hub is the chat application's SignalR hub: rooms, messages and
// their history, replies, edits, deletions and reactions, search,
// presence, typing, read receipts.
//
// Who calls is always the authenticated user of the connection
// (signalr.Context.UserID and User), never a method argument, and every
// method that touches a room checks that the caller is a member of it.
//
// Rooms are public (listed to everyone, anyone may join), private (listed
// to and entered by members only: to others they do not exist; members
// invite people by name, the owner, who created the room, removes them),
// or conversations (direct messages, kind "dm"): the room of a fixed set
// of 2 to 8 people, one per set, listed apart (Conversations) and named,
// for each member, after the others; a member may leave one, and starting
// it again brings them back. Everything about a room, its
// events included, reaches its members only. How many rooms and
// conversations a person may be in is bounded: see [Limits].
//
// Client methods the hub invokes:
//
//	RoomCreated(room)                   everyone, when a public room is created;
//	                                    the creator's tabs, when a private one is
//	RoomAdded(roomInfo)                 every connection of a person invited to a room
//	RoomRemoved(roomId)                 every connection of a person removed from, or
//	                                    leaving, a private room or a conversation:
//	                                    their pages drop it
//	ConversationStarted(conversation)   every connection of each member of a new conversation
//	MembersChanged(roomId)              a room's members, when its member list changed
//	MessageReceived(message)            a room's members
//	MessageEdited(message)              a room's members; message as it now is
//	MessageDeleted(message)             a room's members; text and file gone, id kept
//	ReactionsChanged(message)           a room's members; message with its reactions
//	PresenceDelta(roomId, [joined members], [left user ids], online)
//	                                    a room's members, when who is online changes
//	                                    (coalesced; JoinRoom returns the first
//	                                    MaxListedMembers by name); online: how many
//	                                    are online in the room now
//	UserTyping(roomId, userId, name)    a room's other members
//	ReadReceipt(read)                   a room's members, when a read mark moves
//	ReadUpTo(unread)                    every connection of the user whose read mark
//	                                    moved: their counts in that room now
//	MembershipChanged(roomId, joined)   every connection of the user who joined or left
//	Resync()                            after a backplane outage: fetch what was missed
package hub
