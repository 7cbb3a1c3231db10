//go:build !linux

package transport

// physicalMemory returns 0 (unknown) outside Linux: the default budget
// then assumes 8 GiB.
func physicalMemory() uint64 { return 0 }
