package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/signalr-go/signalr/protocol"
)

// Backplane is one server's connection to Redis, shared by the lifetime
// managers of all its hubs. It is safe for concurrent use.
type Backplane struct {
	opts Options
	log  *slog.Logger
	rdb  goredis.UniversalClient
	ps   *goredis.PubSub

	ctx    context.Context // canceled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	subMu sync.Mutex // orders SUBSCRIBE/UNSUBSCRIBE as the subs changes

	mu     sync.Mutex
	everUp bool
	hubs   map[string]*HubManager
	subs   map[string]*subscription // by channel, on the wire
	echo   map[string]*echoQueue    // own publications awaiting their echo
	up     bool                     // subscriber connected and resubscribed
	upCh   chan struct{}            // closed when up turns true
	// nodeAddr is the internal address announced by Cluster, if any.
	nodeAddr string

	pub   publisher
	pres  presence
	tasks tasks

	stats   counters
	metrics backplaneMetrics
}

// Stats are counters of a [Backplane] since Open.
type Stats struct {
	// Published counts publications written to Redis.
	Published uint64
	// Dropped counts publications not written: Redis unreachable or the
	// queue full.
	Dropped uint64
	// Received counts messages received from Redis, echoes included.
	Received uint64
	// Echoes counts received echoes of this server's own publications,
	// which are not delivered again.
	Echoes uint64
	// Invalid counts received payloads that could not be read.
	Invalid uint64
	// Reconnects counts the times the subscriber connection came back.
	Reconnects uint64
}

type counters struct {
	published, dropped, received, echoes, invalid, reconnects atomic.Uint64
}

// OpenURL opens the backplane of a URL in the form [ParseURL] takes, as
// programs' -redis flags give it, logging to logger.
func OpenURL(ctx context.Context, url string, logger *slog.Logger) (*Backplane, error) {
	opts, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	opts.Logger = logger
	return Open(ctx, opts)
}

// Open connects to Redis (a single server, or a Redis Cluster when
// several addresses or Options.Cluster are given). It does not fail when
// Redis is down: the backplane keeps retrying in the background, as
// ASP.NET Core does with AbortOnConnectFail=false; it waits at most
// Options.OpTimeout (or until ctx is done) for the first connection so
// that a server started with Redis running is connected when Open
// returns. Close releases it.
func Open(ctx context.Context, opts Options) (*Backplane, error) {
	opts = opts.withDefaults()
	b := &Backplane{
		opts: opts,
		log:  opts.Logger.With("backplane", "redis", "server", opts.ServerName),
		hubs: make(map[string]*HubManager),
		subs: make(map[string]*subscription),
		echo: make(map[string]*echoQueue),
		upCh: make(chan struct{}),
	}
	b.rdb = goredis.NewUniversalClient(&goredis.UniversalOptions{
		Addrs:           opts.Addrs,
		IsClusterMode:   opts.Cluster,
		Username:        opts.Username,
		Password:        opts.Password,
		DB:              opts.DB,
		Dialer:          opts.dialer(),
		DialTimeout:     opts.OpTimeout,
		ReadTimeout:     opts.OpTimeout,
		WriteTimeout:    opts.OpTimeout,
		MaxRetries:      -1, // a failed command reports at once; the loops retry
		Protocol:        2,
		DisableIdentity: true,
	})
	b.ps = b.rdb.Subscribe(context.Background())
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.instrument(opts.MeterProvider)
	b.pub.init(b)
	b.pres.init(b)
	b.tasks.wake = make(chan struct{}, 1)
	b.wg.Add(4)
	go b.taskLoop()
	go b.receiveLoop()
	go b.pub.loop()
	go b.pres.loop()

	wait, cancel := context.WithTimeout(ctx, opts.OpTimeout)
	defer cancel()
	select {
	case <-b.upChan():
	case <-wait.Done():
		b.log.Warn("redis: not connected yet, retrying in the background")
	}
	return b, nil
}

// ServerName returns the name of this server on the wire.
func (b *Backplane) ServerName() string { return b.opts.ServerName }

// Hub returns the [signalr.LifetimeManager] of one hub, named on the wire
// as name (ASP.NET Core uses the hub class's full .NET name, e.g.
// "ChatApp.Hubs.ChatHub"; servers of one hub must agree on it). protocols
// are those the hub's server offers (signalr.Options.Protocols; nil means
// JSON and MessagePack): every publication carries the message in each
// of them. Asking twice for one name returns the same manager.
func (b *Backplane) Hub(name string, protocols []protocol.HubProtocol) *HubManager {
	if len(protocols) == 0 {
		protocols = []protocol.HubProtocol{protocol.JSON{}, protocol.MessagePack{}}
	}
	b.mu.Lock()
	h := b.hubs[name]
	if h == nil {
		h = newHubManager(b, name, protocols)
		b.hubs[name] = h
	}
	b.mu.Unlock()
	h.start()
	return h
}

// Stats returns the backplane's counters.
func (b *Backplane) Stats() Stats {
	return Stats{
		Published:  b.stats.published.Load(),
		Dropped:    b.stats.dropped.Load(),
		Received:   b.stats.received.Load(),
		Echoes:     b.stats.echoes.Load(),
		Invalid:    b.stats.invalid.Load(),
		Reconnects: b.stats.reconnects.Load(),
	}
}

// Close removes this server's presence from Redis (best effort, bounded by
// Options.OpTimeout), stops the background goroutines and closes the
// connections. Pending client-result calls and group changes fail with
// [ErrClosed]. Connections are not closed: the hub server owns them.
func (b *Backplane) Close() error {
	if b.ctx.Err() != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.opts.OpTimeout)
	b.pres.leave(ctx)
	b.unannounce(ctx)
	cancel()
	b.cancel()
	b.unregisterMetrics()
	for _, h := range b.hubList() {
		h.failPending(ErrClosed)
	}
	b.subMu.Lock()
	err := b.ps.Close() // ends the receiving goroutine's wait
	b.subMu.Unlock()
	b.wg.Wait()
	if cerr := b.rdb.Close(); err == nil {
		err = cerr
	}
	return err
}

// upChan returns a channel closed once the subscriber is connected.
func (b *Backplane) upChan() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.upCh
}

// isUp reports whether the subscriber connection is up.
func (b *Backplane) isUp() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.up
}

// sleep waits d or until Close; false when closed.
func (b *Backplane) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-b.ctx.Done():
		return false
	}
}

func randomHex(n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	return hex.EncodeToString(buf)
}
