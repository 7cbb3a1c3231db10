package loadtest

import (
	"os"
	"testing"
)

func selfPID(t *testing.T) int {
	t.Helper()
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	return os.Getpid()
}

func TestReadRSS(t *testing.T) {
	rss, err := ReadRSS(selfPID(t))
	if err != nil || rss <= 0 {
		t.Fatalf("ReadRSS = %d, %v", rss, err)
	}
}

func TestRaiseFileLimit(t *testing.T) {
	n, err := RaiseFileLimit()
	if err != nil || n == 0 {
		t.Fatalf("RaiseFileLimit = %d, %v", n, err)
	}
}
