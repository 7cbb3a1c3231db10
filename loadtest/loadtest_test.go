package loadtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startServe runs the benchmark hub in process for one test.
func startServe(t *testing.T) string {
	t.Helper()
	srv, err := Serve("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv.URL
}

// TestScenarios runs every scenario briefly against an in-process server
// and checks that nothing was lost: no failed connection, no error, and
// every expected delivery arrived.
func TestScenarios(t *testing.T) {
	url := startServe(t)
	cases := []struct {
		scenario, transport, protocol string
		raw                           bool
	}{
		{ScenarioConnect, "websockets", "json", false},
		{ScenarioConnect, "websockets", "messagepack", true},
		{ScenarioBroadcast, "websockets", "json", false},
		{ScenarioBroadcast, "websockets", "messagepack", false},
		{ScenarioBroadcast, "sse", "json", false},
		{ScenarioBroadcast, "longpolling", "messagepack", false},
		{ScenarioBroadcast, "websockets", "json", true},
		{ScenarioGroup, "websockets", "json", false},
		{ScenarioGroup, "websockets", "messagepack", true},
		{ScenarioEcho, "websockets", "json", false},
		{ScenarioEcho, "websockets", "messagepack", false},
		{ScenarioEcho, "longpolling", "json", false},
		{ScenarioEcho, "websockets", "json", true},
	}
	for _, c := range cases {
		name := fmt.Sprintf("%s/%s/%s/raw=%v", c.scenario, c.transport, c.protocol, c.raw)
		t.Run(name, func(t *testing.T) {
			cfg := Config{
				URL: url, Clients: 20, Duration: time.Second, Rate: 20, Transport: c.transport,
				Protocol: c.protocol, Raw: c.raw, GroupSize: 4, Senders: 2, InFlight: 2,
				Drain: 30 * time.Second, PayloadSize: 64,
			}
			if c.scenario == ScenarioConnect {
				cfg.Rate = 0
				cfg.Duration = 200 * time.Millisecond
			}
			res, err := Run(t.Context(), c.scenario, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Connected != cfg.Clients || res.ConnectFailures != 0 || res.Dropped != 0 || res.Errors != 0 {
				t.Fatalf("connected %d of %d, %d failures, %d dropped, %d errors",
					res.Connected, cfg.Clients, res.ConnectFailures, res.Dropped, res.Errors)
			}
			if c.scenario == ScenarioConnect {
				return
			}
			if res.Sent == 0 || res.Expected == 0 {
				t.Fatalf("sent %d, expected %d: nothing was measured", res.Sent, res.Expected)
			}
			if res.DeliveryRatio != 1 || res.Received != res.Expected {
				t.Fatalf("received %d of %d (ratio %v)", res.Received, res.Expected, res.DeliveryRatio)
			}
			if res.Latency == nil || res.Latency.Seen != res.Received {
				t.Fatalf("latency %+v for %d deliveries", res.Latency, res.Received)
			}
		})
	}
}

// TestServerMemory reads this process's own memory as the server's: the
// figures are only checked for presence, not for size.
func TestServerMemory(t *testing.T) {
	url := startServe(t)
	res, err := Run(t.Context(), ScenarioConnect, Config{
		URL: url, Clients: 10, Duration: 10 * time.Millisecond, PID: selfPID(t), Raw: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Server == nil || res.Server.RSSStart == 0 || res.Server.RSSBaseline == 0 || res.Server.RSSAfter == 0 {
		t.Fatalf("server memory %+v", res.Server)
	}
}

func TestConfigBounds(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{URL: "http://127.0.0.1:1/hub", Clients: maxClients + 1},
		{URL: "http://127.0.0.1:1/hub", Duration: 2 * maxDuration},
		{URL: "http://127.0.0.1:1/hub", Transport: "carrier-pigeon"},
		{URL: "http://127.0.0.1:1/hub", Protocol: "xml"},
		{URL: "http://127.0.0.1:1/hub", Raw: true, Transport: "sse"},
		{URL: "http://127.0.0.1:1/hub", Clients: 2, Senders: 3},
	} {
		if _, err := cfg.withDefaults(); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}
