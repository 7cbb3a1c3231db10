//go:build !race

package transport

// minStack is the smallest stack a parked reader can have.
const minStack = 2 << 10
