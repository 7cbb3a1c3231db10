package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/signalr-go/signalr/client"
)

// TestServeMetrics runs "serve" and checks its probes and /metrics (parsed
// with the Prometheus text parser) while a Go client is connected.
func TestServeMetrics(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- serve(ctx, []string{"-addr", "127.0.0.1:0"}, pw, io.Discard); pw.Close() }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	m := regexp.MustCompile(`listening on (http://\S+)/hub`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("serve printed %q", line)
	}
	base := m[1]
	for _, probe := range []string{"/healthz", "/readyz"} {
		res, err := http.Get(base + probe)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", probe, res.StatusCode)
		}
	}
	c, err := client.New(base + "/hub")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	if _, err := client.Invoke[string](ctx, c, "Echo", "x"); err != nil {
		t.Fatal(err)
	}
	// An invocation is recorded once its Completion is on its way, so it
	// may be recorded just after the client has its answer.
	fams := scrapeMetrics(t, base)
	for deadline := time.Now().Add(5 * time.Second); value(fams, "signalr_server_invocations_total", "rpc_method", "Echo") < 1 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		fams = scrapeMetrics(t, base)
	}
	if got := value(fams, "signalr_server_active_connections", "signalr_transport", "web_sockets"); got != 1 {
		t.Errorf("signalr_server_active_connections{web_sockets} = %v, want 1", got)
	}
	if got := value(fams, "signalr_server_invocations_total", "rpc_method", "Echo", "signalr_invocation_outcome", "success"); got != 1 {
		t.Errorf("Echo invocations = %v, want 1", got)
	}
}

// scrapeMetrics parses the server's /metrics with the Prometheus text
// parser.
func scrapeMetrics(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// value returns the gauge or counter value of the metric of family fam
// with the labels given as name, value pairs; -1 if there is none.
func value(fams map[string]*dto.MetricFamily, fam string, labels ...string) float64 {
next:
	for _, m := range fams[fam].GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		if m.Gauge != nil {
			return m.GetGauge().GetValue()
		}
		return m.GetCounter().GetValue()
	}
	return -1
}
