package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/chat/admin"
	"github.com/signalr-go/signalr/chat/files"
	"github.com/signalr-go/signalr/chat/hub"
	"github.com/signalr-go/signalr/chat/identity"
	"github.com/signalr-go/signalr/chat/seed"
	"github.com/signalr-go/signalr/chat/store"
	"github.com/signalr-go/signalr/chat/web"
	"github.com/signalr-go/signalr/transport"
)

// KeepAliveInterval is how often the chat hub pings an idle page. The
// page gives up on a silent server after twice as long (its
// serverTimeoutInMilliseconds, 10 s), so a frozen server shows as
// reconnecting within about 10 s instead of the default 30 s.
const KeepAliveInterval = 5 * time.Second

// Config configures the application.
type Config struct {
	// DataDir holds the SQLite database (unless DB is set), the token
	// signing key and the shared files.
	DataDir string
	// DB is a PostgreSQL URL; empty means SQLite in DataDir.
	DB string
	// MaxUploadBytes bounds one shared file. Default 10 MiB.
	MaxUploadBytes int64
	// LibDir is the folder of the official browser client
	// (@microsoft/signalr's dist/browser), served at /lib/.
	LibDir string
	// TokenTTL is how long a sign-in lasts. Default 30 days.
	TokenTTL time.Duration
	// Logger receives diagnostics. Default slog.Default().
	Logger *slog.Logger
	// DrainPeriod spreads the clients' reconnects on Shutdown (see
	// signalr.Options.DrainPeriod). Default 10 s.
	DrainPeriod time.Duration
	// Admins are the user names that may open the status page, once
	// protected by a password (see package admin).
	Admins []string
	// Limits bound sign-in, account and room creation, messages and
	// uploads per client address and per person; zero means defaults.
	Limits Limits
	// RevocationPoll is how often the server asks the database for tokens
	// revoked on other servers (sign-out, password change): the longest a
	// revoked token keeps working elsewhere. Default 2 s.
	RevocationPoll time.Duration
	// LifetimeManager, when set, returns the lifetime manager of each
	// SignalR hub, by the hub's name on a backplane ([SeedHubName],
	// [ChatHubName]): a backplane's, so that several servers act as one.
	// Nil: each hub has its own in-memory manager (one server).
	LifetimeManager func(hubName string) signalr.LifetimeManager
	// Cluster, when set, lets the servers of a backplane serve each
	// other's connections (see [transport.Cluster]), so that a load
	// balancer in front of them needs no sticky sessions. Nil: each
	// server serves only the connections it holds.
	Cluster *transport.Cluster
	// PresenceSweep is how often each server checks presence for servers
	// that died; see [hub.Options]. Default 5 s.
	PresenceSweep time.Duration
}

// The hubs' names on a backplane. The seed hub's is that of the ASP.NET
// Core sample it reproduces, so that the sample running on .NET can share
// the backplane with this server.
const (
	SeedHubName = "ChatApp.Hubs.ChatHub"
	ChatHubName = "SignalRGo.Chat.ChatHub"
)

// App is the running application, an http.Handler.
type App struct {
	store   *store.Store
	signer  *identity.Signer
	seed    *signalr.Server
	chat    *hub.Service
	admin   *admin.Service
	handler http.Handler
	ttl     time.Duration
	log     *slog.Logger
	limits  *limiters
	revoker *revoker
}

// New opens the database (migrating it) and the key, and builds every
// part of the application.
func New(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 30 * 24 * time.Hour
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("chat: data folder: %w", err)
	}
	a := &App{ttl: cfg.TokenTTL, log: cfg.Logger}
	var err error
	if a.limits, err = newLimiters(cfg.Limits); err != nil {
		return nil, err
	}
	if a.signer, err = openSigner(cfg); err != nil {
		return nil, err
	}
	dsn := cfg.DB
	if dsn == "" {
		dsn = filepath.Join(cfg.DataDir, "chat.db")
	}
	if a.store, err = store.Open(ctx, dsn); err != nil {
		return nil, err
	}
	if a.revoker, err = newRevoker(a.store, cfg.Logger, cfg.RevocationPoll, 0); err != nil {
		a.store.Close()
		return nil, err
	}
	if err := a.build(cfg); err != nil {
		a.store.Close()
		return nil, err
	}
	a.revoker.srv = func() []*signalr.Server { return []*signalr.Server{a.chat.Server(), a.seed} }
	go a.revoker.run()
	return a, nil
}

func openSigner(cfg Config) (*identity.Signer, error) {
	key, err := identity.LoadOrCreateKey(filepath.Join(cfg.DataDir, "token.key"))
	if err != nil {
		return nil, err
	}
	return identity.NewSigner(key, cfg.TokenTTL)
}

