package server

import (
	"context"
	"net/http"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/chat/admin"
	"github.com/signalr-go/signalr/chat/hub"
	"github.com/signalr-go/signalr/transport"
)

// buildAdmin mounts the status page's hub at /hubs/admin (the page itself
// is /static/admin.html).
func (a *App) buildAdmin(cfg Config, mux *http.ServeMux) error {
	var err error
	a.admin, err = admin.New(admin.Config{
		Admins: cfg.Admins,
		Store:  a.store,
		Hubs:   map[string]*signalr.Server{"Chat": a.chat.Server(), "ChatHub": a.seed},
		Members: func(ctx context.Context, roomID int64) ([]admin.User, error) {
			ms, err := a.chat.Members(ctx, roomID)
			return people(ms), err
		},
		Nodes: servers(a.chat.Server().LifetimeManager()),
		Options: signalr.Options{Logger: cfg.Logger, DrainPeriod: cfg.DrainPeriod,
			Transport: transport.Options{Authenticate: a.requiredUser}},
	})
	if err != nil {
		return err
	}
	mux.Handle("/hubs/admin", a.admin.Server())
	mux.Handle("/hubs/admin/", a.admin.Server())
	return nil
}

// servers lists the cluster's servers when the lifetime manager is a
// backplane's that can tell them (redis.HubManager.Servers); nil otherwise.
func servers(lm signalr.LifetimeManager) func(context.Context) ([]string, error) {
	if b, ok := lm.(interface {
		Servers(context.Context) ([]string, error)
	}); ok {
		return b.Servers
	}
	return nil
}

func people(ms []hub.Member) []admin.User {
	out := make([]admin.User, len(ms))
	for i, m := range ms {
		out[i] = admin.User{ID: m.UserID, Name: m.Name}
	}
	return out
}
