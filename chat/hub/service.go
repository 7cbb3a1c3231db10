package hub

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

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

// Options configures [New]. The zero value of each field means its
// default.
type Options struct {
	// Server configures the SignalR server; set its LifetimeManager to a
	// backplane's to run the chat on several servers.
	Server signalr.Options
	// PresenceDelay is how long a presence change waits to be sent with
	// the next ones. Default 100 ms.
	PresenceDelay time.Duration
	// PresenceSweep is how often a server compares what its clients were
	// told about presence with the truth, which catches servers that died
	// (their users leave within the backplane's liveness bound plus this;
	// it should be shorter than that bound, or a user who came and went
	// with a dead server between two sweeps may stay). Default 5 s.
	PresenceSweep time.Duration
	// RemoveFile, when set, removes the bytes of a shared file whose
	// message was deleted (its metadata is already gone from the store).
	RemoveFile func(fileID string) error
	// Limits bound what one person may be a member of.
	Limits Limits
	// SearchTime bounds the database time of one search: a common word
	// matches messages all over the server, which the database may have
	// to go through to find the few the caller may read (100 000
	// messages: 110 ms on SQLite, 700 ms on PostgreSQL). Default 300 ms.
	SearchTime time.Duration
}

// Limits bound rooms and conversations; a zero field means its default.
// The counts are read before a membership is added, so people joining at
// the same moment may pass a limit by the few who raced.
type Limits struct {
	// MaxMemberships bounds the rooms and conversations one person is a
	// member of, together: joining, being invited to or starting one more
	// is refused. Default 200.
	MaxMemberships int
	// MaxConversations bounds the conversations one person is a member
	// of (they count in MaxMemberships too). Default 100.
	MaxConversations int
	// MaxConversationSize bounds the people of a conversation, its
	// starter included; at least 2. Default 8.
	MaxConversationSize int
}

func (l Limits) withDefaults() Limits {
	l.MaxMemberships = cmp.Or(max(l.MaxMemberships, 0), 200)
	l.MaxConversations = cmp.Or(max(l.MaxConversations, 0), 100)
	l.MaxConversationSize = max(cmp.Or(l.MaxConversationSize, 8), 2)
	return l
}

// Service holds the chat's real-time logic and the SignalR server that
// exposes it; the rest of the application (file uploads) posts messages
// through it. Its methods are not hub methods: those are on [Hub].
type Service struct {
	store  *store.Store
	log    *slog.Logger
	pres   *presence
	srv    *signalr.Server
	limits Limits
	// searchTime is Options.SearchTime.
	searchTime time.Duration
	// removeFile is Options.RemoveFile.
	removeFile func(fileID string) error
	// lost is set when a message could not be sent to every server (a
	// backplane outage); see Recovered.
	lost atomic.Bool
}

// New returns the service and its SignalR server, configured by opts
// (authentication belongs in opts.Server.Transport.Authenticate; New adds
// a policy that refuses anonymous connections). [Service.Close] stops it.
func New(st *store.Store, opts Options) (*Service, error) {
	s := &Service{store: st, log: opts.Server.Logger, limits: opts.Limits.withDefaults(), removeFile: opts.RemoveFile,
		searchTime: cmp.Or(opts.SearchTime, 300*time.Millisecond)}
	if s.log == nil {
		s.log = slog.Default()
	}
	opts.Server.Authorize = func(p transport.Principal) bool { return p.ID != "" }
	srv, err := signalr.NewServer(Hub{s}, opts.Server)
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	s.srv = srv
	s.pres = newPresence(srv, s.userName, s.log, cmp.Or(opts.PresenceDelay, 100*time.Millisecond),
		cmp.Or(opts.PresenceSweep, 5*time.Second))
	go s.pres.run()
	return s, nil
}

// Close stops the presence announcements; call it after the server's
// Shutdown.
func (s *Service) Close() { s.pres.close() }

func (s *Service) userName(ctx context.Context, userID string) (string, error) {
	u, err := s.store.UserByID(ctx, userID)
	return u.Name, err
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
	m, err := s.addMessage(ctx, m)
	if err != nil {
		return store.Message{}, err
	}
	if err := s.srv.Clients().Group(group(m.RoomID)).Send(ctx, "MessageReceived", m); err != nil {
		s.lost.Store(true)
		s.log.Warn("chat: broadcast message", "room", m.RoomID, "err", err)
	}
	return m, nil
}

// Recovered tells clients to fetch what they missed (Resync) after the
// backplane was away: this server's clients, which may have missed what
// other servers sent meanwhile; and everyone's, when a message of this
// server could not reach the others. Messages are stored before they are
// sent, so fetching them by id loses none; presence is told whole again at
// the next sweep.
func (s *Service) Recovered(ctx context.Context) {
	s.pres.forgetViews()
	to := s.srv.Clients().All()
	if !s.lost.Swap(false) {
		to = s.srv.Clients().Clients(s.pres.localConns()...)
	}
	if err := to.Send(ctx, "Resync"); err != nil {
		s.log.Warn("chat: resync after a backplane outage", "err", err)
	}
}

// enter puts a connection, of this server or another, in a room's
// group; the room hears of it if its user came online.
func (s *Service) enter(ctx context.Context, roomID int64, who Member, conn string) error {
	if err := s.srv.Groups().Add(ctx, conn, group(roomID)); err != nil {
		return err
	}
	s.pres.entered(roomID, conn, who)
	return nil
}

// exit takes a connection of a user out of a room's group.
func (s *Service) exit(ctx context.Context, roomID int64, conn, userID string) error {
	if err := s.srv.Groups().Remove(ctx, conn, group(roomID)); err != nil && !errors.Is(err, signalr.ErrConnectionNotFound) {
		return err
	}
	s.pres.left(roomID, conn, userID)
	return nil
}
