package transport

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Cluster lets the nodes of one endpoint serve each other's connections,
// so that a load balancer may spread requests with no affinity at all. A
// node that receives a transport request (WebSocket upgrade, poll, send,
// SSE, DELETE) for a connection another node holds forwards it to that
// node over HTTP, streaming both ways; the client never notices.
//
// The connection token says which node owns the connection, under an HMAC
// with Secret, so a node forwards only tokens its cluster minted, and only
// to addresses its Directory announces: a forged or foreign token, or one
// naming a node the Directory does not know, is answered 404 like an
// unknown connection, without any outbound connection. Forwarded requests
// carry a header signed with Secret; the owner serves them itself (never
// forwarding again) and leaves the Host, Origin and CORS checks to the
// node that received the request from the client.
type Cluster struct {
	// Node is this node's id, as the Directory knows it. Required.
	Node string
	// Secret is shared by every node of the cluster and by no one else;
	// at least 16 bytes. Required.
	Secret []byte
	// Directory finds the internal address of a node. Required.
	Directory Directory
	// Transport makes the forwarded requests. Default: an http.Transport
	// of the server's own, dialing with a 2 s timeout, so that a request
	// for the connections of a node that died is answered 404 promptly.
	Transport http.RoundTripper
}

// Directory finds the nodes of a cluster.
type Directory interface {
	// Lookup returns the base URL (scheme://host:port) at which node
	// serves the same paths as the node asking, or an error wrapping
	// [ErrUnknownNode] when node is not announced (or its announcement
	// expired).
	Lookup(ctx context.Context, node string) (string, error)
}

// ErrUnknownNode is returned by a [Directory] for a node it does not know.
var ErrUnknownNode = errors.New("transport: unknown cluster node")

// forwardHeader carries the forwarding node's signature:
// node;unix-milliseconds;base64url(HMAC).
const forwardHeader = "Signalr-Forwarded-By"

// forwardForHeader carries the client's address (the RemoteAddr the
// forwarding node saw), under the forward header's signature.
const forwardForHeader = "Signalr-Forwarded-For"

// forwardMaxAge bounds how old a forwarded request's signature may be
// (clock skew between nodes included).
const forwardMaxAge = time.Minute

// maxTokenLen bounds a token before anything is decoded.
const maxTokenLen = 512

// cluster is the running form of a Cluster.
type cluster struct {
	Cluster
	proxy *httputil.ReverseProxy
	own   *http.Transport // the default Transport, closed at Shutdown
}

// newCluster checks c and builds the forwarding proxy; a misconfigured
// Cluster is a programming error.
func newCluster(c *Cluster, s *Server) *cluster {
	switch {
	case c.Node == "":
		panic("transport: Cluster.Node is empty")
	case len(c.Secret) < 16:
		panic("transport: Cluster.Secret is shorter than 16 bytes")
	case c.Directory == nil:
		panic("transport: Cluster.Directory is nil")
	}
	cl := &cluster{Cluster: *c}
	cl.Secret = append([]byte(nil), c.Secret...)
	rt := c.Transport
	if rt == nil {
		cl.own = &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
		}
		rt = cl.own
	}
	cl.proxy = &httputil.ReverseProxy{
		Rewrite:       keepForwarded, // the target is set per request, in forward
		Transport:     rt,
		FlushInterval: -1, // SSE events and poll bodies go on at once
		BufferPool:    &copyBuffers{},
		ErrorLog:      slog.NewLogLogger(s.opts.Logger.Handler(), slog.LevelDebug),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			// The owner died or cannot be reached: the client starts its
			// reconnect logic at once, as for an unknown connection.
			s.opts.Logger.Debug("transport: forwarding failed", "error", err)
			plainError(w, http.StatusNotFound, msgNoConnection)
		},
	}
	return cl
}

// keepForwarded puts back the headers a proxy in front of the cluster set
// (X-Forwarded-For and the like), which ReverseProxy drops: to the owner,
// the hop between two nodes is invisible.
func keepForwarded(pr *httputil.ProxyRequest) {
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		if v, ok := pr.In.Header[h]; ok {
			pr.Out.Header[h] = v
		}
	}
}

// copyBuffers lends the proxy its copy buffers; without it, every
// forwarded response allocates 32 KiB.
type copyBuffers struct{ p sync.Pool }

func (c *copyBuffers) Get() []byte {
	if b, ok := c.p.Get().(*[]byte); ok {
		return *b
	}
	return make([]byte, 32<<10)
}

func (c *copyBuffers) Put(b []byte) { c.p.Put(&b) }

// mint returns a new connection token owned by this node.
func (cl *cluster) mint() string {
	var r [16]byte
	rand.Read(r[:])
	payload := base64.RawURLEncoding.EncodeToString(r[:]) + "." + base64.RawURLEncoding.EncodeToString([]byte(cl.Node))
	return payload + "." + base64.RawURLEncoding.EncodeToString(cl.sum("token", payload)[:16])
}

