package transport

import (
	"math"
	"runtime/debug"
)

// defaultTotalQueueBytes is Options.MaxTotalQueueBytes's default: 1/256
// of the memory available, between 16 MiB and 512 MiB.
func defaultTotalQueueBytes() int {
	avail := debug.SetMemoryLimit(-1)
	if avail == math.MaxInt64 {
		avail = int64(physicalMemory())
	}
	if avail <= 0 {
		avail = 8 << 30
	}
	return int(min(max(avail/256, 16<<20), 512<<20))
}
