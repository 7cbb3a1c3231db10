package telemetry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func TestHandler(t *testing.T) {
	tel, err := Setup(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	if tel.Tracing {
		t.Error("tracing without OTEL_EXPORTER_OTLP_ENDPOINT")
	}
	var draining atomic.Bool
	app := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "app") })
	srv := httptest.NewServer(Handler(app, tel, func() bool { return !draining.Load() }))
	defer srv.Close()
	get := func(path string) (int, string) {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	for _, c := range []struct {
		path string
		code int
		body string
	}{{"/healthz", 200, "ok\n"}, {"/readyz", 200, "ready\n"}, {"/other", 200, "app"}} {
		if code, body := get(c.path); code != c.code || body != c.body {
			t.Errorf("%s: %d %q, want %d %q", c.path, code, body, c.code, c.body)
		}
	}
	draining.Store(true)
	if code, _ := get("/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz while draining: %d, want 503", code)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz while draining: %d, want 200", code)
	}
	code, body := get("/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if fams["go_goroutines"] == nil {
		t.Error("no Go runtime metrics")
	}
}

func TestTracingFromEnvironment(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
	tel, err := Setup(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if !tel.Tracing {
		t.Error("no tracing with OTEL_EXPORTER_OTLP_ENDPOINT set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	_ = tel.Shutdown(ctx) // nothing to export; the endpoint is closed
}
