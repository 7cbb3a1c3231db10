package transport

import (
	"net/http"
	"strconv"
	"time"
)

// servePoll answers a long poll. The first poll of a connection opens it and
// returns at once; later polls return everything queued, an empty 200 after
// PollTimeout, or 204 when the connection ended or a newer poll took over.
func (s *Server) servePoll(w http.ResponseWriter, r *http.Request, c *Conn) {
	// A poll waits up to PollTimeout, which may be longer than the
	// http.Server's WriteTimeout: its answer must still go out. (SSE
	// writes set their own deadline, and net/http clears the read deadline
	// once a request's body is read.)
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.opts.PollTimeout + s.opts.SendTimeout))
	h := w.Header()
	h.Set("Cache-Control", "no-cache, no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Expires", "Thu, 01 Jan 1970 00:00:00 GMT")

	c.mu.Lock()
	switch {
	case c.state == stClosed:
		c.mu.Unlock()
		plainError(w, http.StatusNotFound, msgNoConnection)
		return
	case c.transport != 0 && c.transport != LongPolling:
		c.mu.Unlock()
		plainError(w, http.StatusBadRequest, msgChangeTransport)
		return
	case c.state == stNew:
		c.transport, c.state, c.idleSince = LongPolling, stInactive, time.Now()
		c.mu.Unlock()
		s.firstPoll(w, r, c)
		return
	}
	if old := c.wake; old != nil {
		// The older poll sees that it is no longer current and gets 204.
		select {
		case old <- struct{}{}:
		default:
		}
	}
	wake := make(chan struct{}, 1)
	c.wake, c.idleSince = wake, time.Time{}
	if c.state == stInactive {
		c.state = stActive
	}
	c.mu.Unlock()

	timer := time.NewTimer(s.opts.PollTimeout)
	defer timer.Stop()
	for {
		c.mu.Lock()
		if c.wake != wake {
			c.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if body := c.q.take(0); body != nil {
			c.releasePollLocked()
			c.mu.Unlock()
			s.writePollBody(w, c, body)
			return
		}
		if c.state == stClosing {
			closeErr := c.closeErr
			c.wake = nil
			c.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
			c.finish(closeErr)
			return
		}
		c.mu.Unlock()
		select {
		case <-wake:
		case <-c.ctx.Done():
		case <-timer.C:
			c.endPoll(wake)
			h.Set("Content-Type", "text/plain")
			h.Set("Content-Length", "0")
			w.WriteHeader(http.StatusOK)
			return
		case <-r.Context().Done():
			c.endPoll(wake)
			return
		}
	}
}

// firstPoll opens the connection and answers at once, with no data: the
// client ignores the first body.
func (s *Server) firstPoll(w http.ResponseWriter, r *http.Request, c *Conn) {
	c.keepRequest(r)
	if err := c.open(); err != nil {
		s.opts.Logger.Debug("signalr transport: connection refused", "id", c.id, "error", err)
		plainError(w, http.StatusInternalServerError, "Connection refused")
		c.finish(nil)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// releasePollLocked detaches the current poll: the gap until the next one
// counts toward DisconnectTimeout.
func (c *Conn) releasePollLocked() {
	c.wake, c.idleSince = nil, time.Now()
	if c.state == stActive {
		c.state = stInactive
	}
}

// endPoll detaches poll wake if it is still the current one.
func (c *Conn) endPoll(wake chan struct{}) {
	c.mu.Lock()
	if c.wake == wake {
		c.releasePollLocked()
	}
	c.mu.Unlock()
}

// writePollBody sends body as one response within SendTimeout; a write
// that times out ends the connection.
func (s *Server) writePollBody(w http.ResponseWriter, c *Conn, body [][]byte) {
	n := 0
	for _, m := range body {
		n += len(m)
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.Itoa(n))
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Now().Add(s.opts.SendTimeout))
	w.WriteHeader(http.StatusOK)
	for _, m := range body {
		if _, err := w.Write(m); err != nil {
			if isTimeout(err) {
				c.finish(ErrSendTimeout)
			}
			return
		}
	}
	if err := rc.Flush(); err != nil && isTimeout(err) {
		c.finish(ErrSendTimeout)
	}
}

// serveDelete ends a long polling connection at the client's request.
func (s *Server) serveDelete(w http.ResponseWriter, c *Conn) {
	if c.Transport() != LongPolling {
		plainError(w, http.StatusBadRequest, "Cannot terminate this connection using the DELETE endpoint.")
		return
	}
	c.finish(nil)
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusAccepted)
}
