package main

import (
	"net"

	"github.com/signalr-go/signalr/transport"
)

// allowedHosts is the Host allow-list for a server listening on ln: the
// loopback names when it listens on loopback only, so that a DNS
// rebinding page (its own host name resolved to 127.0.0.1) is refused;
// nil, every host, otherwise.
func allowedHosts(ln net.Listener) []string {
	if a, ok := ln.Addr().(*net.TCPAddr); ok && a.IP.IsLoopback() {
		return transport.LoopbackHosts()
	}
	return nil
}
