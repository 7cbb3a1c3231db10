package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/transport"
)

// The interop hub endpoints, all serving interopHub with options that
// the tests in interop/test/*.test.mjs rely on:
//
//	/interop/hub          the main hub: stateful reconnect allowed, 1 s
//	                      pings, 1 MiB messages, short disconnect and poll
//	                      timeouts, a method policy and a filter
//	/interop/detailed     the same with EnableDetailedErrors
//	/interop/small        the defaults (32 KiB messages), for size limits
//	/interop/authorized   refuses anonymous users (401)
//	/interop/quiet        pings once a minute: the client's serverTimeout fires
//	/interop/strict       a 1 s ClientTimeoutInterval: a silent client is closed
//	/interop/strict-stateful
//	                      2 s ClientTimeoutInterval, stateful reconnect
//	/interop/restartable  replaced by POST /interop/restart, whose Shutdown
//	                      tells its clients to reconnect
//
// Users come from the "user" query parameter or the X-User header. The hub
// context of /interop/hub is reachable over plain HTTP under /interop/ctx/
// (see interop_context.go).
const (
	iopMainPath           = "/interop/hub"
	iopDetailedPath       = "/interop/detailed"
	iopSmallPath          = "/interop/small"
	iopAuthorizedPath     = "/interop/authorized"
	iopQuietPath          = "/interop/quiet"
	iopStrictPath         = "/interop/strict"
	iopStrictStatefulPath = "/interop/strict-stateful"
	iopRestartablePath    = "/interop/restartable"
)

// mountInterop mounts the hubs of this project's own interop tests.
func (a *app) mountInterop() error {
	hub := &interopHub{rec: newIOPRecorder()}
	base := func(path string) signalr.Options {
		return signalr.Options{
			Transport: transport.Options{
				Path:         path,
				Authenticate: iopUser,
			},
			MethodPolicies: map[string]signalr.Policy{"AdminOnly": iopIsAdmin},
			Filters:        []signalr.Filter{hub.filter()},
			Logger:         a.logger,
		}
	}
	main := base(iopMainPath)
	main.Transport.AllowStatefulReconnect = true
	main.Transport.DisconnectTimeout = 5 * time.Second
	main.Transport.PollTimeout = 2 * time.Second
	main.KeepAliveInterval = time.Second
	main.MaximumReceiveMessageSize = 1 << 20

	detailed := main
	detailed.Transport.Path = iopDetailedPath
	detailed.EnableDetailedErrors = true

	authorized := base(iopAuthorizedPath)
	authorized.Authorize = func(p transport.Principal) bool { return p.ID != "" }

	quiet := base(iopQuietPath)
	quiet.KeepAliveInterval = time.Minute

	strict := base(iopStrictPath)
	strict.KeepAliveInterval = 500 * time.Millisecond
	strict.ClientTimeoutInterval = time.Second

	strictStateful := strict
	strictStateful.Transport.Path = iopStrictStatefulPath
	strictStateful.Transport.AllowStatefulReconnect = true
	strictStateful.Transport.DisconnectTimeout = 5 * time.Second
	strictStateful.ClientTimeoutInterval = 2 * time.Second

	mainSrv, err := a.mountInteropHub(hub, main)
	if err != nil {
		return err
	}
	for _, o := range []signalr.Options{detailed, base(iopSmallPath), authorized, quiet, strict, strictStateful} {
		if _, err := a.mountInteropHub(hub, o); err != nil {
			return err
		}
	}
	rs, err := newIOPRestartable(hub, base(iopRestartablePath)) // in memory: each restart is a new server
	if err != nil {
		return err
	}
	a.mountEndpoint(iopRestartablePath, rs, rs.shutdown)
	a.mux.HandleFunc("POST /interop/restart", rs.restart)
	(&iopHubContext{srv: mainSrv, logger: a.logger}).register(a.mux)
	return nil
}

// mountInteropHub serves hub with o at o.Transport.Path, through the
// backplane with -redis.
func (a *app) mountInteropHub(hub *interopHub, o signalr.Options) (*signalr.Server, error) {
	o.LifetimeManager = a.lifetimeManager(o.Transport.Path)
	if o.LifetimeManager != nil {
		o.Transport.Cluster = a.cluster
	}
	srv, err := signalr.NewServer(hub, o)
	if err != nil {
		return nil, fmt.Errorf("interop hub %s: %w", o.Transport.Path, err)
	}
	a.mountEndpoint(o.Transport.Path, srv, srv.Shutdown)
	return srv, nil
}

// iopUser names the user of a request: the "user" query parameter,
// which the clients keep on every request of a connection, or the X-User
// header. Neither means anonymous.
func iopUser(r *http.Request) (transport.Principal, error) {
	u := r.URL.Query().Get("user")
	if u == "" {
		u = r.Header.Get("X-User")
	}
	return transport.Principal{ID: u, Name: u}, nil
}

// iopIsAdmin is the policy of the AdminOnly method.
func iopIsAdmin(p transport.Principal) bool { return strings.EqualFold(p.ID, "admin") }

// iopRestartable serves a hub that POST /interop/restart replaces: the old
// server shuts down (its clients get a Close that allows reconnecting) and
// a fresh one takes over, as when a real server restarts.
type iopRestartable struct {
	hub  *interopHub
	opts signalr.Options
	mu   sync.Mutex // serializes restarts
	cur  atomic.Pointer[signalr.Server]
}

func newIOPRestartable(hub *interopHub, o signalr.Options) (*iopRestartable, error) {
	srv, err := signalr.NewServer(hub, o)
	if err != nil {
		return nil, fmt.Errorf("interop hub %s: %w", o.Transport.Path, err)
	}
	rs := &iopRestartable{hub: hub, opts: o}
	rs.cur.Store(srv)
	return rs, nil
}

// ServeHTTP implements http.Handler with the current server.
func (rs *iopRestartable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rs.cur.Load().ServeHTTP(w, r)
}

// restart shuts the current server down, waiting up to 5 s for its
// clients to leave, then serves a new one. The old server stays current
// while it shuts down, so that long polls still fetch their Close message;
// reconnecting clients are refused meanwhile and retry.
func (rs *iopRestartable) restart(w http.ResponseWriter, r *http.Request) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	next, err := signalr.NewServer(rs.hub, rs.opts)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	serr := rs.cur.Load().Shutdown(ctx)
	rs.cur.Store(next)
	if serr != nil {
		http.Error(w, fmt.Sprintf("shutdown: %v", serr), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rs *iopRestartable) shutdown(ctx context.Context) error { return rs.cur.Load().Shutdown(ctx) }
