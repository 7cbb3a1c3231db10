package transport

import (
	"net/http"
	"strings"
)

// Principal is who a connection belongs to, as Options.Authenticate said.
type Principal struct {
	ID     string // user identifier; "" when anonymous
	Name   string
	Claims map[string]string
}

// BearerToken returns the access token of r: the "Authorization: Bearer"
// header, which the clients send on HTTP requests and non-browser
// WebSockets, or else the access_token query parameter, which browsers use
// for WebSockets and every client uses for Server-Sent Events. "" if none.
func BearerToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return r.URL.Query().Get("access_token")
}

// authenticate runs the Authenticate hook, if any.
func (s *Server) authenticate(r *http.Request) (Principal, error) {
	if s.opts.Authenticate == nil {
		return Principal{}, nil
	}
	return s.opts.Authenticate(r)
}