// owner returns the node a token of this cluster names, or false for a
// token this cluster did not mint.
func (cl *cluster) owner(token string) (string, bool) {
	if len(token) > maxTokenLen {
		return "", false
	}
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return "", false
	}
	payload := token[:i]
	mac, err := base64.RawURLEncoding.DecodeString(token[i+1:])
	if err != nil || !hmac.Equal(mac, cl.sum("token", payload)[:16]) {
		return "", false
	}
	_, node, _ := strings.Cut(payload, ".")
	b, err := base64.RawURLEncoding.DecodeString(node)
	if err != nil || len(b) == 0 {
		return "", false
	}
	return string(b), true
}

// sum is the HMAC of the parts, each kind of signature with its own label.
func (cl *cluster) sum(label string, parts ...string) []byte {
	m := hmac.New(sha256.New, cl.Secret)
	m.Write([]byte(label))
	for _, p := range parts {
		m.Write([]byte{0})
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

// sign returns the forward header for a request of method on token from
// the client at remote (its forwardForHeader).
func (cl *cluster) sign(method, token, remote string, now time.Time) string {
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	return cl.Node + ";" + ts + ";" + base64.RawURLEncoding.EncodeToString(cl.sum("forward", cl.Node, ts, method, token, remote))
}

// fromPeer reports whether r was forwarded by a node of the cluster: its
// forward header is signed with the secret, recent, and for this method,
// token and client address, which it returns. Anything else is an
// ordinary client request.
func (cl *cluster) fromPeer(r *http.Request, now time.Time) (remote string, ok bool) {
	h := r.Header.Get(forwardHeader)
	remote = r.Header.Get(forwardForHeader)
	if h == "" || len(h) > maxTokenLen || len(remote) > maxTokenLen {
		return "", false
	}
	node, rest, ok1 := strings.Cut(h, ";")
	ts, mac, ok2 := strings.Cut(rest, ";")
	if !ok1 || !ok2 {
		return "", false
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", false
	}
	if age := now.Sub(time.UnixMilli(ms)); age > forwardMaxAge || age < -forwardMaxAge {
		return "", false
	}
	got, err := base64.RawURLEncoding.DecodeString(mac)
	if err != nil || !hmac.Equal(got, cl.sum("forward", node, ts, r.Method, r.URL.Query().Get("id"), remote)) {
		return "", false
	}
	return remote, true
}

// peerKey marks, in a request's context, a request forwarded by a node of
// the cluster.
type peerKey struct{}

// fromPeer reports whether r was forwarded by a node of the cluster, and
// the client's address.
func (s *Server) fromPeer(r *http.Request) (string, bool) {
	if s.cluster == nil {
		return "", false
	}
	return s.cluster.fromPeer(r, time.Now())
}

// isPeer reports whether r was forwarded by a node of the cluster.
func isPeer(r *http.Request) bool { return r.Context().Value(peerKey{}) != nil }

// forward serves a request for a connection this node does not hold. It
// reports false when the token names no other node of the cluster (the
// caller answers 404); otherwise the request went to the owner, or was
// answered 404 because the owner could not be reached.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, token string) bool {
	cl := s.cluster
	node, ok := cl.owner(token)
	if !ok || node == cl.Node {
		return false
	}
	if websocket.IsWebSocketUpgrade(r) && !s.checkWebSocketOrigin(r) {
		// The owner trusts this node's check, as for every other request.
		plainError(w, http.StatusForbidden, "Forbidden")
		return true
	}
	base, err := cl.Directory.Lookup(r.Context(), node)
	if err != nil {
		s.opts.Logger.Debug("transport: connection of an unknown node", "node", node, "error", err)
		return false
	}
	target, err := url.Parse(base)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		s.opts.Logger.Warn("transport: cluster node announced a bad address", "node", node, "address", base)
		return false
	}
	// Shutdown ends forwarded requests too (a proxied WebSocket lasts as
	// long as the outbound request's context).
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(s.stopCtx, cancel)
	defer stop()
	out := r.Clone(ctx)
	out.URL.Scheme, out.URL.Host = target.Scheme, target.Host
	out.Host = target.Host
	out.Header.Set(forwardHeader, cl.sign(r.Method, token, r.RemoteAddr, time.Now()))
	out.Header.Set(forwardForHeader, r.RemoteAddr)
	cl.proxy.ServeHTTP(s.streamWriter(w, r), out)
	return true
}

// streamWriter prepares w for a forwarded response that may outlive the
// http.Server's ReadTimeout and WriteTimeout (an SSE stream, a long poll,
// a WebSocket): as the transports do for their own streams, each write
// gets Options.SendTimeout instead, and a request without a body no
// longer has a read deadline (its background read would end it).
func (s *Server) streamWriter(w http.ResponseWriter, r *http.Request) http.ResponseWriter {
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{})
	if r.Method == http.MethodGet {
		rc.SetReadDeadline(time.Time{})
	}
	return &deadlineWriter{ResponseWriter: w, rc: rc, timeout: s.opts.SendTimeout}
}

// deadlineWriter sets a write deadline before each write and flush.
type deadlineWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	w.rc.SetWriteDeadline(time.Now().Add(w.timeout))
	return w.ResponseWriter.Write(p)
}

// FlushError lets the proxy flush through the deadline.
func (w *deadlineWriter) FlushError() error {
	w.rc.SetWriteDeadline(time.Now().Add(w.timeout))
	return w.rc.Flush()
}

// Unwrap gives http.ResponseController (the proxy's Hijack) the writer.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
