// Package client is a Go client for ASP.NET Core SignalR hubs and for the
// Go server in this module. It speaks the same wire protocol as the
// official JavaScript client: negotiate (versions 0 and 1, redirects),
// WebSockets, Server-Sent Events and Long Polling, the JSON and
// MessagePack hub protocols, keep-alive and server timeouts, automatic
// reconnect and stateful reconnect.
//
// # Goroutines
//
// A started client runs one goroutine per connection that reads from the
// transport and, when the connection is lost, runs the reconnect loop.
// Handlers registered with [Client.On] and the lifecycle callbacks run in
// order, one at a time, on a second goroutine that exists only while there
// is work queued for it. The reader therefore keeps reading while a
// handler runs: a handler may call [Invoke] or answer a server's client
// result request without deadlocking, but a slow handler delays the
// handlers after it. Timers (keep-alive, server timeout, acks) use
// [time.AfterFunc] rather than goroutines of their own. Each
// client-to-server stream passed as an argument is drained by one
// goroutine until its channel is closed or the connection ends.
package client
