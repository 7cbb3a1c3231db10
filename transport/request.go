package transport

import (
	"crypto/tls"
	"net/http"
	"net/url"
	"strings"
)

// keptRequest is what Conn.Request needs of the request that established
// the transport. An idle connection holds it for its whole life, so it
// keeps the pieces in less memory than an *http.Request with its header
// map would take, and Request builds the request on first use.
type keptRequest struct {
	method, proto, host string
	remoteAddr, uri     string
	pattern             string
	url                 *url.URL
	tls                 *tls.ConnectionState
	contentLength       int64
	major, minor        int
	close               bool
	// header holds key, value, key, value...: a slice takes a fraction of
	// the map's memory.
	header []string
	// pathValues holds name, value... of the pattern's wildcards.
	pathValues []string
}

// requestHeaderBytes is what a keptRequest of r holds, about: the URL and
// the headers.
func requestHeaderBytes(r *http.Request) int {
	n := len(r.RequestURI)
	for key, vs := range r.Header {
		for _, v := range vs {
			n += len(key) + len(v)
		}
	}
	return n
}

// newKeptRequest takes what r's consumers may read: not its body, nor its
// cancellation.
func newKeptRequest(r *http.Request) *keptRequest {
	k := &keptRequest{
		method: r.Method, proto: r.Proto, host: r.Host,
		remoteAddr: r.RemoteAddr, uri: r.RequestURI, pattern: r.Pattern,
		url: r.URL, tls: r.TLS, contentLength: r.ContentLength,
		major: r.ProtoMajor, minor: r.ProtoMinor, close: r.Close,
	}
	n := 0
	for _, vs := range r.Header {
		n += len(vs)
	}
	k.header = make([]string, 0, 2*n)
	for key, vs := range r.Header {
		for _, v := range vs {
			k.header = append(k.header, key, v)
		}
	}
	for _, name := range wildcards(r.Pattern) {
		k.pathValues = append(k.pathValues, name, r.PathValue(name))
	}
	return k
}

// request builds the request, with the context of c.
func (k *keptRequest) request(c *Conn) *http.Request {
	h := make(http.Header, len(k.header)/2)
	for i := 0; i < len(k.header); i += 2 {
		h[k.header[i]] = append(h[k.header[i]], k.header[i+1])
	}
	r := &http.Request{
		Method: k.method, URL: k.url, Proto: k.proto, ProtoMajor: k.major, ProtoMinor: k.minor,
		Header: h, Body: http.NoBody, ContentLength: k.contentLength, Close: k.close,
		Host: k.host, RemoteAddr: k.remoteAddr, RequestURI: k.uri, TLS: k.tls, Pattern: k.pattern,
	}
	for i := 0; i < len(k.pathValues); i += 2 {
		r.SetPathValue(k.pathValues[i], k.pathValues[i+1])
	}
	return r.WithContext(c.ctx)
}

// wildcards returns the names of the wildcards of a ServeMux pattern such
// as "GET /hubs/{name}/{rest...}", so that PathValue keeps working.
func wildcards(pattern string) []string {
	var names []string
	for {
		i := strings.IndexByte(pattern, '{')
		if i < 0 {
			return names
		}
		j := strings.IndexByte(pattern[i:], '}')
		if j < 0 {
			return names
		}
		name := strings.TrimSuffix(pattern[i+1:i+j], "...")
		if name != "$" && name != "" {
			names = append(names, name)
		}
		pattern = pattern[i+j+1:]
	}
}
