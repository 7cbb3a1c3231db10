package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// wsDialer holds what opening a WebSocket takes from the HTTP client: its
// proxy, dialer, TLS settings and cookie jar, as net/http would use them.
type wsDialer struct {
	proxy func(*http.Request) (*url.URL, error)
	dial  func(ctx context.Context, network, addr string) (net.Conn, error) // nil: a net.Dialer
	tls   *tls.Config
	jar   http.CookieJar
}

func newWSDialer(hc *http.Client) wsDialer {
	d := wsDialer{proxy: http.ProxyFromEnvironment, jar: hc.Jar}
	if t, ok := hc.Transport.(*http.Transport); ok {
		d.proxy, d.tls, d.dial = t.Proxy, t.TLSClientConfig, t.DialContext
	}
	return d
}

// proxied reports whether a proxy applies to u (http or https).
func (d wsDialer) proxied(u *url.URL, h http.Header) (bool, error) {
	if d.proxy == nil {
		return false, nil
	}
	p, err := d.proxy(&http.Request{Method: http.MethodGet, URL: u, Host: u.Host, Header: h})
	return p != nil, err
}

// errMalformedURL is gorilla's error for a URL it refuses.
var errMalformedURL = errors.New("malformed ws or wss URL")

// maxUpgradeResponse bounds the upgrade response's status line and
// headers.
const maxUpgradeResponse = 64 << 10

// dialDirect opens a WebSocket to u (http or https) without a proxy: TCP
// (and TLS) dial, then the upgrade request written in one piece and its
// response parsed in place, both through t's read buffer. Like gorilla's
// dialer, ctx bounds the dial and, through its deadline, the upgrade.
func (d wsDialer) dialDirect(ctx context.Context, r *requester, u *url.URL, t *wsConn) error {
	if u.User != nil {
		return errMalformedURL
	}
	host, err := upgradeHost(r, u)
	if err != nil {
		return err
	}
	conn, err := d.dialTCP(ctx, u)
	if err != nil {
		return err
	}
	if err := d.upgrade(ctx, r, u, host, t, conn); err != nil {
		conn.Close()
		return err
	}
	t.conn = conn
	return nil
}

// dialTCP connects to u's host, with TLS for https, and applies ctx's
// deadline to the connection until the upgrade is done.
func (d wsDialer) dialTCP(ctx context.Context, u *url.URL) (net.Conn, error) {
	var conn net.Conn
	var err error
	if d.dial != nil {
		conn, err = d.dial(ctx, "tcp", hostPort(u))
	} else {
		var nd net.Dialer
		conn, err = nd.DialContext(ctx, "tcp", hostPort(u))
	}
	if err != nil {
		return nil, err
	}
	if deadline, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(deadline); err != nil {
			conn.Close()
			return nil, err
		}
	}
	if u.Scheme != "https" {
		return conn, nil
	}
	cfg := &tls.Config{}
	if d.tls != nil {
		cfg = d.tls.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = u.Hostname()
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}

// hostPort is u's host with the scheme's default port when it has none.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// upgrade sends the upgrade request on conn and checks the response;
// bytes after it stay buffered in t.
func (d wsDialer) upgrade(ctx context.Context, r *requester, u *url.URL, host string, t *wsConn, conn net.Conn) error {
	var key [24]byte
	challengeKey(&key)
	req := d.appendRequest(t.small[:0], r, u, host, key[:])
	if _, err := conn.Write(req); err != nil {
		return err
	}
	t.conn = conn
	end, err := t.readResponseHead()
	if err != nil {
		return err
	}
	if err := d.checkResponse(u, t.buf[:end], key[:]); err != nil {
		return err
	}
	t.rpos = end
	if _, ok := ctx.Deadline(); ok {
		return conn.SetDeadline(time.Time{})
	}
	return nil
}

// challengeKey fills key with a fresh Sec-WebSocket-Key.
func challengeKey(key *[24]byte) {
	var nonce [16]byte
	_, _ = rand.Read(nonce[:]) // never fails (crypto/rand)
	base64.StdEncoding.Encode(key[:], nonce[:])
}

