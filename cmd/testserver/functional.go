package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/transport"
)

// mountFunctional mounts the official functional test suite's hubs and
// endpoints (see backplane-and-tests.md §2.1): /testhub,
// /testhub-nowebsockets, /uncreatable, /authorizedhub, /echo,
// /generateJwtToken, /clientresult/{id}, /redirect, /echoredirect,
// /bad-negotiate and /deployment. Each is wrapped in the suite's
// middleware (permissive CORS, cookies on negotiate), which is scoped to
// these endpoints so that the other hubs of this server keep the library's
// own behaviour.
func (a *app) mountFunctional() error {
	jwt, err := newJWTSigner()
	if err != nil {
		return err
	}
	// Both TestHub endpoints share one lifetime manager, as they share
	// IHubContext<TestHub> in ASP.NET Core: /clientresult reaches either.
	lm := signalr.NewMemoryLifetimeManager()
	hubOpts := func(transports transport.Type) signalr.Options {
		return signalr.Options{
			EnableDetailedErrors: true,
			LifetimeManager:      lm,
			Logger:               a.logger,
			Transport: transport.Options{
				Transports: transports,
				// The suite's browser runs are cross-origin (Karma's page).
				CheckOrigin: func(*http.Request) bool { return true },
			},
		}
	}
	hub := testHub{logger: a.logger}
	testSrv, err := a.mountFunctionalHub("/testhub", hub, hubOpts(transport.AllTransports))
	if err != nil {
		return err
	}
	if _, err := a.mountFunctionalHub("/testhub-nowebsockets", hub, hubOpts(transport.ServerSentEvents|transport.LongPolling)); err != nil {
		return err
	}
	uncreatable := hubOpts(transport.AllTransports)
	uncreatable.LifetimeManager = nil
	if _, err := a.mountFunctionalHub("/uncreatable", uncreatableHub{}, uncreatable); err != nil {
		return err
	}
	auth := hubOpts(transport.AllTransports)
	auth.LifetimeManager = nil
	auth.Transport.Authenticate = jwt.Authenticate
	// The suite's "Bearer" policy: a name identifier claim is required.
	auth.Authorize = func(p transport.Principal) bool { return p.ID != "" }
	if _, err := a.mountFunctionalHub("/authorizedhub", authorizedHub{}, auth); err != nil {
		return err
	}

	echo := transport.NewServer(echoHandler{}, transport.Options{
		Path:        "/echo",
		Logger:      a.logger,
		CheckOrigin: func(*http.Request) bool { return true },
	})
	a.mountEndpoint("/echo", a.functionalMiddleware(echo), echo.Shutdown)

	var redirects atomic.Int64
	// The redirects come before the cookie middleware in the suite's
	// server, so their negotiate responses set no cookies.
	a.mountEndpoint("/redirect", corsMiddleware(redirectHandler(&redirects)), nil)
	a.mountEndpoint("/echoredirect", corsMiddleware(http.HandlerFunc(echoRedirect)), nil)
	a.mountEndpoint("/bad-negotiate", a.functionalMiddleware(http.HandlerFunc(badNegotiate)), nil)

	a.mux.Handle("/generateJwtToken", a.functionalMiddleware(http.HandlerFunc(jwt.serveToken)))
	a.mux.Handle("/clientresult/{id}", a.functionalMiddleware(clientResultHandler(testSrv)))
	a.mux.Handle("/deployment", a.functionalMiddleware(http.HandlerFunc(deployment)))
	return nil
}

// mountFunctionalHub creates a hub server for path and mounts it with the suite's
// middleware; it is shut down with the test server.
func (a *app) mountFunctionalHub(path string, hub any, opts signalr.Options) (*signalr.Server, error) {
	opts.Transport.Path = path
	srv, err := signalr.NewServer(hub, opts)
	if err != nil {
		return nil, fmt.Errorf("hub %s: %w", path, err)
	}
	a.mountEndpoint(path, a.functionalMiddleware(srv), srv.Shutdown)
	return srv, nil
}

// functionalMiddleware reproduces the suite server's middleware in front
// of its endpoints: CORS, then test cookies on every negotiate.
func (a *app) functionalMiddleware(next http.Handler) http.Handler {
	return corsMiddleware(negotiateCookies(next))
}

// corsMiddleware echoes the caller's origin with credentials, and the
// requested method and headers, as the suite's server does for its
// cross-origin browser runs; any OPTIONS request is answered 204.
func corsMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if origin := r.Header.Get("Origin"); origin != "" {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			if m := r.Header.Get("Access-Control-Request-Method"); m != "" {
				h.Set("Access-Control-Allow-Methods", m)
			}
			if hs := r.Header.Get("Access-Control-Request-Headers"); hs != "" {
				h.Set("Access-Control-Allow-Headers", hs)
			}
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// negotiateCookies sets the test cookies on every negotiate response, one
// of them already expired so that a client which sends it back is caught.
func negotiateCookies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(strings.ToLower(r.URL.Path), "/negotiate") {
			http.SetCookie(w, &http.Cookie{Name: "testCookie", Value: "testValue", Path: "/"})
			http.SetCookie(w, &http.Cookie{Name: "testCookie2", Value: "testValue2", Path: "/"})
			http.SetCookie(w, &http.Cookie{Name: "expiredCookie", Value: "doNotSet", Path: "/",
				Expires: time.Now().Add(-24 * time.Hour)})
		}
		next.ServeHTTP(w, r)
	})
}

// redirectHandler answers any request under /redirect (in particular its
// negotiate) with a negotiate redirect to <baseUrl>/testHub, counting the
// redirects in the URL so that the hub can tell them apart.
func redirectHandler(count *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := count.Add(1)
		base := r.URL.Query().Get("baseUrl")
		body, err := json.Marshal(map[string]string{"url": base + "/testHub?numRedirects=" + strconv.FormatInt(n, 10)})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
}

// echoRedirect sends /echoredirect... to the same path under /echo with a
// 307, so that the method and body are kept. The Location is absolute:
// the official client's Node Server-Sent Events transport cannot follow
// a path-only one.
func echoRedirect(w http.ResponseWriter, r *http.Request) {
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	if r.TLS != nil {
		u.Scheme = "https"
	}
	lower := strings.ToLower(u.Path)
	i := strings.Index(lower, "echoredirect")
	u.Path = u.Path[:i] + "echo" + u.Path[i+len("echoredirect"):]
	u.RawPath = ""
	http.Redirect(w, r, u.String(), http.StatusTemporaryRedirect)
}

// badNegotiate fails every request, to test the client's error report.
// The body is written as is: the client quotes it verbatim in its error
// (http.Error would append a newline).
func badNegotiate(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte("Some response from server"))
}

// clientResultHandler asks connection {id} of the TestHub for an int
// result ("Result") and answers 200 with it, or with the error's message.
func clientResultHandler(srv *signalr.Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
		defer cancel()
		v, err := signalr.Invoke[int](ctx, srv.Clients().Client(r.PathValue("id")), "Result")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err != nil {
			_, _ = w.Write([]byte(hubErrorMessage(err)))
			return
		}
		_, _ = w.Write([]byte(strconv.Itoa(v)))
	})
}

// deployment describes the server, as the suite's informational endpoint.
func deployment(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"Product":"signalr-go testserver"}`))
}
