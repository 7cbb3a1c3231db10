// Package benchcpu reports the whole process's CPU time per operation in
// benchmarks. Wall time per operation misleads where work is handed to
// other goroutines (a read loop hands a call to a worker; a client's reads
// run beside its writes): their CPU is not on the benchmark's goroutine,
// and how they overlap changes the wall time, not the cost.
package benchcpu

import (
	"syscall"
	"testing"
	"time"
)

// Measure runs loop as the timed part of b, reporting allocations and
// "cpu-ns/op" (user plus system time of every thread) besides the wall
// time.
func Measure(b *testing.B, loop func()) {
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime(b)
	loop()
	b.StopTimer()
	b.ReportMetric(float64(cpuTime(b)-cpu)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU time the process has used, on every thread.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
