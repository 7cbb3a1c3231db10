package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// officialClients connects the official @microsoft/signalr client (from
// interop/node_modules) to the seed hub twice, over WebSockets and Long
// Polling, has each invoke SendMessage twice, prints "ready", waits for a
// line on stdin, stops both and prints "stopped".
const officialClients = `
const { createRequire } = require('node:module');
const req = createRequire(process.argv[1] + '/');
const signalR = req('@microsoft/signalr');
const readline = require('node:readline');
(async () => {
  const url = process.argv[2];
  const conns = [signalR.HttpTransportType.WebSockets, signalR.HttpTransportType.LongPolling].map((t) =>
    new signalR.HubConnectionBuilder().withUrl(url, { transport: t }).configureLogging(signalR.LogLevel.None).build());
  for (const c of conns) {
    c.on('ReceiveMessage', () => {});
    await c.start();
    await c.invoke('SendMessage', 'ann', 'one');
    await c.invoke('SendMessage', 'ann', 'two');
  }
  console.log('ready');
  readline.createInterface({ input: process.stdin }).once('line', async () => {
    for (const c of conns) await c.stop();
    console.log('stopped');
  });
})().catch((e) => { console.error(e); process.exit(1); });
`

// startChat runs the chat in this process on a free port and returns its
// base URL; the test's end stops it with SIGTERM, which run handles.
func startChat(t *testing.T, extra ...string) string {
	t.Helper()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	args := append([]string{"-addr", "127.0.0.1:0", "-data", t.TempDir(), "-drain", "100ms"}, extra...)
	go func() { done <- run(args, pw, io.Discard); pw.Close() }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("chat did not start: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("chat printed %q", line)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("chat: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("chat did not stop on SIGTERM")
		}
	})
	return m[1]
}

// scrape parses the chat's /metrics with the Prometheus text parser.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return fams
}

// sample returns the value of the metric of fam whose labels include
// labels (a gauge or counter value, a histogram's count); -1 if none.
func sample(fams map[string]*dto.MetricFamily, fam string, labels map[string]string) float64 {
	f := fams[fam]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return -1
}

func TestMetricsAfterOfficialClients(t *testing.T) {
	root, _ := filepath.Abs("../..")
	modules := filepath.Join(root, "interop", "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "@microsoft", "signalr")); err != nil {
		t.Fatalf("the official client is not installed (run scripts/deps.sh): %v", err)
	}
	base := startChat(t)
	for _, probe := range []string{"/healthz", "/readyz"} {
		if res, err := http.Get(base + probe); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %v %v", probe, res, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	node := exec.CommandContext(ctx, "node", "-e", officialClients, modules, base+"/chatHub")
	stdin, _ := node.StdinPipe()
	stdout, _ := node.StdoutPipe()
	var stderr strings.Builder
	node.Stderr = &stderr
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = node.Wait() }()
	lines := bufio.NewScanner(stdout)
	expect := func(want string) {
		t.Helper()
		if !lines.Scan() || lines.Text() != want {
			t.Fatalf("node printed %q, want %q; stderr: %s", lines.Text(), want, stderr.String())
		}
	}
	expect("ready")

	hub := map[string]string{"rpc_service": "ChatHub"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range hub {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	// An invocation is recorded once its Completion is on its way, so the
	// fourth may be recorded just after the client has its answer.
	fams := scrape(t, base)
	for deadline := time.Now().Add(5 * time.Second); sample(fams, "signalr_server_invocation_duration_seconds",
		with("rpc_method", "SendMessage", "signalr_invocation_outcome", "success")) < 4 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		fams = scrape(t, base)
	}
	checks := []struct {
		fam    string
		labels map[string]string
		want   float64
	}{
		{"signalr_server_active_connections", with("signalr_transport", "web_sockets"), 1},
		{"signalr_server_active_connections", with("signalr_transport", "long_polling"), 1},
		{"signalr_server_invocations_total", with("rpc_method", "SendMessage", "signalr_invocation_outcome", "success"), 4},
		{"signalr_server_invocation_duration_seconds", with("rpc_method", "SendMessage", "signalr_invocation_outcome", "success"), 4},
	}
	for _, c := range checks {
		if got := sample(fams, c.fam, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.fam, c.labels, got, c.want)
		}
	}
	// Four invocations, and whatever pings the clients sent.
	if got := sample(fams, "signalr_server_messages_received_total", with("signalr_protocol", "json")); got < 4 {
		t.Errorf("messages received = %v, want at least 4", got)
	}
	// Each SendMessage reaches both connections, plus its completion.
	if got := sample(fams, "signalr_server_messages_sent_total", with("signalr_protocol", "json")); got < 12 {
		t.Errorf("messages sent = %v, want at least 12", got)
	}

	fmt.Fprintln(stdin, "stop")
	expect("stopped")
	deadline := time.Now().Add(10 * time.Second)
	for {
		fams = scrape(t, base)
		ws := sample(fams, "signalr_server_active_connections", with("signalr_transport", "web_sockets"))
		lp := sample(fams, "signalr_server_active_connections", with("signalr_transport", "long_polling"))
		wsd := sample(fams, "signalr_server_connection_duration_seconds", with("signalr_transport", "web_sockets", "signalr_connection_status", "normal_closure"))
		lpd := sample(fams, "signalr_server_connection_duration_seconds", with("signalr_transport", "long_polling", "signalr_connection_status", "normal_closure"))
		if ws == 0 && lp == 0 && wsd == 1 && lpd == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the clients stopped: active %v (ws) %v (lp), durations %v %v; want 0 0 1 1", ws, lp, wsd, lpd)
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = stdin.Close()
}
