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
// A server also serves requests for connections another one holds by
// forwarding them to it, so a load balancer in front of them needs no
// sticky sessions: each announces in Redis the address the others reach
// it at (-advertise; default http:// and the listen address, the host
// name for an unspecified host) and they share a secret (-cluster-secret;
// default a random one kept in Redis). -forward=false turns this off.
//
// Every flag has an environment variable (CHAT_ADDR, CHAT_DATA, CHAT_DB,
// CHAT_REDIS, CHAT_ADVERTISE, CHAT_CLUSTER_SECRET, CHAT_MAX_UPLOAD,
// CHAT_LIB, CHAT_DEBUG_ADDR); a flag given on the command line
// wins. Once it accepts connections it prints "listening on http://ADDR".
// SIGINT or SIGTERM shuts it down gracefully: /readyz turns 503, new
// connections are refused, and clients are told to reconnect, spread over
// -drain, which the page does by itself. /metrics serves Prometheus text
// (or on -metrics-addr), /healthz says the process is alive; traces go
// over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.
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
	"strings"
	"syscall"
	"time"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/chat/files"
	"github.com/signalr-go/signalr/chat/server"
	"github.com/signalr-go/signalr/chat/web"
	"github.com/signalr-go/signalr/internal/httpserve"
	"github.com/signalr-go/signalr/internal/telemetry"
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
	tel, err := telemetry.Setup(ctx, "chat")
	if err != nil {
		return err
	}
	defer tel.Shutdown(context.WithoutCancel(ctx))
	var bp *redis.Backplane
	if cfg.redis != "" {
		if bp, err = openBackplane(ctx, cfg.redis, logger); err != nil {
			return err
		}
		defer bp.Close() // after the hubs' shutdown, which unregisters their connections
		cfg.app.LifetimeManager = func(hub string) signalr.LifetimeManager { return bp.Hub(hub, nil) }
	}
	// Listen first: the cluster announces the address.
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	if bp != nil && cfg.forward {
		o := redis.ClusterOptions{Addr: cfg.advertise, Secret: []byte(cfg.secret)}
		if o.Addr == "" {
			o.Addr = advertised(ln.Addr())
		}
		if cfg.app.Cluster, err = bp.Cluster(ctx, o); err != nil {
			ln.Close()
			return fmt.Errorf("-forward: %w", err)
		}
	}
	app, err := server.New(ctx, cfg.app)
	if err != nil {
		ln.Close()
		return err
	}
	if bp != nil {
		go watchReconnects(ctx, bp, app)
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
	if cfg.metricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.metricsAddr)
		if err != nil {
			ln.Close()
			app.Shutdown(context.Background())
			return err
		}
		go serveMetrics(mln, telemetry.Handler(http.NotFoundHandler(), tel, ready(app)), stdout)
		tel = nil // not on the main address
	}
	return serve(ctx, telemetry.Handler(app, tel, ready(app)), app, ln, cfg.app.DrainPeriod, stdout, logger)
}

// ready is the readiness of /readyz: not while draining.
func ready(app *server.App) func() bool { return func() bool { return !app.Draining() } }

// serveMetrics serves /metrics and the probes on their own address, for
// the life of the process.
func serveMetrics(ln net.Listener, h http.Handler, stdout io.Writer) {
	fmt.Fprintf(stdout, "chat: metrics on http://%s/metrics\n", ln.Addr())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	_ = srv.Serve(ln)
}

