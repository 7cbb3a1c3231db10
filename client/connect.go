package client

import (
	"context"
	"errors"
	"fmt"
)

// connect negotiates, starts a transport (falling back to the next one,
// after a fresh negotiate, when one fails to start, as the JS client) and
// completes the handshake. It returns the connected session and the bytes
// that followed the handshake response.
func (c *Client) connect(ctx context.Context) (*session, []byte, error) {
	r := &requester{client: c.opts.httpClient, headers: c.opts.headers}
	if c.opts.skipNegotiation {
		if err := c.refreshToken(ctx, r); err != nil {
			return nil, nil, err
		}
		tr, err := c.startTransport(ctx, r, WebSockets, c.url)
		if err != nil {
			return nil, nil, err
		}
		return c.handshake(ctx, newSession(c, tr, WebSockets, ""))
	}
	n, err := c.negotiateFresh(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	cands := candidates(n.transports, c.opts.transports, c.opts.protocol.TransferFormat())
	if len(cands) == 0 {
		return nil, nil, fmt.Errorf("%w: %w", ErrNoTransport, errNoCandidates)
	}
	var errs []error
	for i, kind := range cands {
		if i > 0 {
			if n, err = c.negotiateFresh(ctx, r); err != nil {
				return nil, nil, err
			}
		}
		u := connectURL(n.baseURL, n.token)
		tr, err := c.startTransport(ctx, r, kind, u)
		if err != nil {
			c.log.Info("transport failed to start", "transport", kind.String(), "error", err)
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		s := newSession(c, tr, kind, n.connectionID)
		if kind == WebSockets && n.stateful {
			s.out = newOutBuffer(c.opts.statefulBuffer)
			s.reopen = func(ctx context.Context) (transport, error) {
				return c.startTransport(ctx, r, WebSockets, u)
			}
		}
		return c.handshake(ctx, s)
	}
	return nil, nil, fmt.Errorf("%w: %w", ErrNoTransport, errors.Join(errs...))
}

// negotiateFresh negotiates with a freshly requested access token.
func (c *Client) negotiateFresh(ctx context.Context, r *requester) (*negotiated, error) {
	if err := c.refreshToken(ctx, r); err != nil {
		return nil, err
	}
	return c.negotiate(ctx, r, c.url)
}

func (c *Client) refreshToken(ctx context.Context, r *requester) error {
	if c.opts.accessToken == nil {
		return nil
	}
	token, err := c.opts.accessToken(ctx)
	if err != nil {
		return fmt.Errorf("client: access token: %w", err)
	}
	r.token = token
	return nil
}

// startTransport opens one transport to the connect URL u.
func (c *Client) startTransport(ctx context.Context, r *requester, kind TransportType, u string) (transport, error) {
	limit := c.opts.maxMessageSize * payloadsPerMessage
	switch kind {
	case WebSockets:
		return dialWebSocket(ctx, r, u, int64(limit), c.opts.serverTimeout)
	case ServerSentEvents:
		return startSSE(ctx, r, u, limit, c.opts.requestTimeout)
	default:
		return startLongPolling(ctx, r, u, limit, c.opts.requestTimeout)
	}
}

// handshake completes the connection on a started transport.
func (c *Client) handshake(ctx context.Context, s *session) (*session, []byte, error) {
	version := 1
	if s.out != nil {
		version = 2
	}
	rest, err := s.handshake(ctx, version)
	if err != nil {
		s.finish(err)
		return nil, nil, err
	}
	s.begin()
	return s, rest, nil
}
