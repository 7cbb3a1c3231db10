package transport

import (
	"net/http"
	"slices"
	"strings"
)

// crossOrigin reports whether r carries an Origin that the options allow
// explicitly; same-origin requests need no CORS headers.
func (s *Server) crossOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	if s.opts.CheckOrigin != nil {
		return s.opts.CheckOrigin(r)
	}
	return slices.Contains(s.opts.AllowedOrigins, "*") || slices.ContainsFunc(s.opts.AllowedOrigins, func(o string) bool {
		return strings.EqualFold(o, origin)
	})
}

// checkWebSocketOrigin decides whether a WebSocket upgrade may proceed:
// explicitly allowed origins, requests without an Origin (non-browser
// clients), and same-origin requests.
func (s *Server) checkWebSocketOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || isPeer(r) || s.crossOrigin(r) {
		return true
	}
	_, host, ok := strings.Cut(origin, "://")
	return ok && strings.EqualFold(host, r.Host)
}

// addCORS sets the headers for a cross-origin response. The clients send
// credentials by default, so the origin is echoed rather than "*".
func (s *Server) addCORS(w http.ResponseWriter, r *http.Request) {
	if !s.crossOrigin(r) {
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Add("Vary", "Origin")
}

// preflight answers a CORS preflight OPTIONS request; anything else using
// OPTIONS is a method the endpoint does not serve.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request) {
	if !s.crossOrigin(r) || r.Header.Get("Access-Control-Request-Method") == "" {
		plainError(w, http.StatusMethodNotAllowed, "")
		return
	}
	s.addCORS(w, r)
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE")
	headers := r.Header.Get("Access-Control-Request-Headers")
	if headers == "" {
		headers = "x-requested-with, x-signalr-user-agent, authorization, content-type"
	}
	h.Set("Access-Control-Allow-Headers", headers)
	h.Set("Access-Control-Max-Age", "600")
	h.Add("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers")
	w.WriteHeader(http.StatusNoContent)
}
