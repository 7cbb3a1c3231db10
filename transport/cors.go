package transport

import (
	"net/http"
	"net/url"
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
	return origin == "" || isPeer(r) || s.crossOrigin(r) || sameOrigin(origin, r)
}

// sameOrigin reports whether origin is r's own: the same scheme (https
// when r came over TLS, http otherwise), host and port, default ports
// made explicit.
func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Path != "" || u.User != nil {
		return false
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return strings.EqualFold(u.Scheme, scheme) &&
		strings.EqualFold(u.Hostname(), hostName(r.Host)) &&
		portOr(u.Port(), scheme) == portOr(hostPort(r.Host), scheme)
}

// hostName returns the host of a Host header without its port or an
// IPv6 address's brackets.
func hostName(hostport string) string {
	return (&url.URL{Host: hostport}).Hostname()
}

// hostPort returns the port of a Host header, "" when it has none.
func hostPort(hostport string) string {
	return (&url.URL{Host: hostport}).Port()
}

// portOr returns port, or scheme's default port when it is empty.
func portOr(port, scheme string) string {
	switch {
	case port != "":
		return port
	case strings.EqualFold(scheme, "https"):
		return "443"
	}
	return "80"
}

// HostAllowed reports whether the Host header host (with or without a
// port) names one of allowed: a host name or IP address compared without
// case or port, "*.example.com" for any subdomain of example.com, or "*"
// for any host. An empty list allows every host. It is what
// Options.AllowedHosts applies, for programs that want the same check in
// front of their other handlers.
func HostAllowed(host string, allowed []string) bool {
	if len(allowed) == 0 {
		return true
	}
	name := strings.TrimSuffix(hostName(host), ".")
	if name == "" {
		return false
	}
	for _, a := range allowed {
		a = strings.Trim(a, "[]")
		switch {
		case a == "*":
			return true
		case strings.HasPrefix(a, "*."):
			if len(name) > len(a)-1 && strings.EqualFold(name[len(name)-len(a)+1:], a[1:]) {
				return true
			}
		case strings.EqualFold(name, a):
			return true
		}
	}
	return false
}

// LoopbackHosts returns the host names of the loopback interface, the
// AllowedHosts of a server that listens on it only: a DNS rebinding page
// reaches such a server under its own host name, which is refused.
func LoopbackHosts() []string { return []string{"localhost", "127.0.0.1", "::1"} }

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
