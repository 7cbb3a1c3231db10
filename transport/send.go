package transport

import (
	"io"
	"net/http"
)

// serveSend passes a POST body (the client's sends on SSE and Long
// Polling) to the connection, chunk by chunk, one POST at a time.
func (s *Server) serveSend(w http.ResponseWriter, r *http.Request, c *Conn) {
	switch c.Transport() {
	case WebSockets:
		plainError(w, http.StatusMethodNotAllowed, "POST requests are not allowed for WebSocket connections.")
		return
	case 0:
		plainError(w, http.StatusConflict, "The connection has not started a transport.")
		return
	}
	c.pmu.Lock()
	defer c.pmu.Unlock()
	buf := s.readBufs.Get().(*[]byte)
	defer s.readBufs.Put(buf)
	for {
		n, err := r.Body.Read(*buf)
		if n > 0 && !c.deliver((*buf)[:n], nil) {
			plainError(w, http.StatusNotFound, msgNoConnection)
			return
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			plainError(w, http.StatusBadRequest, "Reading the request body failed.")
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
}