// minNegotiateVersion refuses negotiate version 0, whose connection token
// is the connection id: the sample hub broadcasts ids, so anyone could
// take over a version 0 client's long polls.
const minNegotiateVersion = 1

// build wires the hubs and handlers into one mux.
func (a *App) build(cfg Config) error {
	lm := func(string) signalr.LifetimeManager { return nil }
	if cfg.LifetimeManager != nil {
		lm = cfg.LifetimeManager
	}
	var err error
	var fh *files.Handler // made after the hub, which posts its messages
	a.seed, err = signalr.NewServer(seed.Hub{}, signalr.Options{Logger: cfg.Logger, LifetimeManager: lm(SeedHubName),
		DrainPeriod: cfg.DrainPeriod, HubName: "ChatHub", Filters: a.seedFilters(),
		Transport: transport.Options{Authenticate: a.optionalUser, MinNegotiateVersion: minNegotiateVersion, Cluster: cfg.Cluster}})
	if err != nil {
		return err
	}
	a.chat, err = hub.New(a.store, hub.Options{Server: signalr.Options{Logger: cfg.Logger, KeepAliveInterval: KeepAliveInterval,
		LifetimeManager: lm(ChatHubName), DrainPeriod: cfg.DrainPeriod, HubName: "Chat",
		Filters: a.chatFilters(),
		Transport: transport.Options{Authenticate: a.requiredUser, AllowStatefulReconnect: true,
			MinNegotiateVersion: minNegotiateVersion, Cluster: cfg.Cluster}},
		PresenceSweep: cfg.PresenceSweep, RemoveFile: func(id string) error { return fh.Remove(id) },
		Limits: hub.Limits{MaxMemberships: cfg.Limits.MaxMemberships, MaxConversations: cfg.Limits.MaxConversations,
			MaxConversationSize: cfg.Limits.MaxConversationSize}, SearchTime: cfg.Limits.SearchTime})
	if err != nil {
		return err
	}
	fh, err = files.New(files.Config{Dir: filepath.Join(cfg.DataDir, "files"), MaxBytes: cfg.MaxUploadBytes,
		Store: a.store, Post: a.chat.Post, Authenticate: a.fileUser, Logger: cfg.Logger,
		Quota: a.limits.quota, Admit: a.admitUpload})
	if err != nil {
		a.chat.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/chatHub", a.seed)
	mux.Handle("/chatHub/", a.seed)
	mux.Handle("/hubs/chat", a.chat.Server())
	mux.Handle("/hubs/chat/", a.chat.Server())
	mux.Handle("POST /api/login", http.HandlerFunc(a.login))
	mux.Handle("POST /api/logout", http.HandlerFunc(a.logout))
	mux.Handle("POST /api/session", http.HandlerFunc(a.session))
	mux.Handle("POST /api/password", http.HandlerFunc(a.changePassword))
	mux.Handle("/api/", fh)
	if err := a.buildAdmin(cfg, mux); err != nil {
		return err
	}
	mux.Handle("/", web.Handler(cfg.LibDir))
	a.handler = mux
	return nil
}

// BackplaneRecovered tells clients to fetch what they missed while the
// backplane was away; call it when the backplane has reconnected.
func (a *App) BackplaneRecovered(ctx context.Context) { a.chat.Recovered(ctx) }

// ServeHTTP implements http.Handler.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.handler.ServeHTTP(w, r) }

// Store returns the application's database.
func (a *App) Store() *store.Store { return a.store }

// Draining reports whether Shutdown has begun.
func (a *App) Draining() bool { return a.chat.Server().Draining() }

// Shutdown tells every SignalR client to reconnect and waits, until ctx
// ends, for their connections to close; then it closes the database.
func (a *App) Shutdown(ctx context.Context) error {
	a.revoker.close()
	// The hubs drain at once, each over the drain period.
	seedErr, adminErr := make(chan error, 1), make(chan error, 1)
	go func() { seedErr <- a.seed.Shutdown(ctx) }()
	go func() { adminErr <- a.admin.Shutdown(ctx) }()
	err := a.chat.Server().Shutdown(ctx)
	err = errors.Join(<-seedErr, <-adminErr, err)
	a.chat.Close()
	return errors.Join(err, a.store.Close())
}

// admitUpload applies the upload rate limit and the bounds of uploads at
// once (see uploading).
func (a *App) admitUpload(w http.ResponseWriter, r *http.Request, userID string) (func(), bool) {
	if d := a.limits.uploads.take(userID); d > 0 {
		tooMany(w, "uploads", d)
		return nil, false
	}
	done, what := a.limits.uploading.enter(userID, a.limits.clientAddr(r))
	if done == nil {
		w.Header().Set("Retry-After", "5")
		http.Error(w, "too many uploads at once "+what+": try again when one has ended", http.StatusTooManyRequests)
		return nil, false
	}
	return done, true
}
