package loadtest

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// subBuckets is the number of buckets per power of two: values are kept
// with a relative error below 1/subBuckets (under 2 %).
const subBuckets = 64

// histBuckets covers 1 µs to well beyond any run's length.
const histBuckets = subBuckets + 40*subBuckets

// Histogram records latencies in microseconds into log-linear buckets. It
// is safe for concurrent use without locks, so that every connection's
// reader records into one histogram.
type Histogram struct {
	counts [histBuckets]atomic.Int64
	n      atomic.Int64
	max    atomic.Int64 // µs
}

// bucketOf maps a value to its bucket: exact below subBuckets, then
// subBuckets buckets per power of two.
func bucketOf(v uint64) int {
	if v < subBuckets {
		return int(v)
	}
	shift := bits.Len64(v) - bits.Len64(subBuckets-1) - 1 // ≥ 0
	i := subBuckets*(shift+1) + int(v>>shift) - subBuckets
	return min(i, histBuckets-1)
}

// bucketValue is the upper bound of bucket i, the inverse of bucketOf.
func bucketValue(i int) int64 {
	if i < subBuckets {
		return int64(i)
	}
	shift := i/subBuckets - 1
	return int64((i%subBuckets+subBuckets+1)<<shift) - 1
}

// Record adds one latency.
func (h *Histogram) Record(d time.Duration) {
	us := max(d.Microseconds(), 0)
	h.counts[bucketOf(uint64(us))].Add(1)
	h.n.Add(1)
	for {
		m := h.max.Load()
		if us <= m || h.max.CompareAndSwap(m, us) {
			return
		}
	}
}

// Count returns the number of latencies recorded.
func (h *Histogram) Count() int64 { return h.n.Load() }

// Quantile returns the latency below which a fraction q of the recorded
// ones fall (0 when none were recorded).
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := int64(q*float64(n) + 0.5)
	rank = min(max(rank, 1), n)
	var seen int64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return time.Duration(min(bucketValue(i), h.max.Load())) * time.Microsecond
		}
	}
	return h.Max()
}

// Max returns the largest latency recorded.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max.Load()) * time.Microsecond }

// Latency is the summary of a histogram, in milliseconds.
type Latency struct {
	P50  float64 `json:"p50_ms"`
	P95  float64 `json:"p95_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Seen int64   `json:"samples"`
}

// Summary returns the percentiles of h, or nil when it is empty.
func (h *Histogram) Summary() *Latency {
	if h.Count() == 0 {
		return nil
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return &Latency{
		P50: ms(h.Quantile(0.50)), P95: ms(h.Quantile(0.95)), P99: ms(h.Quantile(0.99)),
		Max: ms(h.Max()), Seen: h.Count(),
	}
}
