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
	first, last := closes[0], closes[0]
	for _, at := range closes {
		if at.Before(first) {
			first = at
		}
		if at.After(last) {
			last = at
		}
	}
	if spread := last.Sub(first); spread < period/2 {
		t.Errorf("Closes spread over %v, want at least %v of the %v drain period", spread, period/2, period)
	}
}
