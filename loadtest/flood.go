package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// FloodConfig describes a flood: Sockets WebSockets that complete the
// SignalR handshake and then never read, opened Concurrency at a time,
// while one healthy client invokes ProbeMethod every ProbeInterval and
// waits for ProbeReply, which times the server's answer to someone who
// reads. The defaults fit the ASP.NET sample chat hub (chat/seed), which
// tells every connection about every arrival.
type FloodConfig struct {
	URL           string        // hub URL, http(s)://...
	Sockets       int           // default 1000, at most 25 000
	Concurrency   int           // default 64
	Hold          time.Duration // how long to keep the flood open after it is complete; default 10 s
	ProbeInterval time.Duration // default 20 ms
	ProbeMethod   string        // default "GetConnectionInfo"
	ProbeReply    string        // default "ReceiveConnectionInfo"
	PID           int           // server process whose memory to sample; 0: none
}

// FloodResult is the summary of a flood, printed as one JSON line.
type FloodResult struct {
	Scenario       string   `json:"scenario"`
	URL            string   `json:"url"`
	Sockets        int      `json:"sockets"`
	Opened         int64    `json:"opened"`
	OpenFailures   int64    `json:"open_failures"`
	FirstError     string   `json:"first_error,omitempty"`
	OpenSeconds    float64  `json:"open_seconds"`
	Latency        *Latency `json:"healthy_latency,omitempty"`
	ProbeTimeouts  int64    `json:"probe_timeouts"`
	HealthyDropped bool     `json:"healthy_dropped"`
	HealthyError   string   `json:"healthy_error,omitempty"`
	// RSSMax is the largest VmRSS sampled (every 100 ms) during the
	// flood; RSSPeak the process's VmHWM at the end, its peak over its
	// whole life.
	RSSStart int64 `json:"rss_start_bytes,omitempty"`
	RSSMax   int64 `json:"rss_max_bytes,omitempty"`
	RSSEnd   int64 `json:"rss_end_bytes,omitempty"`
	RSSPeak  int64 `json:"rss_peak_bytes,omitempty"`
}

// probeTimeout is how long the healthy client waits for one reply; a
// timeout is recorded as this latency.
const probeTimeout = 5 * time.Second

// Flood runs the flood scenario.
func Flood(ctx context.Context, cfg FloodConfig) (*FloodResult, error) {
	cfg = cfg.withDefaults()
	if cfg.Sockets > 25000 {
		return nil, errors.New("loadtest: at most 25 000 sockets")
	}
	wsURL, err := floodWSURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	res := &FloodResult{Scenario: "flood", URL: cfg.URL, Sockets: cfg.Sockets}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var mem memSampler
	if cfg.PID > 0 {
		res.RSSStart, _ = ReadRSS(cfg.PID)
		go mem.run(ctx, cfg.PID)
	}
	healthy, err := dialFlood(ctx, wsURL)
	if err != nil {
		return nil, fmt.Errorf("loadtest: the healthy client: %w", err)
	}
	var hist Histogram
	probeDone := make(chan struct{})
	var timeouts atomic.Int64
	var probeErr error
	go func() {
		defer close(probeDone)
		if err := probe(ctx, healthy, cfg, &hist, &timeouts); err != nil && ctx.Err() == nil {
			probeErr = err
		}
	}()

	start := time.Now()
	socks := openFlood(ctx, wsURL, cfg, res)
	res.OpenSeconds = time.Since(start).Seconds()
	select {
	case <-ctx.Done():
	case <-time.After(cfg.Hold):
	}
	cancel()
	healthy.Close()
	<-probeDone
	if cfg.PID > 0 {
		res.RSSMax = mem.max.Load()
		res.RSSEnd, _ = ReadRSS(cfg.PID)
		res.RSSPeak, _ = readStatusKB(cfg.PID, "VmHWM:")
	}
	for _, s := range socks {
		s.Close()
	}
	res.Latency = hist.Summary()
	res.ProbeTimeouts = timeouts.Load()
	if probeErr != nil {
		res.HealthyDropped, res.HealthyError = true, probeErr.Error()
	}
	return res, nil
}

