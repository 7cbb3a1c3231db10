package loadtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/internal/httpserve"
)

// Hub is the benchmark hub that "signalr-load serve" hosts. Payloads are
// strings so that JSON and MessagePack clients can share one broadcast.
type Hub struct{}

// Broadcast sends Receive(payload) to every connection.
func (Hub) Broadcast(c *signalr.Context, payload string) error {
	return c.Clients.All().Send(c, "Receive", payload)
}

// Echo returns payload.
func (Hub) Echo(payload string) string { return payload }

// JoinGroup adds the caller to group.
func (Hub) JoinGroup(c *signalr.Context, group string) error {
	return c.Groups.Add(c, c.ConnectionID(), group)
}

// SendToGroup sends Receive(payload) to the members of group.
func (Hub) SendToGroup(c *signalr.Context, group, payload string) error {
	return c.Clients.Group(group).Send(c, "Receive", payload)
}

// HubName is the benchmark hub's name on a backplane.
const HubName = "SignalRGo.Load.Hub"

// HubPath is where [Serve] mounts the hub.
const HubPath = "/hub"

// BarePath is where [Serve] mounts the bare WebSocket endpoint, the
// baseline without SignalR: a message starting with 'E' is echoed to its
// sender, one starting with 'B' is written to every bare connection.
const BarePath = "/bare"

// Server is a running benchmark server.
type Server struct {
	// URL is the hub's URL, e.g. http://127.0.0.1:5000/hub.
	URL string
	// BareURL is the bare WebSocket endpoint's URL, e.g.
	// ws://127.0.0.1:5000/bare.
	BareURL string

	hub  *signalr.Server
	bare *bareEndpoint
	http *httpserve.Server
	done chan error
}

// Serve starts the benchmark hub with opts (the zero value: the library's
// defaults, logging nothing; set LifetimeManager to a backplane's to
// measure several servers), and the bare WebSocket endpoint, on addr
// (e.g. "127.0.0.1:0") and returns once it listens.
func Serve(addr string, opts signalr.Options) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("loadtest: listening on %s: %w", addr, err)
	}
	s, err := serveOn(ln, opts)
	if err != nil {
		ln.Close()
		return nil, err
	}
	return s, nil
}

// serveOn serves on ln, which it then owns.
func serveOn(ln net.Listener, opts signalr.Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	logger := opts.Logger
	hub, err := signalr.NewServer(Hub{}, opts)
	if err != nil {
		return nil, fmt.Errorf("loadtest: creating the hub: %w", err)
	}
	bare := newBareEndpoint()
	mux := http.NewServeMux()
	mux.Handle(HubPath, hub)
	mux.Handle(HubPath+"/", hub)
	mux.Handle(BarePath, bare)
	s := &Server{
		URL:     "http://" + ln.Addr().String() + HubPath,
		BareURL: "ws://" + ln.Addr().String() + BarePath,
		hub:     hub,
		bare:    bare,
		http:    httpserve.New(httpserve.Config{Handler: mux, Logger: logger}),
		done:    make(chan error, 1),
	}
	go func() { s.done <- s.http.Serve(ln) }()
	return s, nil
}

// Close shuts the hub down (clients are told they may reconnect), stops
// listening and closes the bare connections, waiting at most until ctx
// ends.
func (s *Server) Close(ctx context.Context) error {
	herr := s.hub.Shutdown(ctx)
	serr := s.http.Shutdown(ctx)
	if err := <-s.done; !errors.Is(err, http.ErrServerClosed) {
		serr = errors.Join(serr, err)
	}
	// After Shutdown, so that no upgrade can slip in behind.
	berr := s.bare.close(ctx)
	if err := errors.Join(herr, serr, berr); err != nil {
		return fmt.Errorf("loadtest: closing the server: %w", err)
	}
	return nil
}
