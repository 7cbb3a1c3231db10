package loadtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// KeepAliveConfig describes an idle keep-alive flood: Conns connections
// that each make one request and then stay open, idle, while a fresh
// client makes Probe requests one after the other, each on a new
// connection, to see whether a newcomer is still answered.
type KeepAliveConfig struct {
	URL         string        // a path every flood connection GETs once, http://host:port/path
	Conns       int           // default 1000, at most 25 000
	Concurrency int           // default 64
	Hold        time.Duration // how long to keep them after they are open; default 10 s
	ProbeURL    string        // what the fresh client requests; default URL
	ProbeBody   string        // POSTed when set (e.g. a sign-in), else GET
}

// KeepAliveResult is the summary of a keep-alive flood.
type KeepAliveResult struct {
	Scenario     string  `json:"scenario"`
	URL          string  `json:"url"`
	Conns        int     `json:"conns"`
	Opened       int64   `json:"opened"`
	OpenFailures int64   `json:"open_failures"`
	FirstError   string  `json:"first_error,omitempty"`
	OpenSeconds  float64 `json:"open_seconds"`
	// ClosedByServer counts flood connections the server closed by the
	// end of the hold.
	ClosedByServer int64    `json:"closed_by_server"`
	Probes         int64    `json:"probes"`
	ProbeFailures  int64    `json:"probe_failures"`
	ProbeError     string   `json:"probe_error,omitempty"`
	Latency        *Latency `json:"probe_latency,omitempty"`
}

// KeepAlive runs the keep-alive flood.
func KeepAlive(ctx context.Context, cfg KeepAliveConfig) (*KeepAliveResult, error) {
	if cfg.Conns <= 0 {
		cfg.Conns = 1000
	}
	if cfg.Conns > 25000 {
		return nil, errors.New("loadtest: at most 25 000 connections")
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 64
	}
	if cfg.Hold <= 0 {
		cfg.Hold = 10 * time.Second
	}
	if cfg.ProbeURL == "" {
		cfg.ProbeURL = cfg.URL
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Scheme != "http" {
		return nil, fmt.Errorf("loadtest: keep-alive URL %q: want http://host:port/path", cfg.URL)
	}
	res := &KeepAliveResult{Scenario: "keepalive", URL: cfg.URL, Conns: cfg.Conns}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// The probe runs from the start, so that it also sees the ramp.
	var hist Histogram
	var probes, probeFails atomic.Int64
	var probeErr atomic.Value
	probeDone := make(chan struct{})
	go func() {
		defer close(probeDone)
		for ctx.Err() == nil {
			start := time.Now()
			err := probeOnce(ctx, cfg)
			if ctx.Err() != nil {
				return
			}
			probes.Add(1)
			hist.Record(time.Since(start))
			if err != nil {
				probeFails.Add(1)
				probeErr.CompareAndSwap(nil, err.Error())
			}
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()

	var (
		mu     sync.Mutex
		conns  = make([]net.Conn, 0, cfg.Conns)
		next   atomic.Int64
		failed atomic.Int64
		first  atomic.Value
		wg     sync.WaitGroup
	)
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\n\r\n"
	start := time.Now()
	for range cfg.Concurrency {
		wg.Go(func() {
			for next.Add(1) <= int64(cfg.Conns) && ctx.Err() == nil {
				c, err := keepAliveConn(u.Host, req)
				if err != nil {
					failed.Add(1)
					first.CompareAndSwap(nil, err.Error())
					continue
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.OpenSeconds = time.Since(start).Seconds()
	res.Opened, res.OpenFailures = int64(len(conns)), failed.Load()
	if e, ok := first.Load().(string); ok {
		res.FirstError = e
	}
	select {
	case <-ctx.Done():
	case <-time.After(cfg.Hold):
	}
	cancel()
	<-probeDone
	// A closed connection reads EOF at once; an open one times out.
	var closed atomic.Int64
	var cw sync.WaitGroup
	for _, c := range conns {
		cw.Go(func() {
			c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			var b [1]byte
			if _, err := c.Read(b[:]); err != nil && !isNetTimeout(err) {
				closed.Add(1)
			}
			c.Close()
		})
	}
	cw.Wait()
	res.ClosedByServer = closed.Load()
	res.Probes, res.ProbeFailures = probes.Load(), probeFails.Load()
	if e, ok := probeErr.Load().(string); ok {
		res.ProbeError = e
	}
	res.Latency = hist.Summary()
	return res, nil
}

// keepAliveConn opens a connection to host, makes request on it and
// leaves it open.
func keepAliveConn(host, request string) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", host, 10*time.Second)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReaderSize(c, 512)
	if _, err := io.WriteString(c, request); err != nil {
		c.Close()
		return nil, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	c.SetDeadline(time.Time{})
	return c, nil
}

// probeOnce makes the fresh client's request on a new connection, within
// 5 s.
func probeOnce(ctx context.Context, cfg KeepAliveConfig) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	method, body := http.MethodGet, io.Reader(nil)
	if cfg.ProbeBody != "" {
		method, body = http.MethodPost, strings.NewReader(cfg.ProbeBody)
	}
	req, err := http.NewRequestWithContext(ctx, method, cfg.ProbeURL, body)
	if err != nil {
		return err
	}
	if cfg.ProbeBody != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}

func isNetTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
