package redis

import (
	"errors"

	"github.com/signalr-go/signalr"
)

// Sentinel errors of the backplane; errors returned wrap them.
var (
	// ErrUnavailable reports that Redis is unreachable (or the queue of
	// publications is full) for a send that needed it: the message reached
	// this server's own recipients but not the other servers'. Presence
	// queries fail with it too while Redis is down.
	ErrUnavailable = errors.New("redis: backplane unavailable")
	// ErrAckTimeout reports a group change of a connection on another
	// server that no server acknowledged within Options.AckTimeout: the
	// connection most likely does not exist (ASP.NET Core waits 30 s and
	// throws TaskCanceledException in this case).
	ErrAckTimeout = errors.New("redis: no server acknowledged the group change in time")
	// ErrClosed reports a call after [Backplane.Close].
	ErrClosed = errors.New("redis: backplane closed")
)

// errConnectionGone is the error of a client-result call whose target
// connection does not exist on any server, worded as ASP.NET Core's.
func errConnectionGone(id string) error {
	return &notFound{id: id}
}

type notFound struct{ id string }

func (e *notFound) Error() string { return "Connection '" + e.id + "' does not exist." }

// Unwrap lets errors.Is match [signalr.ErrConnectionNotFound].
func (e *notFound) Unwrap() error { return signalr.ErrConnectionNotFound }

// errDisconnected is [signalr.ErrDisconnected] for a call whose
// connection's server vanished.
var errDisconnected error = signalr.ErrDisconnected
