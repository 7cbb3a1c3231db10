// Command chat runs the chat application: a multi-room chat with
// history, presence, typing indicators, read receipts and file sharing,
// served over SignalR to the official browser client, plus the ASP.NET
// Core sample chat hub at /chatHub for clients written for it.
//
//	go run ./cmd/chat [-addr 127.0.0.1:8080] [-data ./data] [-db postgres://...] [-redis redis://host:port]
//
// With -redis, several chat servers sharing one PostgreSQL database (-db)
// and one data folder (-data) act as one: every hub goes through the
// Redis backplane (the seed's /chatHub under the name of the ASP.NET
// sample's hub, ChatApp.Hubs.ChatHub), and presence spans the servers.
//
// Every flag has an environment variable (CHAT_ADDR, CHAT_DATA, CHAT_DB,
// CHAT_REDIS, CHAT_MAX_UPLOAD, CHAT_LIB, CHAT_DEBUG_ADDR); a flag given on
// the command line
// wins. Once it accepts connections it prints "listening on http://ADDR".
// SIGINT or SIGTERM shuts it down gracefully: clients are told to
// reconnect, which the page does by itself.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/chat/files"
	"github.com/signalr-go/signalr/chat/server"
	"github.com/signalr-go/signalr/chat/web"
	"github.com/signalr-go/signalr/internal/httpserve"
	"github.com/signalr-go/signalr/redis"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "chat:", err)
		}
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.level}))
	if !web.LibInstalled(cfg.app.LibDir) {
		logger.Warn("the SignalR browser client is missing: run scripts/deps.sh (or set -lib)", "lib", cfg.app.LibDir)
	}
	cfg.app.Logger = logger
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var bp *redis.Backplane
	if cfg.redis != "" {
		if bp, err = openBackplane(ctx, cfg.redis, logger); err != nil {
			return err
		}
		defer bp.Close() // after the hubs' shutdown, which unregisters their connections
		cfg.app.LifetimeManager = func(hub string) signalr.LifetimeManager { return bp.Hub(hub, nil) }
	}
	app, err := server.New(ctx, cfg.app)
	if err != nil {
		return err
	}
	if bp != nil {
		go watchReconnects(ctx, bp, app)
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		app.Shutdown(context.Background())
		return err
	}
	if cfg.debugAddr != "" {
		dln, err := net.Listen("tcp", cfg.debugAddr)
		if err != nil {
			ln.Close()
			app.Shutdown(context.Background())
			return err
		}
		defer dln.Close()
		go serveDebug(dln, logger)
	}
	return serve(ctx, app, ln, stdout, logger)
}

// serve runs the HTTP server until ctx ends, then shuts down: SignalR
// clients first (they are told to reconnect), then HTTP.
func serve(ctx context.Context, app *server.App, ln net.Listener, stdout io.Writer, logger *slog.Logger) error {
	srv := httpserve.New(httpserve.Config{Handler: app, Logger: logger, AllowedHosts: allowedHosts(ln)})
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "chat: listening on http://%s\n", ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := errors.Join(app.Shutdown(sctx), srv.Shutdown(sctx))
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// serveDebug serves the runtime's profiles (goroutines, heap...) under
// /debug/pprof/ on their own listener, never on the application's.
func serveDebug(ln net.Listener, logger *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	logger.Info("debug endpoint", "addr", ln.Addr().String())
	_ = srv.Serve(ln)
}

// watchReconnects tells the application each time the backplane came
// back after an outage, until ctx ends.
func watchReconnects(ctx context.Context, bp *redis.Backplane, app *server.App) {
	seen := bp.Stats().Reconnects
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n := bp.Stats().Reconnects; n != seen {
			seen = n
			app.BackplaneRecovered(ctx)
		}
	}
}

// openBackplane connects to the Redis of a -redis URL.
func openBackplane(ctx context.Context, url string, logger *slog.Logger) (*redis.Backplane, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("-redis: %w", err)
	}
	opts.Logger = logger
	bp, err := redis.Open(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("-redis: %w", err)
	}
	return bp, nil
}

type config struct {
	addr      string
	debugAddr string
	redis     string
	level     slog.Level
	app       server.Config
}

// parseFlags reads the flags, whose defaults come from the environment.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: chat [flags]\n\nRuns the chat application. Each flag's default comes from the environment variable named in its description.\n\nFlags:")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.addr, "addr", env("CHAT_ADDR", "127.0.0.1:8080"), "listen `address` (CHAT_ADDR)")
	fs.StringVar(&c.app.DataDir, "data", env("CHAT_DATA", "./data"), "data `folder`: SQLite database, token signing key, shared files (CHAT_DATA)")
	fs.StringVar(&c.app.DB, "db", env("CHAT_DB", ""), "PostgreSQL `URL` (postgres://user@host/db) instead of SQLite in the data folder, for several servers (CHAT_DB)")
	fs.StringVar(&c.redis, "redis", env("CHAT_REDIS", ""), "Redis `URL` of the backplane between servers, redis://host:port (several servers need -db and one -data too) (CHAT_REDIS)")
	fs.Int64Var(&c.app.MaxUploadBytes, "max-upload", envInt("CHAT_MAX_UPLOAD", files.DefaultMaxBytes), "size limit of one shared file, in `bytes` (CHAT_MAX_UPLOAD)")
	fs.StringVar(&c.app.LibDir, "lib", env("CHAT_LIB", web.DefaultLibDir), "`folder` of the installed @microsoft/signalr browser client (CHAT_LIB)")
	fs.StringVar(&c.debugAddr, "debug-addr", env("CHAT_DEBUG_ADDR", ""), "listen `address` of the profiling endpoint (/debug/pprof/); off when empty, the default; never expose it (CHAT_DEBUG_ADDR)")
	verbose := fs.Bool("v", false, "log at debug level")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c.level = slog.LevelInfo
	if *verbose {
		c.level = slog.LevelDebug
	}
	return c, nil
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func envInt(name string, def int64) int64 {
	var n int64
	if _, err := fmt.Sscan(env(name, ""), &n); err == nil && n > 0 {
		return n
	}
	return def
}
