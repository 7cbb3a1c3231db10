package signalr

import (
	"cmp"
	"slices"
)

// Stats is a snapshot of a server's connections and traffic, for status
// pages; metrics exporters get the same figures through the MeterProvider.
type Stats struct {
	// Connections counts the connections that completed their handshake,
	// by transport and protocol, sorted.
	Connections []ConnectionCount
	// Messages and bytes received from and queued for clients since the
	// server started, over every protocol.
	MessagesReceived, MessagesSent, BytesReceived, BytesSent int64
}

// ConnectionCount is the number of connections of one transport and
// protocol.
type ConnectionCount struct {
	Transport string // "WebSockets", "ServerSentEvents", "LongPolling"
	Protocol  string // "json", "messagepack"
	Count     int
}

// Stats returns the server's connections and traffic now.
func (s *Server) Stats() Stats {
	type key struct{ transport, protocol string }
	counts := map[key]int{}
	s.mu.Lock()
	for ss := range s.sessions {
		// The handshake sets proto before it stores stConnected.
		if ss.state.Load() == stConnected {
			counts[key{ss.conn.Transport().String(), ss.proto.Name()}]++
		}
	}
	s.mu.Unlock()
	var st Stats
	for k, n := range counts {
		st.Connections = append(st.Connections, ConnectionCount{Transport: k.transport, Protocol: k.protocol, Count: n})
	}
	slices.SortFunc(st.Connections, func(a, b ConnectionCount) int {
		return cmp.Or(cmp.Compare(a.Transport, b.Transport), cmp.Compare(a.Protocol, b.Protocol))
	})
	for _, t := range s.metrics.traffic {
		st.MessagesReceived += t.msgsIn.Load()
		st.MessagesSent += t.msgsOut.Load()
		st.BytesReceived += t.bytesIn.Load()
		st.BytesSent += t.bytesOut.Load()
	}
	return st
}
