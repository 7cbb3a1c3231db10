package transport

import (
	"bytes"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestTotalQueueBudget: clients that stop reading each stay under
// MaxQueueBytes and SendTimeout, yet together pass MaxTotalQueueBytes:
// they are ended with ErrSlowConsumer, new connections are refused while
// the total is over, and a client that keeps reading is left alone and
// gets every message.
func TestTotalQueueBudget(t *testing.T) {
	const budget = 4 << 20
	f := newFixture(t, Options{MaxQueueBytes: 256 << 20, MaxTotalQueueBytes: budget, SendTimeout: time.Minute})
	const stuckN = 6
	var conns []*Conn
	for range stuckN {
		ws := f.mustDial("id=" + f.token()) // never reads
		defer ws.Close()
		conns = append(conns, <-f.rec.opened)
	}
	healthy := f.mustDial("id=" + f.token())
	hc := <-f.rec.opened
	conns = append(conns, hc)

	msg := bytes.Repeat([]byte("x"), 64<<10)
	ended := map[*Conn]error{}
	refused := false
	deadline := time.Now().Add(20 * time.Second)
	for len(ended) < stuckN && time.Now().Before(deadline) {
		for _, c := range conns {
			if _, gone := ended[c]; !gone {
				c.Write(msg)
			}
		}
		if got := readN(t, healthy, len(msg), websocket.TextMessage); !bytes.Equal(got, msg) {
			t.Fatalf("healthy client got %d bytes", len(got))
		}
		if !refused && f.srv.budget.over() {
			status, _ := f.negotiateRaw("negotiateVersion=1")
			refused = status == http.StatusServiceUnavailable
		}
		for done := false; !done; {
			select {
			case ev := <-f.rec.closed:
				ended[ev.c] = ev.err
			default:
				done = true
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err, gone := ended[hc]; gone {
		t.Fatalf("the reading client was ended: %v", err)
	}
	if len(ended) < stuckN {
		t.Fatalf("%d of %d non-reading clients ended; %d bytes queued in all (budget %d)", len(ended), stuckN, f.srv.QueuedBytes(), budget)
	}
	for c, err := range ended {
		if !errors.Is(err, ErrQueueBudget) || !errors.Is(err, ErrSlowConsumer) {
			t.Fatalf("%s ended with %v, want ErrQueueBudget, a slow consumer", c.ID(), err)
		}
	}
	if !refused {
		t.Error("negotiate was not refused while the budget was exceeded")
	}
	if st := f.srv.Shed(); st.Conns != stuckN || st.Bytes == 0 {
		t.Errorf("Shed() = %+v, want %d connections", st, stuckN)
	}
	// What they held is released: only the reading client's data is left.
	// (Their sockets' backlogs are released as their writes fail.)
	for q := f.srv.QueuedBytes(); q > 0; q = f.srv.QueuedBytes() {
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes still counted after the shed", q)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if status, _ := f.negotiateRaw("negotiateVersion=1"); status != http.StatusOK {
		t.Errorf("negotiate after the shed: %d", status)
	}
}
