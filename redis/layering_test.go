package redis

import (
	"os/exec"
	"strings"
	"testing"
)

// forbidden are import path prefixes the hub layer and below must never
// pull in: Redis clients and database drivers.
var forbidden = []string{
	"github.com/redis/", "github.com/gomodule/redigo", "github.com/jackc/pgx", "github.com/lib/pq",
	"modernc.org/sqlite", "github.com/mattn/go-sqlite3", "github.com/signalr-go/signalr/redis",
}

func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

func offending(list []string) []string {
	var bad []string
	for _, d := range list {
		for _, f := range forbidden {
			if strings.HasPrefix(d, f) {
				bad = append(bad, d)
			}
		}
	}
	return bad
}

// Importing the hub layer (or the protocol, transport and client
// packages) must not pull in Redis or a database driver: the layers point
// down, and backplanes live in their own packages.
func TestLayering(t *testing.T) {
	for _, pkg := range []string{
		"github.com/signalr-go/signalr", "github.com/signalr-go/signalr/protocol",
		"github.com/signalr-go/signalr/transport", "github.com/signalr-go/signalr/client",
	} {
		if bad := offending(deps(t, pkg)); len(bad) > 0 {
			t.Errorf("%s depends on %q", pkg, bad)
		}
	}
	// The check itself can fail: this package does depend on a client.
	if bad := offending(deps(t, "github.com/signalr-go/signalr/redis")); len(bad) == 0 {
		t.Error("the check found no Redis client in the redis package's own dependencies")
	}
}
