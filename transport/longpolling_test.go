package transport

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// poll sends one long poll and returns status and body.
func (f *fixture) poll(token string) (int, string) {
	f.t.Helper()
	status, body, _ := f.do(http.MethodGet, "/hub?id="+token+"&_=1", "", nil)
	return status, body
}

// startPoll sends a long poll in the background.
func (f *fixture) startPoll(token string) <-chan [2]string {
	ch := make(chan [2]string, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, f.ts.URL+"/hub?id="+token, nil)
		resp, err := f.client.Do(req)
		if err != nil {
			ch <- [2]string{"error", err.Error()}
			return
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		ch <- [2]string{fmt.Sprint(resp.StatusCode), b.String()}
	}()
	return ch
}

// waitPending waits until c has a poll attached.
func waitPending(t *testing.T, c *Conn) {
	t.Helper()
	for range 500 {
		c.mu.Lock()
		pending := c.wake != nil
		c.mu.Unlock()
		if pending {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("poll never arrived")
}

func TestLongPollingEchoInOrder(t *testing.T) {
	f := newFixture(t, Options{})
	token := f.token()
	status, body, h := f.do(http.MethodGet, "/hub?id="+token, "", nil)
	if status != http.StatusOK || body != "" || h.Get("Content-Type") != "application/octet-stream" || h.Get("Cache-Control") != "no-cache, no-store" {
		t.Fatalf("first poll: %d %q %v", status, body, h)
	}
	c := <-f.rec.opened
	if c.Transport() != LongPolling {
		t.Fatalf("transport %v", c.Transport())
	}
	var want, got strings.Builder
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 1000 {
			msg := fmt.Sprintf("m%04d\x1e", i)
			want.WriteString(msg)
			if status, _, _ := f.do(http.MethodPost, "/hub?id="+token, msg, nil); status != http.StatusOK {
				t.Errorf("POST %d: %d", i, status)
				return
			}
		}
	}()
	for got.Len() < 6000 {
		status, body := f.poll(token)
		if status != http.StatusOK {
			t.Fatalf("poll: %d", status)
		}
		got.WriteString(body)
	}
	<-done
	if got.String() != want.String() {
		t.Fatalf("out of order: %q", got.String())
	}
}

func TestLongPollingRacingPolls(t *testing.T) {
	f := newFixture(t, Options{})
	token := f.token()
	f.poll(token)
	c := <-f.rec.opened
	first := f.startPoll(token)
	waitPending(t, c)
	c.mu.Lock()
	firstWake := c.wake
	c.mu.Unlock()
	second := f.startPoll(token)
	if r := <-first; r[0] != "204" {
		t.Fatalf("older poll: %v, want 204", r)
	}
	for {
		c.mu.Lock()
		w := c.wake
		c.mu.Unlock()
		if w != nil && w != firstWake {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.Write([]byte("data\x1e"))
	if r := <-second; r != [2]string{"200", "data\x1e"} {
		t.Fatalf("newer poll: %v", r)
	}
}

func TestLongPollingTimeoutAndDelete(t *testing.T) {
	f := newFixture(t, Options{PollTimeout: 50 * time.Millisecond})
	token := f.token()
	f.poll(token)
	c := <-f.rec.opened
	if status, body, h := f.do(http.MethodGet, "/hub?id="+token, "", nil); status != http.StatusOK || body != "" || h.Get("Content-Type") != "text/plain" {
		t.Fatalf("timed-out poll: %d %q", status, body)
	}
	f.srv.opts.PollTimeout = time.Minute
	pending := f.startPoll(token)
	waitPending(t, c)
	if status, _, _ := f.do(http.MethodDelete, "/hub?id="+token, "", nil); status != http.StatusAccepted {
		t.Fatalf("DELETE: %d", status)
	}
	if r := <-pending; r[0] != "204" {
		t.Fatalf("poll during DELETE: %v", r)
	}
	if ev := f.rec.waitClosed(t); ev.err != nil {
		t.Fatalf("Closed(%v)", ev.err)
	}
	if status, _ := f.poll(token); status != http.StatusNotFound {
		t.Fatalf("poll after DELETE: %d", status)
	}
}

func TestLongPollingServerClose(t *testing.T) {
	f := newFixture(t, Options{})
	token := f.token()
	f.poll(token)
	c := <-f.rec.opened
	boom := errors.New("boom")
	c.Write([]byte("bye\x1e"))
	c.Close(boom)
	if status, body := f.poll(token); status != http.StatusOK || body != "bye\x1e" {
		t.Fatalf("poll with the tail: %d %q", status, body)
	}
	if status, _ := f.poll(token); status != http.StatusNoContent {
		t.Fatalf("poll after close: %d", status)
	}
	if ev := f.rec.waitClosed(t); !errors.Is(ev.err, boom) {
		t.Fatalf("Closed(%v)", ev.err)
	}
}

func TestLongPollingGapReaped(t *testing.T) {
	f := newFixture(t, Options{DisconnectTimeout: 100 * time.Millisecond})
	token := f.token()
	f.poll(token)
	if ev := f.rec.waitClosed(t); !errors.Is(ev.err, ErrDisconnectTimeout) {
		t.Fatalf("Closed(%v)", ev.err)
	}
	if status, _ := f.poll(token); status != http.StatusNotFound {
		t.Fatalf("poll after reap: %d", status)
	}
}

func TestConcurrentPostsAreSerialized(t *testing.T) {
	f := newFixture(t, Options{})
	token := f.token()
	f.poll(token)
	c := <-f.rec.opened
	if c.Request() == nil || c.Request().URL.Query().Get("id") != token {
		t.Fatal("Request() lacks the first poll")
	}
	// The echo receiver panics on concurrent Receive calls.
	body := strings.Repeat("y", 40<<10) // 20 of them stay under MaxQueueBytes
	errs := make(chan error, 20)
	for range 20 {
		go func() {
			req, _ := http.NewRequest(http.MethodPost, f.ts.URL+"/hub?id="+token, strings.NewReader(body))
			resp, err := f.client.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			errs <- err
		}()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for total < 20*len(body) {
		_, got := f.poll(token)
		total += len(got)
	}
	if total != 20*len(body) {
		t.Fatalf("echoed %d bytes", total)
	}
	f.do(http.MethodDelete, "/hub?id="+token, "", nil)
	select {
	case <-c.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Context not cancelled at the end")
	}
}
