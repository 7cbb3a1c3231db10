// Package admin is the chat's live status page for administrators: a
// SignalR hub (at /hubs/admin) that pushes a status every second to the
// administrators connected to it (connections by hub, transport and
// protocol, messages per second over the last five minutes, the rooms
// with the most people online, the rooms counted by kind, the people
// online, the servers of the cluster) and lets them disconnect a user.
//
// Who is an administrator: the user names the operator lists (cmd/chat's
// -admins, CHAT_ADMINS), and only once that name is protected by a
// password, so that nobody else can sign in under it. Every call is
// checked on the server; the page (static/admin.html) only shows.
package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/chat/store"
	"github.com/signalr-go/signalr/transport"
)

// Config configures the status service.
type Config struct {
	// Admins are the administrators' user names (case-insensitive).
	Admins []string
	// Store finds users (an administrator needs a password) and rooms.
	Store *store.Store
	// Hubs are the servers whose connections the page shows, by name.
	Hubs map[string]*signalr.Server
	// Members returns the people online in a room.
	Members func(ctx context.Context, roomID int64) ([]User, error)
	// Nodes returns the servers of the cluster; nil when there is one.
	Nodes func(ctx context.Context) ([]string, error)
	// Options are the admin hub's options (authentication, logger).
	Options signalr.Options
	// Interval is how often the status is pushed. Default 1 s.
	Interval time.Duration
}

// historyLen is how many samples the chart keeps: five minutes.
const historyLen = 300

// Service runs the admin hub and its status pushes.
type Service struct {
	cfg    Config
	admins map[string]bool
	srv    *signalr.Server
	log    *slog.Logger

	mu      sync.Mutex
	history []Sample // oldest first
	pres    presence
	last    signalr.Stats
	lastAt  time.Time

	stop chan struct{}
	done chan struct{}
}

// Sample is one point of the messages-per-second chart.
type Sample struct {
	At  int64   `json:"at"` // Unix milliseconds
	In  float64 `json:"in"`
	Out float64 `json:"out"`
}

// Status is what the page shows.
type Status struct {
	At          int64        `json:"at"`
	Connections []Connection `json:"connections"`
	History     []Sample     `json:"history"`
	Received    int64        `json:"received"` // messages from clients since the server started
	Sent        int64        `json:"sent"`     // messages to clients since the server started
	Rooms       []Room       `json:"rooms"`
	RoomCounts  RoomCounts   `json:"roomCounts"`
	People      []User       `json:"people"`
	Nodes       []string     `json:"nodes"`
}

// Connection counts the connections of one hub, transport and protocol.
type Connection struct {
	Hub       string `json:"hub"`
	Transport string `json:"transport"`
	Protocol  string `json:"protocol"`
	Count     int    `json:"count"`
}

// New creates the admin hub and starts pushing statuses.
func New(cfg Config) (*Service, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	s := &Service{cfg: cfg, admins: map[string]bool{}, stop: make(chan struct{}), done: make(chan struct{}), log: cfg.Options.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	for _, a := range cfg.Admins {
		if a = strings.TrimSpace(a); a != "" {
			s.admins[strings.ToLower(a)] = true
		}
	}
	opts := cfg.Options
	opts.HubName = "Admin"
	opts.Authorize = s.isAdmin
	srv, err := signalr.NewServer(Hub{s}, opts)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	s.srv = srv
	s.last, s.lastAt = s.traffic(), time.Now()
	go s.run()
	return s, nil
}

// Server returns the admin hub's server, to mount at /hubs/admin.
func (s *Service) Server() *signalr.Server { return s.srv }

// Shutdown stops the pushes and the hub.
func (s *Service) Shutdown(ctx context.Context) error {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
	return s.srv.Shutdown(ctx)
}

// isAdmin is the hub's authorization: a listed name protected by a
// password.
func (s *Service) isAdmin(p transport.Principal) bool {
	if p.ID == "" || !s.admins[strings.ToLower(p.Name)] {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u, err := s.cfg.Store.UserByID(ctx, p.ID)
	return err == nil && u.PasswordHash != "" && strings.EqualFold(u.Name, p.Name)
}

// run samples the traffic every interval and pushes the status to the
// administrators connected.
func (s *Service) run() {
	defer close(s.done)
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.sample()
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Interval)
		if n, _ := s.srv.ConnectionCount(ctx); n > 0 {
			st, err := s.status(ctx)
			if err == nil {
				err = s.srv.Clients().All().Send(ctx, "status", st)
			}
			if err != nil {
				s.log.Warn("admin: pushing the status", "error", err)
			}
		}
		cancel()
	}
}

