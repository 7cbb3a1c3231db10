package main

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/signalr-go/signalr/client"
)

// TestTracesOverOTLP points the chat at a collector of the test's own
// through OTEL_EXPORTER_OTLP_ENDPOINT and finds the span of an invocation
// in what the chat exports.
func TestTracesOverOTLP(t *testing.T) {
	spans := make(chan map[string]string, 100)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		var req coltrace.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || proto.Unmarshal(b, &req) != nil {
			http.Error(w, "bad export", http.StatusBadRequest)
			return
		}
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				for _, sp := range ss.GetSpans() {
					attrs := map[string]string{"name": sp.GetName()}
					for _, kv := range sp.GetAttributes() {
						attrs[kv.GetKey()] = kv.GetValue().GetStringValue()
					}
					spans <- attrs
				}
			}
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(nil)
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "50") // export within 50 ms
	base := startChat(t)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.New(base + "/chatHub")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	if _, err := client.Invoke[any](ctx, c, "SendMessage", "ann", "hello"); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case sp := <-spans:
			if sp["name"] != "ChatHub/SendMessage" {
				continue
			}
			if sp["rpc.system"] != "signalr" || sp["rpc.service"] != "ChatHub" || sp["rpc.method"] != "SendMessage" {
				t.Errorf("span attributes %v", sp)
			}
			return
		case <-ctx.Done():
			t.Fatal("no ChatHub/SendMessage span reached the collector")
		}
	}
}
