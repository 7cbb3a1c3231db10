// Package redis is a Redis backplane for the hub layer: [Backplane.Hub]
// returns a [signalr.LifetimeManager] that spans every server connected to
// the same Redis (one server or a Redis Cluster), so a message sent on one
// server reaches connections on all of them.
//
// # Wire compatibility
//
// Channels and payloads are those of ASP.NET Core's
// Microsoft.AspNetCore.SignalR.StackExchangeRedis, so Go and .NET servers
// can share a backplane: channels {prefix}{hub}:all, :internal:groups,
// :internal:ack:{server}, :internal:return:{server}, :connection:{id},
// :group:{name} and :user:{id}, where hub is the name given to
// [Backplane.Hub] (a .NET server uses its hub class's full name) and prefix
// is Options.ChannelPrefix. Only classic PUBLISH/SUBSCRIBE is used, never
// sharded pub/sub, as ASP.NET Core does. Every server must offer the
// protocols the others' clients use: a publication carries the message
// encoded once per protocol of the hub.
//
// Two additions are this package's own, and .NET servers ignore them:
// disconnect requests travel on {prefix}{hub}:internal:disconnect, which
// .NET servers never subscribe to; and a send to several groups or users
// publishes array(5) invocations listing all of them (items 2 and 3 nil,
// which .NET reads as no client result), so that a Go server delivers
// once to a connection that is in several of them.
//
// # Delivery
//
// A server delivers to its own connections directly, without waiting for
// Redis, so its clients keep talking to each other while Redis is down; it
// recognizes the echo of its own publications on its subscriber
// connection (by content, per channel, in order) and does not deliver it
// again. Messages from one sender to one connection arrive in order. Sends
// to other servers are written to Redis in batches by one goroutine, never
// waiting for Redis in the caller: while Redis is unreachable, or when
// Options.MaxPendingPublishes is reached, the remote part of a send is
// dropped, counted in [Stats], and the send returns [ErrUnavailable].
//
// # Presence
//
// Count, Members, Connections and GroupsOf answer for the whole cluster
// from Redis keys that each server writes on connect, disconnect and
// group changes (in batches, never per message sent), next to a heartbeat
// key that expires after Options.NodeTTL. A server that dies without
// notice drops out of every answer within NodeTTL (10 s by default), and
// the others delete its keys. Each server rewrites its keys when Redis has
// lost them (a restart). Only Go servers write presence: connections of
// .NET servers sharing the backplane are not counted.
//
// # Load balancers without sticky sessions
//
// [Backplane.Cluster] announces this server's internal address in Redis
// (key {prefix}signalr-go:node:{server}, written with the heartbeat's
// TTL) and returns a [transport.Cluster]; set as
// transport.Options.Cluster, it lets any server take any request of any
// connection: a server that receives a poll, a send, an SSE stream, a
// WebSocket upgrade or a DELETE for a connection another server holds
// forwards it there. Connection tokens name their server under an HMAC
// with the cluster's secret (given, or created once in Redis under
// {prefix}signalr-go:cluster-secret): a token the cluster did not mint,
// or one naming a server not announced, is answered 404 without any
// outbound connection, and the requests of a server that died are
// answered 404 at once, so clients reconnect.
//
//	cl, err := bp.Cluster(ctx, redis.ClusterOptions{Addr: "http://10.0.0.5:8080"})
//	opts.Transport.Cluster = cl
//
// # Limits
//
// Group names are case-sensitive, as channel names are (ASP.NET Core's
// per-connection group set ignores case, a quirk not copied). Disconnect
// and presence only know Go servers' connections. In a Redis Cluster,
// PUBLISH counts the subscribers of one node only, so a client-result call
// to a connection presence does not know fails as not existing even if a
// .NET server behind another node has it.
//
// # Faults
//
// [Open] does not fail when Redis is down. The backplane reconnects by
// itself, subscribes to every channel again and rebuilds its presence; no
// client is dropped. Messages published while a server was disconnected
// are lost for it, as with ASP.NET Core.
package redis
