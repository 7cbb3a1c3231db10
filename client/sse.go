package client

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"
)

// sseTransport is the Server-Sent Events transport: events from a
// streaming GET, sends by POST.
type sseTransport struct {
	r      *requester
	url    string
	cancel context.CancelFunc
	body   io.ReadCloser
	br     *bufio.Reader
	limit  int
	// requestTimeout bounds each POST.
	requestTimeout time.Duration
}

// startSSE opens the event stream. ctx bounds only the opening; the
// stream lives until close or abort.
func startSSE(ctx context.Context, r *requester, u string, limit int, requestTimeout time.Duration) (*sseTransport, error) {
	streamCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stopOpen := context.AfterFunc(ctx, cancel)
	defer stopOpen()
	req, err := http.NewRequestWithContext(streamCtx, http.MethodGet, u, nil)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("client: Server-Sent Events: %w", err)
	}
	req.Header = r.header(false)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := r.client.Do(req)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("client: Server-Sent Events failed to connect: %w", err)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK || mt != "text/event-stream" {
		drain(resp)
		cancel()
		return nil, fmt.Errorf("client: Server-Sent Events failed to connect: status code %d, content type %q", resp.StatusCode, mt)
	}
	return &sseTransport{
		r: r, url: u, cancel: cancel, body: resp.Body,
		br: bufio.NewReader(resp.Body), limit: limit, requestTimeout: requestTimeout,
	}, nil
}

// read returns the data of the next event that has any: data lines joined
// by "\n". Comments and other fields are skipped.
func (t *sseTransport) read() ([]byte, error) {
	var data []byte
	hasData := false
	for {
		line, err := t.line()
		if err != nil {
			return nil, err
		}
		switch {
		case len(line) == 0:
			if hasData {
				return data, nil
			}
		case line[0] == ':':
		case bytes.HasPrefix(line, []byte("data")):
			v, ok := sseField(line, "data")
			if !ok {
				continue
			}
			if hasData {
				data = append(data, '\n')
			}
			data = append(data, v...)
			hasData = true
			if len(data) > t.limit {
				return nil, fmt.Errorf("client: Server-Sent Event larger than %d bytes", t.limit)
			}
		}
	}
}

// sseField returns the value of a "name: value" or "name:value" line, or
// false when the line is another field ("database: ...").
func sseField(line []byte, name string) ([]byte, bool) {
	rest := line[len(name):]
	if len(rest) == 0 {
		return nil, true // "data" alone: an empty value
	}
	if rest[0] != ':' {
		return nil, false
	}
	rest = rest[1:]
	if len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	return rest, true
}

// line reads one line without its "\n" or "\r\n" ending. The end of the
// stream is io.EOF: the server closed the connection.
func (t *sseTransport) line() ([]byte, error) {
	var buf []byte
	for {
		chunk, err := t.br.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > t.limit+2 {
			return nil, fmt.Errorf("client: Server-Sent Events line longer than %d bytes", t.limit)
		}
		switch {
		case err == nil:
			buf = bytes.TrimSuffix(buf[:len(buf)-1], []byte("\r"))
			return buf, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return nil, io.EOF
		default:
			return nil, fmt.Errorf("client: Server-Sent Events read: %w", err)
		}
	}
}

func (t *sseTransport) write(ctx context.Context, p []byte, text bool) error {
	return post(ctx, t.r, t.url, p, text, t.requestTimeout)
}

func (t *sseTransport) close(context.Context) { t.abort() }

func (t *sseTransport) abort() {
	t.cancel()
	t.body.Close()
}

// post sends the payload p[frameHeadroom:] to the server for the HTTP
// transports.
func post(ctx context.Context, r *requester, u string, p []byte, text bool, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ct := "application/octet-stream"
	if text {
		ct = "text/plain;charset=UTF-8"
	}
	resp, err := r.do(ctx, http.MethodPost, u, bytes.NewReader(p[frameHeadroom:]), ct)
	if err != nil {
		return fmt.Errorf("client: send: %w", err)
	}
	drain(resp)
	return nil
}
