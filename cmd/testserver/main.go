// Command testserver hosts the hubs and endpoints that the official
// JavaScript client's functional test suite expects (/testhub, /echo,
// /authorizedhub, ...), plus the hubs this project's own interop tests use.
//
// With -redis URL (redis://host:port, see redis.ParseURL) the interop hubs
// go through the Redis backplane, so that several test servers act as one
// (interop/test/cluster.test.mjs), and each forwards the requests for
// connections another server holds to it (-forward, on by default), so
// that they work behind a balancer without sticky sessions
// (interop/test/lb.test.mjs).
//
// It listens on -addr (default: a free loopback port) and prints
// "listening on http://ADDR" once it accepts connections. With -tls it
// serves HTTPS instead ("listening on https://ADDR"), with a self-signed
// certificate for 127.0.0.1, ::1 and localhost made at start, so that the
// suite's HTTPS tests run (clients must skip verifying it). SIGINT or
// SIGTERM shuts it down gracefully: clients are told to reconnect.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/signalr-go/signalr/internal/httpserve"
	"github.com/signalr-go/signalr/redis"
	"github.com/signalr-go/signalr/transport"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	verbose := flag.Bool("v", false, "log at debug level")
	redisURL := flag.String("redis", "", "Redis `URL` of a backplane for the interop hubs")
	useTLS := flag.Bool("tls", false, "serve HTTPS with a self-signed certificate made at start")
	forward := flag.Bool("forward", true, "with -redis and without -tls, serve requests for connections of the other servers by forwarding them (no sticky sessions needed)")
	flag.Parse()
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if err := run(*addr, *redisURL, *useTLS, *forward, logger); err != nil {
		fmt.Fprintln(os.Stderr, "testserver:", err)
		os.Exit(1)
	}
}

func run(addr, redisURL string, useTLS, forward bool, logger *slog.Logger) error {
	a := newApp(logger)
	if err := a.openBackplane(context.Background(), redisURL); err != nil {
		return err
	}
	if a.bp != nil {
		defer a.bp.Close() // after the hubs' shutdown, which unregisters their connections
	}
	// Listen first: the cluster announces the address.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := httpserve.New(httpserve.Config{Handler: a, Logger: logger})
	a.baseURL = "http://" + ln.Addr().String()
	var tlsConfig *tls.Config
	if useTLS {
		if tlsConfig, err = selfSignedTLS(time.Now()); err != nil {
			return err
		}
		a.baseURL = "https://" + ln.Addr().String()
	}
	if a.bp != nil && forward && !useTLS { // the self-signed certificate would fail the forwarding
		if a.cluster, err = a.bp.Cluster(context.Background(), redis.ClusterOptions{Addr: a.baseURL}); err != nil {
			return fmt.Errorf("-forward: %w", err)
		}
	}
	if err := a.mountFunctional(); err != nil {
		return err
	}
	if err := a.mountInterop(); err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			errc <- srv.ServeTLS(ln, tlsConfig)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	fmt.Printf("listening on %s\n", a.baseURL)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case err := <-errc:
		return err
	case <-sig:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a.shutdown(ctx)
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// app routes requests: hub endpoints by case-insensitive path prefix (the
// JS suite negotiates "/testHub" for a hub mounted at "/testhub"), and
// everything else through a ServeMux.
type app struct {
	logger    *slog.Logger
	baseURL   string
	endpoints []endpoint
	mux       *http.ServeMux
	shutdowns []func(context.Context) error
	bp        *redis.Backplane   // nil without -redis
	cluster   *transport.Cluster // nil without -redis or with -forward=false
}

type endpoint struct {
	path    string // lower case, no trailing slash
	handler http.Handler
}

func newApp(logger *slog.Logger) *app {
	return &app{logger: logger, mux: http.NewServeMux()}
}

// mountEndpoint serves h at path and below, in any letter case; shutdown,
// when not nil, runs when the server stops.
func (a *app) mountEndpoint(path string, h http.Handler, shutdown func(context.Context) error) {
	a.endpoints = append(a.endpoints, endpoint{path: strings.ToLower(strings.TrimSuffix(path, "/")), handler: h})
	if shutdown != nil {
		a.shutdowns = append(a.shutdowns, shutdown)
	}
}

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := strings.ToLower(r.URL.Path)
	for _, e := range a.endpoints {
		if p == e.path || strings.HasPrefix(p, e.path+"/") {
			e.handler.ServeHTTP(w, r)
			return
		}
	}
	a.mux.ServeHTTP(w, r)
}

func (a *app) shutdown(ctx context.Context) {
	for _, f := range a.shutdowns {
		if err := f(ctx); err != nil {
			a.logger.Warn("shutdown", "err", err)
		}
	}
}