// traffic sums the messages of the watched hubs.
func (s *Service) traffic() signalr.Stats {
	var sum signalr.Stats
	for _, h := range s.cfg.Hubs {
		st := h.Stats()
		sum.MessagesReceived += st.MessagesReceived
		sum.MessagesSent += st.MessagesSent
	}
	return sum
}

// sample adds a point to the chart: messages per second since the last.
func (s *Service) sample() {
	now, t := time.Now(), s.traffic()
	s.mu.Lock()
	defer s.mu.Unlock()
	secs := now.Sub(s.lastAt).Seconds()
	if secs <= 0 {
		return
	}
	p := Sample{At: now.UnixMilli(),
		In:  float64(t.MessagesReceived-s.last.MessagesReceived) / secs,
		Out: float64(t.MessagesSent-s.last.MessagesSent) / secs}
	s.last, s.lastAt = t, now
	s.history = append(s.history, p)
	if len(s.history) > historyLen {
		s.history = slices.Delete(s.history, 0, len(s.history)-historyLen)
	}
}

// status gathers what the page shows.
func (s *Service) status(ctx context.Context) (Status, error) {
	st := Status{At: time.Now().UnixMilli(), Connections: []Connection{}, Rooms: []Room{}, People: []User{}, Nodes: []string{}}
	names := make([]string, 0, len(s.cfg.Hubs))
	for name := range s.cfg.Hubs {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, c := range s.cfg.Hubs[name].Stats().Connections {
			st.Connections = append(st.Connections, Connection{Hub: name, Transport: c.Transport, Protocol: c.Protocol, Count: c.Count})
		}
	}
	s.mu.Lock()
	st.History = slices.Clone(s.history)
	s.mu.Unlock()
	t := s.traffic()
	st.Received, st.Sent = t.MessagesReceived, t.MessagesSent
	if st.History == nil {
		st.History = []Sample{}
	}
	if err := s.rooms(ctx, &st); err != nil {
		return st, err
	}
	if s.cfg.Nodes != nil {
		if nodes, err := s.cfg.Nodes(ctx); err != nil {
			s.log.Debug("admin: servers", "error", err) // the backplane is down: none listed
		} else {
			st.Nodes = nodes
		}
	}
	return st, nil
}

// errNoUser refuses to disconnect nobody.
var errNoUser = errors.New("admin: no user id")

// Hub is the admin hub's methods; the hub authorizes every connection.
type Hub struct{ s *Service }

// Status returns the status now (the page's first paint).
func (h Hub) Status(c *signalr.Context) (Status, error) { return h.s.status(c) }

// DisconnectUser closes every connection of a user on every watched hub
// (on every server, through the lifetime manager) with a Close that does
// not allow reconnecting. It does not revoke the person's sign-in: a page
// started again connects again.
func (h Hub) DisconnectUser(c *signalr.Context, userID string) error {
	if userID == "" {
		return signalr.NewHubError("%v", errNoUser)
	}
	h.s.log.Info("admin: disconnecting a user", "user", userID, "by", c.UserID())
	var errs []error
	for _, srv := range h.s.cfg.Hubs {
		errs = append(errs, srv.DisconnectUser(c, userID, signalr.NewHubError("Disconnected by an administrator.")))
	}
	return errors.Join(errs...)
}

// User is a person online.
type User struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}
