package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// pollTimeout bounds one poll on the client side, as the JS client; the
// server answers empty well before (90 s), and a timed-out poll is simply
// repeated.
const pollTimeout = 100 * time.Second

// lpTransport is the Long Polling transport.
type lpTransport struct {
	r              *requester
	url            string
	ctx            context.Context // ends all polls
	cancel         context.CancelFunc
	limit          int
	requestTimeout time.Duration
}

// startLongPolling sends the first poll, which the server answers at once
// with 200 to mark the connection as started.
func startLongPolling(ctx context.Context, r *requester, u string, limit int, requestTimeout time.Duration) (*lpTransport, error) {
	pollCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	t := &lpTransport{r: r, url: u, ctx: pollCtx, cancel: cancel, limit: limit, requestTimeout: requestTimeout}
	stopOpen := context.AfterFunc(ctx, cancel)
	defer stopOpen()
	resp, err := t.poll()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("client: Long Polling failed to connect: %w", err)
	}
	drain(resp)
	if resp.StatusCode != http.StatusOK {
		cancel()
		return nil, fmt.Errorf("client: Long Polling failed to connect: status code %d", resp.StatusCode)
	}
	return t, nil
}

// poll sends one GET with a cache buster.
func (t *lpTransport) poll() (*http.Response, error) {
	ctx, cancel := context.WithTimeout(t.ctx, pollTimeout)
	u := withQuery(t.url, "_", strconv.FormatInt(time.Now().UnixMilli(), 10))
	resp, err := t.r.do(ctx, http.MethodGet, u, nil, "")
	if err != nil {
		cancel()
		return nil, err
	}
	// The body must stay readable until it has been consumed.
	resp.Body = cancelOnClose{resp.Body, cancel}
	return resp, nil
}

// read polls until the server has data (200 with a body) or ends the
// connection (204).
func (t *lpTransport) read() ([]byte, error) {
	for {
		resp, err := t.poll()
		switch {
		case errors.Is(err, context.DeadlineExceeded) && t.ctx.Err() == nil:
			continue
		case err != nil:
			return nil, fmt.Errorf("client: poll: %w", err)
		}
		if resp.StatusCode == http.StatusNoContent {
			drain(resp)
			return nil, io.EOF
		}
		if resp.StatusCode != http.StatusOK {
			drain(resp)
			return nil, fmt.Errorf("client: poll: unexpected status code %d", resp.StatusCode)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, int64(t.limit)+1))
		drain(resp)
		switch {
		case err != nil:
			return nil, fmt.Errorf("client: poll: %w", err)
		case len(body) > t.limit:
			return nil, fmt.Errorf("client: poll body larger than %d bytes", t.limit)
		case len(body) > 0:
			return body, nil
		}
	}
}

func (t *lpTransport) write(ctx context.Context, p []byte, text bool) error {
	return post(ctx, t.r, t.url, p, text, t.requestTimeout)
}

// close ends the outstanding poll and tells the server with DELETE; the
// answer does not matter.
func (t *lpTransport) close(ctx context.Context) {
	t.cancel()
	ctx, cancel := context.WithTimeout(ctx, t.requestTimeout)
	defer cancel()
	if resp, err := t.r.do(ctx, http.MethodDelete, t.url, nil, ""); err == nil {
		drain(resp)
	}
}

func (t *lpTransport) abort() { t.cancel() }

// cancelOnClose releases a request's context with its body.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
