package transport

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// newID returns 16 random bytes, base64url without padding (22 chars), as
// ASP.NET Core makes connection ids and tokens.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// negotiate answers POST {endpoint}/negotiate: it creates a connection and
// lists the transports.
func (s *Server) negotiate(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		plainError(w, http.StatusMethodNotAllowed, "")
		return
	}
	p, err := s.authenticate(r)
	if err != nil {
		plainError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	version, stateful, msg := s.parseNegotiate(r)
	if msg != "" {
		e, _ := json.Marshal(msg)
		writeJSON(w, append(append([]byte(`{"error":`), e...), '}'))
		return
	}
	id, token := newID(), ""
	switch {
	case s.cluster != nil && version > 0:
		token = s.cluster.mint()
	case s.cluster != nil:
		id = s.cluster.mint() // version 0 uses the id as the token
	case version > 0:
		token = newID()
	}
	c := s.newConn(id, cmp.Or(token, id), p, stateful)
	s.add(c)
	writeJSON(w, s.negotiateResponse(version, stateful, id, token))
}

// parseNegotiate reads the query: the version (0 when missing, at most 1)
// and whether stateful reconnect is asked for and allowed. msg is the error
// to report instead.
func (s *Server) parseNegotiate(r *http.Request) (version int, stateful bool, msg string) {
	raw, ok := queryFold(r, "negotiateVersion")
	if ok {
		v, err := strconv.Atoi(raw)
		if err != nil {
			return 0, false, "The client requested a non-integer protocol version."
		}
		version = v
	}
	if version < s.opts.MinNegotiateVersion {
		return 0, false, "The client requested version '" + strconv.Itoa(version) + "', but the server does not support this version."
	}
	version = min(version, 1)
	v, _ := queryFold(r, "useStatefulReconnect")
	stateful = s.opts.AllowStatefulReconnect && strings.EqualFold(strings.TrimSpace(v), "true")
	return version, stateful, ""
}

// negotiateResponse writes the properties in ASP.NET Core's order.
func (s *Server) negotiateResponse(version int, stateful bool, id, token string) []byte {
	b := make([]byte, 0, 320)
	b = append(b, '{')
	if stateful {
		b = append(b, `"useStatefulReconnect":true,`...)
	}
	b = append(b, `"negotiateVersion":`...)
	b = strconv.AppendInt(b, int64(version), 10)
	b = append(b, `,"connectionId":"`...)
	b = append(b, id...)
	b = append(b, '"')
	if token != "" {
		b = append(b, `,"connectionToken":"`...)
		b = append(b, token...)
		b = append(b, '"')
	}
	b = append(b, `,"availableTransports":[`...)
	sep := ""
	for _, t := range []struct {
		t       Type
		formats string
	}{
		{WebSockets, `["Text","Binary"]`},
		{ServerSentEvents, `["Text"]`},
		{LongPolling, `["Text","Binary"]`},
	} {
		if s.opts.Transports&t.t == 0 {
			continue
		}
		b = append(b, sep...)
		b = append(b, `{"transport":"`...)
		b = append(b, t.t.String()...)
		b = append(b, `","transferFormats":`...)
		b = append(b, t.formats...)
		b = append(b, '}')
		sep = ","
	}
	return append(b, "]}"...)
}

// queryFold returns the first query value whose key matches name
// case-insensitively, as ASP.NET Core's query lookup does.
func queryFold(r *http.Request, name string) (string, bool) {
	for k, v := range r.URL.Query() {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}

// writeJSON answers 200 with body as JSON.
func writeJSON(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}
