package loadtest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// RaiseFileLimit raises the soft limit on open files to the hard limit:
// every connection is a file descriptor, and the usual soft limit (1024)
// is far below 10 000 connections. It returns the new soft limit.
func RaiseFileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, fmt.Errorf("loadtest: reading RLIMIT_NOFILE: %w", err)
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			return 0, fmt.Errorf("loadtest: raising RLIMIT_NOFILE: %w", err)
		}
	}
	return l.Cur, nil
}

// ReadRSS returns the resident set size of process pid in bytes, from
// the VmRSS line of /proc/PID/status.
func ReadRSS(pid int) (int64, error) { return readStatusKB(pid, "VmRSS:") }

// readStatusKB returns the field (e.g. "VmHWM:") of /proc/PID/status, a
// size in kB, in bytes.
func readStatusKB(pid int, field string) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("loadtest: reading the status of process %d: %w", pid, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte(field))
		if !ok {
			continue
		}
		f := bytes.Fields(rest) // "123456", "kB"
		if len(f) != 2 || string(f[1]) != "kB" {
			break
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			break
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("loadtest: no %s in the status of process %d", field, pid)
}
