//go:build race

package transport

// minStack is the smallest stack a parked reader can have: the race
// detector doubles the stack guard, so goroutines grow past 2 KB sooner.
const minStack = 4 << 10
