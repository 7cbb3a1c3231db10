package main

import (
	"strconv"
	"testing"
)

// The recorder is open to anyone who connects: each of its records keeps
// the newest entries only.
func TestRecorderBounded(t *testing.T) {
	r := newIOPRecorder()
	const n = 3 * iopRecords
	for i := range n {
		id := strconv.Itoa(i)
		r.setDisconnected(id, nil)
		r.setStream(id, "running")
		r.setStream(id, "completed") // a key set again is not a new one
	}
	if len(r.ended.m) > iopRecords || len(r.streams.m) > iopRecords || len(r.ended.order) != len(r.ended.m) {
		t.Fatalf("%d connections and %d streams remembered (order %d), want at most %d", len(r.ended.m), len(r.streams.m), len(r.ended.order), iopRecords)
	}
	last := strconv.Itoa(n - 1)
	if !r.disconnected(last).Ended || r.stream(last) != "completed" {
		t.Fatalf("the newest records are gone: %+v %q", r.disconnected(last), r.stream(last))
	}
	if r.disconnected("0").Ended {
		t.Fatal("the oldest connection is still remembered")
	}

	var s []int
	for i := range n {
		s = appendBounded(s, i)
	}
	if len(s) > iopRecords || s[len(s)-1] != n-1 || s[len(s)-2] != n-2 {
		t.Fatalf("log of %d entries ending %v", len(s), s[len(s)-2:])
	}
}
