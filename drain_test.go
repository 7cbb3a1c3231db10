package signalr

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/signalr-go/signalr/protocol"
)

// TestShutdownDrains checks the drain over real WebSockets: negotiate is
// refused from the start, a running invocation finishes and its result
// goes out before the Close, every client gets a Close that allows
// reconnecting, and the Closes are spread over the drain period.
func TestShutdownDrains(t *testing.T) {
	const period, n = 500 * time.Millisecond, 5
	hub := newTestHub()
	srv, url := startE2E(t, hub, Options{DrainPeriod: period})
	srv.drainStepMax = time.Second // the period alone sets the pace
	clients := make([]*wsClient, n)
	for i := range clients {
		clients[i] = dialHub(t, url, protocol.NewJSON(), nil)
	}
	busy := clients[0]
	busy.send(&protocol.Invocation{InvocationID: "b", Target: "Block"})
	for deadline := time.Now().Add(waitTimeout); hub.active.Load() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("Block did not start")
		}
		time.Sleep(time.Millisecond)
	}

	done := make(chan error, 1)
	start := time.Now()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		done <- srv.Shutdown(ctx)
	}()
	for deadline := time.Now().Add(waitTimeout); !srv.Draining(); {
		if time.Now().After(deadline) {
			t.Fatal("not draining after Shutdown")
		}
		time.Sleep(time.Millisecond)
	}
	res, err := http.Post(url+"/negotiate?negotiateVersion=1", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("negotiate while draining: %d, want 503", res.StatusCode)
	}

	var mu sync.Mutex
	var closes []time.Time
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sawCompletion bool
			for {
				switch m := c.next().(type) {
				case *protocol.Completion:
					sawCompletion = m.InvocationID == "b"
				case *protocol.Close:
					if !m.AllowReconnect || m.Error != "" {
						t.Errorf("client %d: Close %+v, want allowReconnect without error", i, m)
					}
					if c == busy && !sawCompletion {
						t.Error("the running invocation's completion did not come before the Close")
					}
					mu.Lock()
					closes = append(closes, time.Now())
					mu.Unlock()
					return
				}
			}
		}()
	}
	time.Sleep(150 * time.Millisecond) // the busy connection waits meanwhile
	close(hub.release)
	wg.Wait()
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	// The connections are told 100 ms apart, the last one 400 ms after
	// the start at the earliest (whichever connection waits for Block).
	first, last := closes[0], closes[0]
	for _, at := range closes {
		if at.Before(first) {
			first = at
		}
		if at.After(last) {
			last = at
		}
	}
	if d := last.Sub(start); d < (n-1)*period/n {
		t.Errorf("the last Close came %v after the start, want at least %v", d, (n-1)*period/n)
	}
	if spread := last.Sub(first); spread < period/3 {
		t.Errorf("Closes spread over %v, want at least %v", spread, period/3)
	}
}

func TestDrainStep(t *testing.T) {
	srv, err := NewServer(nil, Options{Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	soon, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	for _, c := range []struct {
		ctx  context.Context
		n    int
		want time.Duration
	}{
		{context.Background(), 1, 0},
		{context.Background(), 10, 10 * time.Millisecond},     // few: 10 ms apart
		{context.Background(), 1000, 10 * time.Millisecond},   // the whole 10 s
		{context.Background(), 4000, 2500 * time.Microsecond}, // closer, within 10 s
	} {
		if got := srv.drainStep(c.ctx, c.n); got != c.want {
			t.Errorf("drainStep(%d) = %v, want %v", c.n, got, c.want)
		}
	}
	// A 4 s deadline leaves 3 s for 1000 connections.
	if got := srv.drainStep(soon, 1000); got > 3*time.Millisecond || got < 2500*time.Microsecond {
		t.Errorf("drainStep with a 4 s deadline = %v, want about 3 ms", got)
	}
}
