package loadtest

import (
	"strconv"
	"time"
)

// stampLen is the width of the timestamp at the start of a payload:
// nanoseconds since the run's epoch, zero-padded decimal.
const stampLen = 16

// minPayload is the smallest payload: a timestamp alone.
const minPayload = stampLen

// clock timestamps payloads against the monotonic clock of the process.
type clock struct{ epoch time.Time }

func newClock() clock { return clock{epoch: time.Now()} }

// payloads builds payloads of one size. Each sender owns one; the buffer
// is reused, and only the string handed to the client is allocated.
type payloads struct {
	clk clock
	buf []byte
}

func newPayloads(clk clock, size int) *payloads {
	size = max(size, minPayload)
	buf := make([]byte, size)
	for i := range buf {
		buf[i] = 'x'
	}
	return &payloads{clk: clk, buf: buf}
}

// next returns a payload stamped with the current time.
func (p *payloads) next() string {
	ns := time.Since(p.clk.epoch).Nanoseconds()
	for i := stampLen - 1; i >= 0; i-- {
		p.buf[i] = byte('0' + ns%10)
		ns /= 10
	}
	return string(p.buf)
}

// age returns how long ago payload was stamped, false if it carries no
// timestamp.
func (c clock) age(payload string) (time.Duration, bool) {
	if len(payload) < stampLen {
		return 0, false
	}
	ns, err := strconv.ParseInt(payload[:stampLen], 10, 64)
	if err != nil {
		return 0, false
	}
	return time.Since(c.epoch) - time.Duration(ns), true
}
