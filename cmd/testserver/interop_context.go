package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/signalr-go/signalr"
)

// iopHubContext drives /interop/hub from outside any hub method, over plain
// HTTP, as application code would through the hub context:
//
//	POST /interop/ctx/send?to=KIND&name=A,B&except=C&msg=M
//	     KIND: all, allExcept, client, clients, group, groups,
//	     groupExcept, user, users; sends Receive("ctx:"+KIND, M)
//	POST /interop/ctx/groups/add?id=ID&group=G    (and .../remove)
//	GET  /interop/ctx/members?group=G             JSON array of ids
//	GET  /interop/ctx/user?user=U                 JSON array of ids
//	GET  /interop/ctx/ask?id=ID&q=Q               client result, JSON number
//	POST /interop/ctx/disconnect?id=ID
type iopHubContext struct {
	srv    *signalr.Server
	logger *slog.Logger
}

func (h *iopHubContext) register(mux *http.ServeMux) {
	mux.HandleFunc("POST /interop/ctx/send", h.send)
	mux.HandleFunc("POST /interop/ctx/groups/{op}", h.groups)
	mux.HandleFunc("GET /interop/ctx/members", h.members)
	mux.HandleFunc("GET /interop/ctx/user", h.user)
	mux.HandleFunc("GET /interop/ctx/ask", h.ask)
	mux.HandleFunc("POST /interop/ctx/disconnect", h.disconnect)
}

// iopList splits a comma-separated query parameter; empty gives none.
func iopList(r *http.Request, name string) []string {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

func (h *iopHubContext) send(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	kind, names, except := q.Get("to"), iopList(r, "name"), iopList(r, "except")
	first := ""
	if len(names) > 0 {
		first = names[0]
	}
	cl := h.srv.Clients()
	var to signalr.Sender
	switch kind {
	case "all":
		to = cl.All()
	case "allExcept":
		to = cl.AllExcept(except...)
	case "client":
		to = cl.Client(first)
	case "clients":
		to = cl.Clients(names...)
	case "group":
		to = cl.Group(first)
	case "groups":
		to = cl.Groups(names...)
	case "groupExcept":
		to = cl.GroupExcept(first, except...)
	case "user":
		to = cl.User(first)
	case "users":
		to = cl.Users(names...)
	default:
		http.Error(w, fmt.Sprintf("unknown target %q", kind), http.StatusBadRequest)
		return
	}
	if err := iopReceive.Send(r.Context(), to, "ctx:"+kind, q.Get("msg")); err != nil {
		h.fail(w, fmt.Errorf("send to %s: %w", kind, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *iopHubContext) groups(w http.ResponseWriter, r *http.Request) {
	id, group := r.URL.Query().Get("id"), r.URL.Query().Get("group")
	var err error
	switch r.PathValue("op") {
	case "add":
		err = h.srv.Groups().Add(r.Context(), id, group)
	case "remove":
		err = h.srv.Groups().Remove(r.Context(), id, group)
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		h.fail(w, fmt.Errorf("group %s: %w", r.PathValue("op"), err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *iopHubContext) members(w http.ResponseWriter, r *http.Request) {
	ids, err := h.srv.Groups().Members(r.Context(), r.URL.Query().Get("group"))
	h.reply(w, iopNonNil(ids), err)
}

func (h *iopHubContext) user(w http.ResponseWriter, r *http.Request) {
	ids, err := h.srv.UserConnections(r.Context(), r.URL.Query().Get("user"))
	h.reply(w, iopNonNil(ids), err)
}

// ask gets a client result from outside the hub; a client's error comes
// back as 502 with the error text.
func (h *iopHubContext) ask(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), iopResultTimeout)
	defer cancel()
	n, err := iopAsk.Invoke(ctx, h.srv.Clients().Client(r.URL.Query().Get("id")), r.URL.Query().Get("q"))
	var he *signalr.HubError
	if errors.As(err, &he) {
		http.Error(w, he.Message, http.StatusBadGateway)
		return
	}
	h.reply(w, n, err)
}

func (h *iopHubContext) disconnect(w http.ResponseWriter, r *http.Request) {
	if err := h.srv.Disconnect(r.Context(), r.URL.Query().Get("id"), nil); err != nil {
		h.fail(w, fmt.Errorf("disconnect: %w", err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// reply writes v as JSON, or err as a 500.
func (h *iopHubContext) reply(w http.ResponseWriter, v any, err error) {
	if err != nil {
		h.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		h.logger.Warn("interop: writing a reply", "err", err)
	}
}

func (h *iopHubContext) fail(w http.ResponseWriter, err error) {
	h.logger.Info("interop: hub context request failed", "err", err)
	http.Error(w, err.Error(), http.StatusInternalServerError)
}
