package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
)

// userAgent identifies the client in the format of the official clients.
var userAgent = "Microsoft SignalR/10.0 (signalr-go; " + runtime.GOOS + "; Go; " + runtime.Version() + ")"

// requester sends the HTTP requests of one connection attempt with the
// headers every request carries.
type requester struct {
	client  *http.Client
	headers http.Header
	token   string // bearer token, "" for none
}

// header returns the headers for a WebSocket handshake or HTTP request:
// a copy of the configured headers, as http.Header.Clone makes it (one
// array for all values, each slice capped so that appending to one never
// writes into another) with the client's own headers set in it, in one
// map sized for them all.
func (r *requester) header(xhr bool) http.Header {
	n := 3
	for _, vs := range r.headers {
		n += len(vs)
	}
	h := make(http.Header, len(r.headers)+3)
	values := make([]string, n)
	for k, vs := range r.headers {
		m := copy(values, vs)
		h[k] = values[:m:m]
		values = values[m:]
	}
	set := func(key, value string) {
		values[0] = value
		h[key] = values[:1:1]
		values = values[1:]
	}
	set("User-Agent", userAgent)
	if xhr {
		set("X-Requested-With", "XMLHttpRequest")
	}
	if r.token != "" {
		set("Authorization", "Bearer "+r.token)
	}
	return h
}

// do sends a request and returns the response; a non-2xx status is an
// error carrying the status and a short piece of the body.
func (r *requester) do(ctx context.Context, method, u string, body io.Reader, contentType string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", method, u, err)
	}
	req.Header = r.header(true)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, &StatusError{Method: method, URL: u, StatusCode: resp.StatusCode, Body: strings.TrimSpace(string(msg))}
	}
	return resp, nil
}

// StatusError reports an HTTP request answered with a non-2xx status.
type StatusError struct {
	Method     string
	URL        string
	StatusCode int
	// Body is the start of the response body.
	Body string
}

// Error implements error.
func (e *StatusError) Error() string {
	s := fmt.Sprintf("client: %s %s: status code %d", e.Method, e.URL, e.StatusCode)
	if e.Body != "" {
		s += ": " + e.Body
	}
	return s
}

// withQuery appends key=value to u's query, keeping what is there.
func withQuery(u, key, value string) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + key + "=" + url.QueryEscape(value)
}

// drain discards what is left of a response body so the connection can be
// reused, and closes it.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}
