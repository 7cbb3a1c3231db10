package main

import (
	"github.com/signalr-go/signalr/transport"
)

// echoHandler is the functional suite's raw (hub-less) endpoint: every
// chunk a client sends comes back unchanged.
type echoHandler struct{}

// Open implements transport.Handler.
func (echoHandler) Open(c *transport.Conn) (transport.Receiver, error) {
	return echoReceiver{c}, nil
}

type echoReceiver struct{ c *transport.Conn }

// Receive writes a copy of p back: Write keeps its argument until sent,
// while p is only valid during the call.
func (e echoReceiver) Receive(p []byte) error {
	return e.c.Write(append([]byte(nil), p...))
}

// Closed implements transport.Receiver; an echo has nothing to clean up.
func (echoReceiver) Closed(error) {}
