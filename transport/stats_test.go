package transport

import (
	"context"
	"testing"
)

func TestStatsCountsPendingAndQueued(t *testing.T) {
	s := NewServer(nil, Options{})
	a, b := s.newConn("a", "ta", Principal{}, false), s.newConn("b", "tb", Principal{}, false)
	s.add(a)
	s.add(b)
	defer func() {
		s.remove(a)
		s.remove(b)
		_ = s.Shutdown(context.Background())
	}()
	b.mu.Lock()
	b.state = stActive
	b.q.push(make([]byte, 100))
	b.q.push(make([]byte, 20))
	b.mu.Unlock()
	if st := s.Stats(); st.Pending != 1 || st.QueuedBytes != 120 {
		t.Errorf("Stats = %+v, want 1 pending and 120 bytes queued", st)
	}
}