// acceptKey computes the Sec-WebSocket-Accept answer to key.
func acceptKey(dst *[28]byte, key []byte) {
	const guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
	var in [24 + len(guid)]byte
	copy(in[copy(in[:], key):], guid)
	sum := sha1.Sum(in[:])
	base64.StdEncoding.Encode(dst[:], sum[:])
}

// upgradeHost returns the Host of the upgrade request, refusing the
// configured headers that gorilla's dialer refuses.
func upgradeHost(r *requester, u *url.URL) (string, error) {
	host := u.Host
	for k, vs := range r.headers {
		switch k {
		case "Upgrade", "Connection", "Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions":
			return "", errors.New("websocket: duplicate header not allowed: " + k)
		case "Host":
			if len(vs) > 0 {
				host = vs[0]
			}
		}
	}
	if !validHost(host) {
		return "", fmt.Errorf("http: invalid Host header %q", host)
	}
	return host, nil
}

// appendRequest appends the upgrade request to b: the headers gorilla's
// dialer would send, with the requester's headers as net/http writes
// them (invalid names dropped, line breaks in values made spaces).
func (d wsDialer) appendRequest(b []byte, r *requester, u *url.URL, host string, key []byte) []byte {
	b = append(b, "GET "...)
	b = appendRequestURI(b, u)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\nUser-Agent: "...)
	b = append(b, userAgent...)
	b = append(b, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "...)
	b = append(b, key...)
	b = append(b, "\r\nSec-WebSocket-Version: 13\r\n"...)
	if r.token != "" {
		b = appendHeader(b, "Authorization", "Bearer "+r.token)
	}
	b = d.appendUserHeaders(b, r)
	if _, ok := r.headers["Cookie"]; !ok && d.jar != nil {
		if c := jarCookies(d.jar, u); c != "" {
			b = appendHeader(b, "Cookie", c)
		}
	}
	return append(b, "\r\n"...)
}

// appendRequestURI appends u.RequestURI() without building the string.
func appendRequestURI(b []byte, u *url.URL) []byte {
	if u.Opaque != "" {
		return append(b, u.RequestURI()...)
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	b = append(b, path...)
	if u.ForceQuery || u.RawQuery != "" {
		b = append(b, '?')
		b = append(b, u.RawQuery...)
	}
	return b
}

// appendUserHeaders appends the headers set with WithHeaders, but those
// the client sets itself or net/http never writes on a request.
func (d wsDialer) appendUserHeaders(b []byte, r *requester) []byte {
	for k, vs := range r.headers {
		switch {
		case k == "Host" || k == "User-Agent" || k == "Content-Length" || k == "Transfer-Encoding" || k == "Trailer":
			continue
		case k == "Authorization" && r.token != "":
			continue
		case !validHeaderName(k):
			continue
		}
		if k == "Sec-Websocket-Protocol" {
			k = "Sec-WebSocket-Protocol"
		}
		for _, v := range vs {
			b = appendHeader(b, k, v)
		}
	}
	return b
}

// appendHeader appends one header line, its value cleaned as net/http
// does: CR and LF become spaces, surrounding blanks go.
func appendHeader(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, ": "...)
	value = trimBlanks(value)
	for i := range len(value) {
		c := value[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		b = append(b, c)
	}
	return append(b, "\r\n"...)
}

func trimBlanks(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' || s[0] == '\n') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t' || s[len(s)-1] == '\r' || s[len(s)-1] == '\n') {
		s = s[:len(s)-1]
	}
	return s
}

// validHeaderName reports whether name is an HTTP token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := range len(name) {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// validHost reports whether host can be written as the Host header.
func validHost(host string) bool {
	for i := range len(host) {
		if c := host[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return host != ""
}

// jarCookies returns the Cookie header value for u, as
// http.Request.AddCookie builds it.
func jarCookies(jar http.CookieJar, u *url.URL) string {
	cookies := jar.Cookies(u)
	if len(cookies) == 0 {
		return ""
	}
	req := &http.Request{Header: http.Header{}}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return req.Header.Get("Cookie")
}

// readResponseHead reads until the blank line that ends the response's
// headers and returns where the bytes after it start.
func (t *wsConn) readResponseHead() (int, error) {
	for {
		if i := bytes.Index(t.buf[:t.rend], []byte("\r\n\r\n")); i >= 0 {
			return i + 4, nil
		}
		if t.rend == len(t.buf) {
			if len(t.buf) >= maxUpgradeResponse {
				return 0, errors.New("websocket: upgrade response headers too long")
			}
			t.buf = append(t.buf, make([]byte, len(t.buf))...)
		}
		n, err := t.conn.Read(t.buf[t.rend:])
		t.rend += n
		if err != nil && n == 0 {
			return 0, err
		}
	}
}

// checkResponse checks the upgrade response head (status line and
// headers, through the blank line) as gorilla's dialer does, and hands
// its cookies to the jar.
func (d wsDialer) checkResponse(u *url.URL, head, key []byte) error {
	line, rest, _ := bytes.Cut(head, []byte("\r\n"))
	status, err := statusCode(line)
	if err != nil {
		return err
	}
	var accept [28]byte
	acceptKey(&accept, key)
	var upgrade, connection, accepted, deflate bool
	var cookies http.Header
	for len(rest) > 2 {
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		value = bytes.Trim(value, " \t")
		switch {
		case fold(name, "Upgrade"):
			upgrade = upgrade || hasToken(value, "websocket")
		case fold(name, "Connection"):
			connection = connection || hasToken(value, "upgrade")
		case fold(name, "Sec-WebSocket-Accept"):
			accepted = accepted || bytes.Equal(value, accept[:])
		case fold(name, "Sec-WebSocket-Extensions"):
			deflate = deflate || hasToken(value, "permessage-deflate")
		case fold(name, "Set-Cookie"):
			if d.jar != nil {
				if cookies == nil {
					cookies = http.Header{}
				}
				cookies.Add("Set-Cookie", string(value))
			}
		}
	}
	if cookies != nil {
		if rc := (&http.Response{Header: cookies}).Cookies(); len(rc) > 0 {
			d.jar.SetCookies(u, rc)
		}
	}
	switch {
	case status != http.StatusSwitchingProtocols || !upgrade || !connection || !accepted:
		return &upgradeError{status: status}
	case deflate:
		return errors.New("websocket: compression was not asked for")
	}
	return nil
}

// upgradeError is a refused upgrade, reported as gorilla reports it.
type upgradeError struct{ status int }

func (e *upgradeError) Error() string {
	return websocket.ErrBadHandshake.Error() + " (status code " + strconv.Itoa(e.status) + ")"
}

func (e *upgradeError) Unwrap() error { return websocket.ErrBadHandshake }

// statusCode parses an HTTP/1.x status line.
func statusCode(line []byte) (int, error) {
	proto, rest, ok := bytes.Cut(line, []byte(" "))
	if ok && bytes.HasPrefix(proto, []byte("HTTP/1.")) && len(rest) >= 3 && (len(rest) == 3 || rest[3] == ' ') {
		if code, err := strconv.Atoi(string(rest[:3])); err == nil && code >= 100 {
			return code, nil
		}
	}
	return 0, fmt.Errorf("malformed HTTP response %q", line)
}

// fold reports whether b equals s in any case.
func fold(b []byte, s string) bool {
	return len(b) == len(s) && (string(b) == s || strings.EqualFold(string(b), s))
}

// hasToken reports whether the comma-separated list v holds token, in
// any case.
func hasToken(v []byte, token string) bool {
	for len(v) > 0 {
		var item []byte
		item, v, _ = bytes.Cut(v, []byte(","))
		item = bytes.Trim(item, " \t")
		if i := bytes.IndexByte(item, ';'); i >= 0 {
			item = bytes.TrimRight(item[:i], " \t")
		}
		if fold(item, token) {
			return true
		}
	}
	return false
}
