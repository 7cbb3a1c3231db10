package main

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
)

func TestHelpDocumentsEveryFlag(t *testing.T) {
	var out bytes.Buffer
	err := run([]string{"-h"}, &out, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run(-h) = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"-addr", "CHAT_ADDR", "127.0.0.1:8080", "-data", "CHAT_DATA", "./data",
		"-db", "CHAT_DB", "-redis", "CHAT_REDIS", "-max-upload", "10485760", "-debug-addr", "CHAT_DEBUG_ADDR"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("-h does not mention %q:\n%s", want, out.String())
		}
	}
}

func TestBadRedisURLIsRefused(t *testing.T) {
	var out bytes.Buffer
	err := run([]string{"-redis", "http://127.0.0.1:1", "-data", t.TempDir()}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "-redis") {
		t.Errorf("run(-redis http://...) = %v, want an error about -redis", err)
	}
	t.Setenv("CHAT_REDIS", "127.0.0.1")
	if err := run([]string{"-data", t.TempDir()}, &out, &out); err == nil || !strings.Contains(err.Error(), "-redis") {
		t.Errorf("CHAT_REDIS without a port: %v, want an error about -redis", err)
	}
}

func TestEnvironmentGivesDefaults(t *testing.T) {
	t.Setenv("CHAT_ADDR", "127.0.0.1:9999")
	t.Setenv("CHAT_DATA", "/tmp/elsewhere")
	t.Setenv("CHAT_MAX_UPLOAD", "1234")
	var out bytes.Buffer
	c, err := parseFlags(nil, &out)
	if err != nil {
		t.Fatal(err)
	}
	if c.addr != "127.0.0.1:9999" || c.app.DataDir != "/tmp/elsewhere" || c.app.MaxUploadBytes != 1234 {
		t.Errorf("config from the environment = %+v", c)
	}
	c, _ = parseFlags([]string{"-addr", "127.0.0.1:1"}, &out)
	if c.addr != "127.0.0.1:1" {
		t.Errorf("a flag does not win over the environment: %q", c.addr)
	}
}

// The profiling endpoint exists only when asked for.
func TestDebugEndpointIsOffByDefault(t *testing.T) {
	var out bytes.Buffer
	c, err := parseFlags(nil, &out)
	if err != nil || c.debugAddr != "" {
		t.Errorf("default debug address %q, %v; want none", c.debugAddr, err)
	}
}
