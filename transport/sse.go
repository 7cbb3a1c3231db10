package transport

import (
	"bytes"
	"fmt"
	"net/http"
	"time"
)

// claimSSE attaches an SSE stream to c, or returns the status refusing it.
func (c *Conn) claimSSE() (status int, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.state >= stClosing:
		return http.StatusNotFound, msgNoConnection
	case c.transport != 0 && c.transport != ServerSentEvents:
		return http.StatusBadRequest, msgChangeTransport
	case c.state != stNew:
		return http.StatusConflict, msgAlreadyActive
	}
	c.transport, c.state, c.idleSince = ServerSentEvents, stActive, time.Time{}
	c.wake = make(chan struct{}, 1)
	return 0, ""
}

// serveSSE streams c's outgoing messages as Server-Sent Events until the
// connection or the request ends. The client sends with POST.
func (s *Server) serveSSE(w http.ResponseWriter, r *http.Request, c *Conn) {
	if status, msg := c.claimSSE(); status != 0 {
		plainError(w, status, msg)
		return
	}
	c.keepRequest(r)
	if err := c.open(); err != nil {
		s.opts.Logger.Debug("signalr transport: connection refused", "id", c.id, "error", err)
		plainError(w, http.StatusInternalServerError, "Connection refused")
		c.finish(nil)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache,no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Encoding", "identity")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	// Some browsers fire "open" only once data arrives: a comment goes out
	// at once.
	if err := s.flushSSE(w, rc, []byte(":\r\n")); err != nil {
		c.finish(err)
		return
	}
	c.mu.Lock()
	wake := c.wake
	c.mu.Unlock()
	for {
		c.mu.Lock()
		batch := c.q.take(s.opts.MaxFrameBytes)
		st, closeErr := c.state, c.closeErr
		c.mu.Unlock()
		switch {
		case batch != nil:
			if err := s.flushSSE(w, rc, sseEvent(batch)); err != nil {
				c.finish(err)
				return
			}
			continue
		case st == stClosing:
			c.finish(closeErr)
			return
		case st == stClosed:
			return
		}
		select {
		case <-wake:
		case <-c.ctx.Done():
		case <-r.Context().Done():
			// The client closed its EventSource: that is how it stops.
			c.finish(nil)
			return
		}
	}
}

// flushSSE writes p and flushes it within SendTimeout.
func (s *Server) flushSSE(w http.ResponseWriter, rc *http.ResponseController, p []byte) error {
	rc.SetWriteDeadline(time.Now().Add(s.opts.SendTimeout))
	_, err := w.Write(p)
	if err == nil {
		err = rc.Flush()
	}
	if err != nil {
		if isTimeout(err) {
			return ErrSendTimeout
		}
		return fmt.Errorf("%w: %w", ErrConnectionLost, err)
	}
	return nil
}

// sseEvent formats batch as one event: every line of the payload becomes a
// "data:" line (a '\r' before a '\n' is dropped), and a blank line ends the
// event.
func sseEvent(batch [][]byte) []byte {
	n := 8
	for _, m := range batch {
		n += len(m)
	}
	out := make([]byte, 0, n)
	out = append(out, "data: "...)
	for _, m := range batch {
		for {
			i := bytes.IndexByte(m, '\n')
			if i < 0 {
				out = append(out, m...)
				break
			}
			line := m[:i]
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			out = append(out, line...)
			out = append(out, "\r\ndata: "...)
			m = m[i+1:]
		}
	}
	return append(out, "\r\n\r\n"...)
}