func (c FloodConfig) withDefaults() FloodConfig {
	if c.Sockets <= 0 {
		c.Sockets = 1000
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 64
	}
	if c.Hold <= 0 {
		c.Hold = 10 * time.Second
	}
	if c.ProbeInterval <= 0 {
		c.ProbeInterval = 20 * time.Millisecond
	}
	if c.ProbeMethod == "" {
		c.ProbeMethod = "GetConnectionInfo"
	}
	if c.ProbeReply == "" {
		c.ProbeReply = "ReceiveConnectionInfo"
	}
	return c
}

// floodWSURL turns the hub URL into its WebSocket URL.
func floodWSURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("loadtest: hub URL: %w", err)
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("loadtest: hub URL %q: not http or https", raw)
	}
	return u.String(), nil
}

// floodDialer keeps the flood's sockets small: they never read.
var floodDialer = websocket.Dialer{ReadBufferSize: 1024, WriteBufferSize: 1024, HandshakeTimeout: 30 * time.Second}

// dialFlood opens a WebSocket without negotiating and completes the JSON
// handshake (its response is left unread).
func dialFlood(ctx context.Context, wsURL string) (*websocket.Conn, error) {
	ws, resp, err := floodDialer.DialContext(ctx, wsURL, http.Header{})
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("%w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, err
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte("{\"protocol\":\"json\",\"version\":1}\x1e")); err != nil {
		ws.Close()
		return nil, err
	}
	return ws, nil
}

// openFlood opens the non-reading sockets.
func openFlood(ctx context.Context, wsURL string, cfg FloodConfig, res *FloodResult) []*websocket.Conn {
	var (
		mu     sync.Mutex
		socks  = make([]*websocket.Conn, 0, cfg.Sockets)
		next   atomic.Int64
		failed atomic.Int64
		first  atomic.Value
		wg     sync.WaitGroup
	)
	for range cfg.Concurrency {
		wg.Go(func() {
			for next.Add(1) <= int64(cfg.Sockets) && ctx.Err() == nil {
				ws, err := dialFlood(ctx, wsURL)
				if err != nil {
					failed.Add(1)
					first.CompareAndSwap(nil, err.Error())
					continue
				}
				mu.Lock()
				socks = append(socks, ws)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.Opened, res.OpenFailures = int64(len(socks)), failed.Load()
	if e, ok := first.Load().(string); ok {
		res.FirstError = e
	}
	return socks
}

// probe invokes cfg.ProbeMethod on ws every cfg.ProbeInterval, one at a
// time, and records how long cfg.ProbeReply takes, until ctx ends or ws
// fails.
func probe(ctx context.Context, ws *websocket.Conn, cfg FloodConfig, hist *Histogram, timeouts *atomic.Int64) error {
	replies := make(chan struct{}, 1)
	readErr := make(chan error, 1)
	want := []byte(`"target":"` + cfg.ProbeReply + `"`)
	go func() {
		for {
			_, msg, err := ws.ReadMessage()
			if err != nil {
				readErr <- err
				return
			}
			for _, m := range bytes.Split(msg, []byte{0x1e}) {
				if bytes.Contains(m, []byte(`"type":7`)) {
					readErr <- fmt.Errorf("the server closed the connection: %s", m)
					return
				}
				if bytes.Contains(m, want) {
					select {
					case replies <- struct{}{}:
					default:
					}
				}
			}
		}
	}()
	inv := []byte(`{"type":1,"target":"` + strings.ReplaceAll(cfg.ProbeMethod, `"`, ``) + `","arguments":[]}` + "\x1e")
	tick := time.NewTicker(cfg.ProbeInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-readErr:
			return err
		case <-tick.C:
		}
		sent := time.Now()
		if err := ws.WriteMessage(websocket.TextMessage, inv); err != nil {
			return err
		}
		timer := time.NewTimer(probeTimeout)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case err := <-readErr:
			timer.Stop()
			return err
		case <-replies:
			hist.Record(time.Since(sent))
		case <-timer.C:
			timeouts.Add(1)
			hist.Record(probeTimeout)
		}
		timer.Stop()
	}
}

// memSampler keeps the largest RSS of a process.
type memSampler struct{ max atomic.Int64 }

func (m *memSampler) run(ctx context.Context, pid int) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		if rss, err := ReadRSS(pid); err == nil && rss > m.max.Load() {
			m.max.Store(rss)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
