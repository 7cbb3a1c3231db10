package redis

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/signalr-go/signalr/transport"
)

// ClusterOptions configure [Backplane.Cluster].
type ClusterOptions struct {
	// Addr is the base URL (http://host:port) at which the other servers
	// reach this one's endpoints, under the same paths the clients use.
	// Required.
	Addr string
	// Secret is shared by the servers of the cluster; it signs connection
	// tokens and forwarded requests (at least 16 bytes). Empty: the first
	// server creates a random one in Redis and the others read it there,
	// so that anyone who can read this Redis could forge tokens; set it
	// when Redis is shared with less trusted parties.
	Secret []byte
}

// nodeCacheTTL is how long a looked-up address is used without asking
// Redis again. A node that died is found out by the failed dial, not by
// its key expiring.
const nodeCacheTTL = time.Second

// Cluster announces this server's internal address in Redis, next to its
// presence heartbeat (a key that expires after Options.NodeTTL unless
// refreshed every NodeTTL/3, deleted at Close), and returns the
// [transport.Cluster] that lets the servers on this Redis serve each
// other's connections: set it as transport.Options.Cluster (for a hub,
// signalr.Options.Transport.Cluster) and no load balancer in front of
// them needs sticky sessions. Call it once per Backplane. It fails when
// the secret cannot be read from Redis or the address is not a URL.
func (b *Backplane) Cluster(ctx context.Context, o ClusterOptions) (*transport.Cluster, error) {
	u, err := url.Parse(o.Addr)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("redis: cluster address %q is not http(s)://host:port", o.Addr)
	}
	secret := o.Secret
	if len(secret) > 0 && len(secret) < 16 {
		return nil, errors.New("redis: cluster secret shorter than 16 bytes")
	}
	if len(secret) == 0 {
		if secret, err = b.sharedSecret(ctx); err != nil {
			return nil, err
		}
	}
	b.mu.Lock()
	if b.nodeAddr != "" {
		b.mu.Unlock()
		return nil, errors.New("redis: Cluster called twice")
	}
	b.nodeAddr = o.Addr
	b.mu.Unlock()
	b.announce()
	b.wg.Add(1)
	go b.announceLoop()
	return &transport.Cluster{
		Node:      b.opts.ServerName,
		Secret:    secret,
		Directory: &directory{b: b, cache: make(map[string]cachedNode)},
	}, nil
}

// nodeKey is where server announces its address.
func (b *Backplane) nodeKey(server string) string {
	return b.opts.ChannelPrefix + "signalr-go:node:" + server
}

// sharedSecret reads the cluster's secret from Redis, creating it first
// if no server did.
func (b *Backplane) sharedSecret(ctx context.Context) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, b.opts.OpTimeout)
	defer cancel()
	key := b.opts.ChannelPrefix + "signalr-go:cluster-secret"
	if err := b.rdb.SetNX(ctx, key, randomHex(32), 0).Err(); err != nil {
		return nil, fmt.Errorf("%w: cluster secret: %w", ErrUnavailable, err)
	}
	s, err := b.rdb.Get(ctx, key).Result()
	if err != nil {
		return nil, fmt.Errorf("%w: cluster secret: %w", ErrUnavailable, err)
	}
	return []byte(s), nil
}

// announceLoop refreshes the announcement until Close.
func (b *Backplane) announceLoop() {
	defer b.wg.Done()
	t := time.NewTicker(max(b.opts.NodeTTL/3, 50*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-t.C:
			b.announce()
		}
	}
}

// announce writes this server's address with the node TTL; while Redis
// is down it fails quietly and the next tick writes it again.
func (b *Backplane) announce() {
	ctx, cancel := context.WithTimeout(b.ctx, b.opts.OpTimeout)
	defer cancel()
	b.mu.Lock()
	addr := b.nodeAddr
	b.mu.Unlock()
	if err := b.rdb.Set(ctx, b.nodeKey(b.opts.ServerName), addr, b.opts.NodeTTL).Err(); err != nil && b.ctx.Err() == nil {
		b.log.Debug("redis: announcing the cluster address", "error", err)
	}
}

// unannounce deletes the announcement (at Close).
func (b *Backplane) unannounce(ctx context.Context) {
	b.mu.Lock()
	announced := b.nodeAddr != ""
	b.mu.Unlock()
	if announced {
		_ = b.rdb.Del(ctx, b.nodeKey(b.opts.ServerName)).Err()
	}
}

// directory is the [transport.Directory] of the servers on one Redis.
type directory struct {
	b     *Backplane
	mu    sync.Mutex
	cache map[string]cachedNode
}

type cachedNode struct {
	addr    string
	fetched time.Time
}

// Lookup returns the announced address of node. When Redis cannot be
// asked, an address looked up before is used, however old.
func (d *directory) Lookup(ctx context.Context, node string) (string, error) {
	now := time.Now()
	d.mu.Lock()
	c, ok := d.cache[node]
	d.mu.Unlock()
	if ok && now.Sub(c.fetched) < nodeCacheTTL {
		return c.addr, nil
	}
	ctx, cancel := context.WithTimeout(ctx, d.b.opts.OpTimeout)
	defer cancel()
	addr, err := d.b.rdb.Get(ctx, d.b.nodeKey(node)).Result()
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case errors.Is(err, goredis.Nil):
		delete(d.cache, node)
		return "", fmt.Errorf("redis: node %q: %w", node, transport.ErrUnknownNode)
	case err != nil && ok:
		return c.addr, nil
	case err != nil:
		return "", fmt.Errorf("%w: node %q: %w", ErrUnavailable, node, err)
	}
	// Nodes come and go; the cache holds the ones asked about recently.
	if len(d.cache) > 1024 {
		clear(d.cache)
	}
	d.cache[node] = cachedNode{addr: addr, fetched: now}
	return addr, nil
}
