// Package loadtest holds the scenarios of the signalr-load command: a
// benchmark hub to serve, and load scenarios (connect, broadcast, group,
// echo) that drive any SignalR server through this module's Go client or
// through a lighter raw WebSocket connection.
//
// Every scenario is bounded in connections and in time and ends by itself.
// Latencies come from a timestamp the sender writes at the start of each
// payload; senders and receivers live in the same process, so the clock is
// the process's monotonic clock and needs no synchronisation.
package loadtest
