package client

import "time"

// RetryContext describes the reconnect attempt a policy decides on.
type RetryContext struct {
	// PreviousRetryCount is the number of attempts made so far.
	PreviousRetryCount int
	// Elapsed is the time since the connection was lost.
	Elapsed time.Duration
	// Reason is the error that ended the connection or the last attempt.
	Reason error
}

// ReconnectPolicy decides whether and when to try reconnecting.
type ReconnectPolicy interface {
	// NextRetryDelay returns the wait before the next attempt, or false
	// to give up.
	NextRetryDelay(rc RetryContext) (time.Duration, bool)
}

// DelayPolicy retries once per listed delay, then gives up.
type DelayPolicy []time.Duration

// NextRetryDelay implements [ReconnectPolicy].
func (p DelayPolicy) NextRetryDelay(rc RetryContext) (time.Duration, bool) {
	if rc.PreviousRetryCount >= len(p) {
		return 0, false
	}
	return p[rc.PreviousRetryCount], true
}

// DefaultReconnectPolicy returns the official clients' delays: 0, 2, 10
// and 30 seconds, then give up.
func DefaultReconnectPolicy() DelayPolicy {
	return DelayPolicy{0, 2 * time.Second, 10 * time.Second, 30 * time.Second}
}
