package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/chat/names"
	"github.com/signalr-go/signalr/chat/store"
	"github.com/signalr-go/signalr/transport"
)

// Limits of what a client may send or ask for.
const (
	MaxTextLength = 4000          // characters of one message
	MaxRoomName   = names.MaxRoom // characters of a room name
	HistoryPage   = 50            // messages per page of history
	MaxCatchUp    = 500           // messages per MessagesSince call
)

// Service holds the chat's real-time logic and the SignalR server that
// exposes it; the rest of the application (file uploads) posts messages
// through it. Its methods are not hub methods: those are on [Hub].
type Service struct {
	store *store.Store
	log   *slog.Logger
	pres  *presence
	srv   *signalr.Server
}

// New returns the service and its SignalR server, configured by opts
// (authentication belongs in opts.Transport.Authenticate; New adds a
// policy that refuses anonymous connections).
func New(st *store.Store, opts signalr.Options) (*Service, error) {
	s := &Service{store: st, log: opts.Logger, pres: newPresence()}
	if s.log == nil {
		s.log = slog.Default()
	}
	opts.Authorize = func(p transport.Principal) bool { return p.ID != "" }
	srv, err := signalr.NewServer(Hub{s}, opts)
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	s.srv = srv
	return s, nil
}

// Server returns the SignalR server to mount (it is an http.Handler) and
// to shut down.
func (s *Service) Server() *signalr.Server { return s.srv }

// group is the SignalR group of a room's connected members.
func group(roomID int64) string { return "room:" + strconv.FormatInt(roomID, 10) }

// ErrNotMember is what a client sees when it touches a room it has not
// joined.
var ErrNotMember = &signalr.HubError{Message: "You are not a member of this room."}

// IsMember reports whether a user has joined a room.
func (s *Service) IsMember(ctx context.Context, roomID int64, userID string) (bool, error) {
	return s.store.IsMember(ctx, roomID, userID)
}

// mustBeMember returns ErrNotMember unless the user has joined the room.
func (s *Service) mustBeMember(ctx context.Context, roomID int64, userID string) error {
	ok, err := s.store.IsMember(ctx, roomID, userID)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotMember
	}
	return nil
}

// Post stores a message and sends it to the room's connected members.
// A message the sender already posted (same ClientID) is sent again
// rather than stored twice; clients drop what they have by id.
func (s *Service) Post(ctx context.Context, m store.Message) (store.Message, error) {
	m, _, err := s.store.AddMessage(ctx, m)
	if err != nil {
		return store.Message{}, err
	}
	if err := s.srv.Clients().Group(group(m.RoomID)).Send(ctx, "MessageReceived", m); err != nil {
		s.log.Warn("chat: broadcast message", "room", m.RoomID, "err", err)
	}
	return m, nil
}

// enter puts a connection in a room's group and presence, telling the
// room when its user came online.
func (s *Service) enter(ctx context.Context, roomID int64, who Member, conn string) error {
	if err := s.srv.Groups().Add(ctx, conn, group(roomID)); err != nil {
		return err
	}
	if s.pres.add(roomID, who, conn) {
		s.presenceChanged(ctx, roomID)
	}
	return nil
}

// exit takes a connection out of a room's group and presence.
func (s *Service) exit(ctx context.Context, roomID int64, conn string) error {
	if err := s.srv.Groups().Remove(ctx, conn, group(roomID)); err != nil && !errors.Is(err, signalr.ErrConnectionNotFound) {
		return err
	}
	if s.pres.remove(roomID, conn) {
		s.presenceChanged(ctx, roomID)
	}
	return nil
}

// presenceChanged sends a room's members who is online there now.
func (s *Service) presenceChanged(ctx context.Context, roomID int64) {
	err := s.srv.Clients().Group(group(roomID)).Send(ctx, "PresenceChanged", roomID, s.pres.members(roomID))
	if err != nil {
		s.log.Warn("chat: broadcast presence", "room", roomID, "err", err)
	}
}