// serve runs the HTTP server until ctx ends, then shuts down: SignalR
// clients first (they are told to reconnect), then HTTP.
func serve(ctx context.Context, h http.Handler, app *server.App, ln net.Listener, drain time.Duration, stdout io.Writer, logger *slog.Logger) error {
	srv := httpserve.New(httpserve.Config{Handler: h, Logger: logger, AllowedHosts: allowedHosts(ln)})
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "chat: listening on http://%s\n", ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// The drain period, then time for the last clients to go.
	sctx, cancel := context.WithTimeout(context.Background(), max(drain, 0)*4/3+5*time.Second)
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

// advertised is the default address announced to the other servers: the
// listen address, with the host name for an unspecified host.
func advertised(addr net.Addr) string {
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		if h, err := os.Hostname(); err == nil && h != "" {
			host = h
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}

// openBackplane connects to the Redis of a -redis URL.
func openBackplane(ctx context.Context, url string, logger *slog.Logger) (*redis.Backplane, error) {
	bp, err := redis.OpenURL(ctx, url, logger)
	if err != nil {
		return nil, fmt.Errorf("-redis: %w", err)
	}
	return bp, nil
}

type config struct {
	addr        string
	debugAddr   string
	metricsAddr string
	redis       string
	forward     bool
	advertise   string
	secret      string
	level       slog.Level
	app         server.Config
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
	fs.StringVar(&c.redis, "redis", env("CHAT_REDIS", ""), "Redis `URL` of the backplane between servers, redis://host:port or rediss:// for TLS (several servers need -db and one -data too) (CHAT_REDIS)")
	fs.BoolVar(&c.forward, "forward", true, "with -redis, serve requests for connections of the other servers by forwarding them, so that a load balancer needs no sticky sessions")
	fs.StringVar(&c.advertise, "advertise", env("CHAT_ADVERTISE", ""), "with -redis, the `URL` at which the other servers reach this one, http://host:port (default: the listen address) (CHAT_ADVERTISE)")
	fs.StringVar(&c.secret, "cluster-secret", env("CHAT_CLUSTER_SECRET", ""), "with -redis, the `secret` the servers sign connection tokens and forwarded requests with, at least 16 bytes (default: a random one kept in Redis) (CHAT_CLUSTER_SECRET)")
	fs.Int64Var(&c.app.MaxUploadBytes, "max-upload", envInt("CHAT_MAX_UPLOAD", files.DefaultMaxBytes), "size limit of one shared file, in `bytes` (CHAT_MAX_UPLOAD)")
	fs.StringVar(&c.app.LibDir, "lib", env("CHAT_LIB", web.DefaultLibDir), "`folder` of the installed @microsoft/signalr browser client (CHAT_LIB)")
	admins := fs.String("admins", env("CHAT_ADMINS", ""), "comma-separated user `names` that may open the status page /static/admin.html, once they sign in with a password (CHAT_ADMINS)")
	fs.StringVar(&c.metricsAddr, "metrics-addr", env("CHAT_METRICS_ADDR", ""), "serve /metrics, /healthz and /readyz on this `address` instead of the listen address (CHAT_METRICS_ADDR)")
	fs.DurationVar(&c.app.DrainPeriod, "drain", envDuration("CHAT_DRAIN", 10*time.Second), "on SIGTERM, spread the clients' reconnects over this `period` (CHAT_DRAIN)")
	fs.StringVar(&c.debugAddr, "debug-addr", env("CHAT_DEBUG_ADDR", ""), "listen `address` of the profiling endpoint (/debug/pprof/); off when empty, the default; never expose it (CHAT_DEBUG_ADDR)")
	fs.IntVar(&c.app.Limits.MaxMemberships, "max-rooms", int(envInt("CHAT_MAX_ROOMS", 200)), "the most rooms and conversations one person may be a member of, together (CHAT_MAX_ROOMS)")
	fs.IntVar(&c.app.Limits.MaxConversations, "max-conversations", int(envInt("CHAT_MAX_CONVERSATIONS", 100)), "the most conversations (direct messages) one person may have (CHAT_MAX_CONVERSATIONS)")
	fs.IntVar(&c.app.Limits.MaxConversationSize, "max-conversation-size", int(envInt("CHAT_MAX_CONVERSATION_SIZE", 8)), "the most people in one conversation, its starter included (CHAT_MAX_CONVERSATION_SIZE)")
	fs.BoolVar(&c.app.Limits.TrustForwardedFor, "trust-forwarded-for", envInt("CHAT_TRUST_FORWARDED_FOR", 0) != 0, "take each client's address, which the per-address limits count, from the last X-Forwarded-For entry: only behind a reverse proxy that sets it, or clients choose their address (CHAT_TRUST_FORWARDED_FOR=1)")
	verbose := fs.Bool("v", false, "log at debug level")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *admins != "" {
		c.app.Admins = strings.Split(*admins, ",")
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

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(env(name, "")); err == nil && d > 0 {
		return d
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
