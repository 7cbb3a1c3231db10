package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/signalr-go/signalr/protocol"
)

// maxRedirects is how many negotiate redirects are followed, as the JS
// client.
const maxRedirects = 100

// maxNegotiateBody bounds the negotiate response read into memory.
const maxNegotiateBody = 1 << 20

// negotiateResponse is the negotiate JSON; unknown properties are ignored.
type negotiateResponse struct {
	ConnectionID         string               `json:"connectionId"`
	ConnectionToken      string               `json:"connectionToken"`
	NegotiateVersion     int                  `json:"negotiateVersion"`
	AvailableTransports  []availableTransport `json:"availableTransports"`
	URL                  string               `json:"url"`
	AccessToken          string               `json:"accessToken"`
	Error                string               `json:"error"`
	ProtocolVersion      json.RawMessage      `json:"ProtocolVersion"`
	UseStatefulReconnect bool                 `json:"useStatefulReconnect"`
}

type availableTransport struct {
	Transport       string   `json:"transport"`
	TransferFormats []string `json:"transferFormats"`
}

// negotiated is the outcome of negotiation: where to connect and with what.
type negotiated struct {
	baseURL      string // hub URL after redirects
	connectionID string
	token        string // connection token for ?id=
	transports   []availableTransport
	stateful     bool
}

// negotiateURL inserts /negotiate into the path of base, keeping its
// query, and adds negotiateVersion=1 (and useStatefulReconnect=true).
func negotiateURL(base string, stateful bool) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("%w: invalid URL %q: %w", ErrNegotiate, base, err)
	}
	if strings.HasSuffix(u.Path, "/") {
		u.Path += "negotiate"
	} else {
		u.Path += "/negotiate"
	}
	u.RawPath = ""
	if u.RawQuery == "" { // the usual case, without decoding and sorting a query
		u.RawQuery = "negotiateVersion=1"
		if stateful {
			u.RawQuery += "&useStatefulReconnect=true"
		}
		return u.String(), nil
	}
	q := u.Query()
	if !q.Has("negotiateVersion") {
		q.Set("negotiateVersion", "1")
	}
	if stateful && !q.Has("useStatefulReconnect") {
		q.Set("useStatefulReconnect", "true")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// negotiate runs the negotiate request, following redirects; it updates
// r.token when the server hands out an access token.
func (c *Client) negotiate(ctx context.Context, r *requester, base string) (*negotiated, error) {
	for range maxRedirects + 1 {
		resp, err := c.negotiateOnce(ctx, r, base)
		if err != nil {
			return nil, err
		}
		if resp.URL == "" {
			return c.negotiatedFrom(base, resp)
		}
		base = resp.URL
		if resp.AccessToken != "" {
			r.token = resp.AccessToken
		}
	}
	return nil, fmt.Errorf("%w: negotiate redirection limit exceeded", ErrNegotiate)
}

func (c *Client) negotiateOnce(ctx context.Context, r *requester, base string) (*negotiateResponse, error) {
	u, err := negotiateURL(base, c.opts.stateful)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.requestTimeout)
	defer cancel()
	httpResp, err := r.do(ctx, http.MethodPost, u, nil, "")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNegotiate, err)
	}
	defer drain(httpResp)
	if httpResp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: unexpected status code %d", ErrNegotiate, httpResp.StatusCode)
	}
	body, err := readBody(httpResp, maxNegotiateBody)
	if err != nil {
		return nil, fmt.Errorf("%w: reading the response: %w", ErrNegotiate, err)
	}
	if len(body) > maxNegotiateBody {
		return nil, fmt.Errorf("%w: response larger than %d bytes", ErrNegotiate, maxNegotiateBody)
	}
	var resp negotiateResponse
	if err := parseNegotiate(body, &resp); err != nil {
		return nil, fmt.Errorf("%w: invalid response: %w", ErrNegotiate, err)
	}
	switch {
	case resp.Error != "":
		return nil, fmt.Errorf("%w: %s", ErrNegotiate, resp.Error)
	case len(resp.ProtocolVersion) > 0:
		return nil, fmt.Errorf("%w: detected a connection attempt to an ASP.NET SignalR server, which this client does not support", ErrNegotiate)
	case resp.UseStatefulReconnect && !c.opts.stateful:
		return nil, fmt.Errorf("%w: client didn't negotiate stateful reconnect but the server did", ErrNegotiate)
	}
	return &resp, nil
}

// readBody reads a response body of up to limit bytes, and one more when
// it is longer, in one allocation when its length is announced.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= limit {
		body := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, body); err != nil {
			return nil, err
		}
		return body, nil
	}
	return io.ReadAll(io.LimitReader(resp.Body, limit+1))
}

func (c *Client) negotiatedFrom(base string, resp *negotiateResponse) (*negotiated, error) {
	n := &negotiated{
		baseURL:      base,
		connectionID: resp.ConnectionID,
		token:        resp.ConnectionToken,
		transports:   resp.AvailableTransports,
		stateful:     resp.UseStatefulReconnect,
	}
	if resp.NegotiateVersion < 1 {
		n.token = resp.ConnectionID
	}
	if n.token == "" {
		return nil, fmt.Errorf("%w: response has no connection id", ErrNegotiate)
	}
	return n, nil
}

// candidates lists the transports to try, in the server's order, that the
// client allows and that carry the protocol's transfer format.
func candidates(list []availableTransport, allowed TransportType, format protocol.TransferFormat) []TransportType {
	var out []TransportType
	for _, a := range list {
		t := parseTransport(a.Transport)
		if t == 0 || allowed&t == 0 {
			continue
		}
		for _, f := range a.TransferFormats {
			if f == format.String() {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

// errNoCandidates explains an empty candidate list.
var errNoCandidates = errors.New("none of the transports the server offers is allowed and supports the protocol's transfer format")
