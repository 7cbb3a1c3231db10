package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/loadtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestScenarioCommand runs each scenario command briefly against an
// in-process server and decodes its JSON summary line.
func TestScenarioCommand(t *testing.T) {
	srv, err := loadtest.Serve("127.0.0.1:0", signalr.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	for _, args := range [][]string{
		{"connect", "-clients", "10", "-duration", "100ms"},
		{"broadcast", "-clients", "10", "-duration", "1s", "-rate", "20"},
		{"group", "-clients", "10", "-duration", "1s", "-rate", "20", "-group-size", "5", "-protocol", "messagepack"},
		{"echo", "-clients", "5", "-duration", "1s", "-raw"},
		{"broadcast", "-clients", "10", "-duration", "1s", "-rate", "20", "-bare"},
	} {
		t.Run(args[0], func(t *testing.T) {
			var out, errs bytes.Buffer
			if err := run(append(args, "-url", srv.URL), &out, &errs); err != nil {
				t.Fatalf("%v (stderr %q)", err, errs.String())
			}
			var res loadtest.Result
			if err := json.Unmarshal(out.Bytes(), &res); err != nil {
				t.Fatalf("summary %q: %v", out.String(), err)
			}
			if res.Scenario != args[0] || res.Bare != slices.Contains(args, "-bare") || res.ConnectFailures != 0 || res.Errors != 0 || res.Dropped != 0 {
				t.Fatalf("summary %+v", res)
			}
			if args[0] != "connect" && res.DeliveryRatio != 1 {
				t.Fatalf("delivery ratio %v", res.DeliveryRatio)
			}
		})
	}
}

func TestUnknownCommand(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"fly"}, &out, &out); err == nil {
		t.Fatal("no error")
	}
	if err := run(nil, &out, &out); err == nil {
		t.Fatal("no error")
	}
}
