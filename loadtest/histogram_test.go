package loadtest

import (
	"testing"
	"time"
)

func TestBucketsRoundTrip(t *testing.T) {
	prev := -1
	for v := uint64(0); v < 1<<22; v += 1 + v/97 {
		i := bucketOf(v)
		if i < prev {
			t.Fatalf("bucketOf(%d) = %d, below the previous %d", v, i, prev)
		}
		prev = i
		if ub := bucketValue(i); uint64(ub) < v || float64(uint64(ub)-v) > float64(v)/subBuckets+1 {
			t.Fatalf("bucketValue(bucketOf(%d)) = %d", v, ub)
		}
	}
}

func TestQuantiles(t *testing.T) {
	var h Histogram
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {1, time.Second}} {
		got := h.Quantile(c.q)
		if d := got - c.want; d < 0 || d > c.want/subBuckets+time.Microsecond {
			t.Errorf("Quantile(%v) = %v, want %v within 1/%d", c.q, got, c.want, subBuckets)
		}
	}
	if h.Max() != time.Second {
		t.Errorf("Max = %v", h.Max())
	}
}

func TestPayloadAge(t *testing.T) {
	clk := newClock()
	p := newPayloads(clk, 100)
	s := p.next()
	if len(s) != 100 {
		t.Fatalf("len = %d", len(s))
	}
	if d, ok := clk.age(s); !ok || d < 0 || d > time.Minute {
		t.Fatalf("age = %v, %v", d, ok)
	}
	if _, ok := clk.age("short"); ok {
		t.Fatal("a short payload has an age")
	}
}
