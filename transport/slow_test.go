package transport

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestSlowConsumer(t *testing.T) {
	const limit = 256 << 10
	f := newFixture(t, Options{MaxQueueBytes: limit, SendTimeout: 300 * time.Millisecond})
	stuck := f.mustDial("id=" + f.token()) // never reads
	c := <-f.rec.opened
	healthy := f.mustDial("id=" + f.token())
	<-f.rec.opened

	msg := bytes.Repeat([]byte("x"), 64<<10)
	var err error
	written := 0
	for ; written < 64<<20 && err == nil; written += len(msg) {
		err = c.Write(msg)
		c.mu.Lock()
		queued := c.q.bytes
		c.mu.Unlock()
		if queued > limit {
			t.Fatalf("queue holds %d bytes, limit %d", queued, limit)
		}
		healthy.WriteMessage(websocket.TextMessage, []byte("ping\x1e"))
		if got := readN(t, healthy, 5, websocket.TextMessage); string(got) != "ping\x1e" {
			t.Fatalf("healthy client got %q", got)
		}
		if err == nil {
			time.Sleep(time.Millisecond)
		}
	}
	if err == nil {
		t.Fatalf("64 MiB queued on a client that never reads")
	}
	if !errors.Is(err, ErrSlowConsumer) && !errors.Is(err, ErrClosed) {
		t.Fatalf("Write: %v", err)
	}
	ev := f.rec.waitClosed(t)
	if ev.c != c || !(errors.Is(ev.err, ErrSlowConsumer) || errors.Is(ev.err, ErrSendTimeout)) {
		t.Fatalf("Closed(%v)", ev.err)
	}
	t.Logf("connection ended with %v after %d KiB", ev.err, written>>10)
	stuck.Close()
}

// TestSendTimeout: a client that stops reading, with room left in the
// queue, is ended by SendTimeout once the socket's backlog stops moving;
// other connections are not held up meanwhile.
func TestSendTimeout(t *testing.T) {
	f := newFixture(t, Options{MaxQueueBytes: 256 << 20, SendTimeout: 200 * time.Millisecond})
	stuck := f.mustDial("id=" + f.token()) // never reads
	defer stuck.Close()
	c := <-f.rec.opened
	healthy := f.mustDial("id=" + f.token())
	<-f.rec.opened
	msg := bytes.Repeat([]byte("x"), 1<<20)
	// More than the loopback socket buffers on both ends hold.
	for range 32 {
		if err := c.Write(msg); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	healthy.WriteMessage(websocket.TextMessage, []byte("ping\x1e"))
	if got := readN(t, healthy, 5, websocket.TextMessage); string(got) != "ping\x1e" {
		t.Fatalf("healthy client got %q", got)
	}
	ev := f.rec.waitClosed(t)
	if ev.c != c || !errors.Is(ev.err, ErrSendTimeout) {
		t.Fatalf("Closed(%v), want ErrSendTimeout", ev.err)
	}
}

// TestBacklogDrained: a client that falls behind long enough for a
// backlog to form, then catches up, keeps its connection, and later
// writes go out, also after SendTimeout has passed since the backlog.
func TestBacklogDrained(t *testing.T) {
	const timeout = 300 * time.Millisecond
	f := newFixture(t, Options{MaxQueueBytes: 256 << 20, SendTimeout: timeout})
	ws := f.mustDial("id=" + f.token())
	c := <-f.rec.opened
	msg := bytes.Repeat([]byte("x"), 1<<20)
	const n = 24 // more than the loopback socket buffers hold
	for range n {
		if err := c.Write(msg); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	for deadline := time.Now().Add(2 * time.Second); !backlogged(c); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no backlog formed")
		}
	}
	if err := discardN(ws, n*len(msg)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * timeout)
	if err := c.Write([]byte("late\x1e")); err != nil {
		t.Fatalf("Write after the backlog: %v", err)
	}
	if got := readN(t, ws, 5, websocket.TextMessage); string(got) != "late\x1e" {
		t.Fatalf("got %q", got)
	}
}

// backlogged reports whether c's socket holds a backlog or is writing one
// out.
func backlogged(c *Conn) bool {
	c.mu.Lock()
	out := c.ws.out
	c.mu.Unlock()
	out.mu.Lock()
	defer out.mu.Unlock()
	return out.flushing
}

// TestLargeMessage: one message far larger than MaxQueueBytes and than
// the socket buffers reaches a client that reads it slowly: the limit is
// on what waits in the queue, not on a message being sent.
func TestLargeMessage(t *testing.T) {
	f := newFixture(t, Options{MaxQueueBytes: 64 << 10, SendTimeout: 2 * time.Second})
	ws := f.mustDial("id=" + f.token())
	c := <-f.rec.opened
	msg := bytes.Repeat([]byte("y"), 16<<20)
	if err := c.Write(msg); err != nil {
		t.Fatalf("Write: %v", err)
	}
	time.Sleep(100 * time.Millisecond) // the socket falls behind
	if err := discardN(ws, len(msg)); err != nil {
		t.Fatal(err)
	}
	if err := c.Write([]byte("after\x1e")); err != nil {
		t.Fatalf("Write after: %v", err)
	}
	if got := readN(t, ws, 6, websocket.TextMessage); string(got) != "after\x1e" {
		t.Fatalf("got %q", got)
	}
}

// TestPingsWhileBehind: a client that sends pings but does not read gets
// no pongs queued while its socket is behind, so they cannot grow the
// server's memory.
func TestPingsWhileBehind(t *testing.T) {
	rec := newRecorder()
	read := make(chan struct{}, 1)
	rec.onReceive = func(p []byte) {
		if string(p) == "done\x1e" {
			read <- struct{}{}
		}
	}
	f := newFixtureWith(t, rec, Options{MaxQueueBytes: 256 << 20, SendTimeout: 5 * time.Second})
	ws := f.mustDial("id=" + f.token())
	c := <-f.rec.opened
	msg := bytes.Repeat([]byte("x"), 1<<20)
	for range 24 {
		if err := c.Write(msg); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	for deadline := time.Now().Add(2 * time.Second); !backlogged(c); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no backlog formed")
		}
	}
	before := backlogBytes(c)
	ping := bytes.Repeat([]byte("p"), 125)
	for range 5000 {
		if err := ws.WriteControl(websocket.PingMessage, ping, time.Now().Add(time.Second)); err != nil {
			t.Fatalf("ping: %v", err)
		}
	}
	// Once the message after the pings has arrived, every ping was read.
	ws.WriteMessage(websocket.TextMessage, []byte("done\x1e"))
	select {
	case <-read:
	case <-time.After(5 * time.Second):
		t.Fatal("the message after the pings was not read")
	}
	if grown := backlogBytes(c) - before; grown > 64<<10 {
		t.Fatalf("the backlog grew by %d bytes during 5 000 pings", grown)
	}
}

// backlogBytes returns how much c's socket holds in its backlog.
func backlogBytes(c *Conn) int {
	c.mu.Lock()
	out := c.ws.out
	c.mu.Unlock()
	out.mu.Lock()
	defer out.mu.Unlock()
	return len(out.backlog)
}
