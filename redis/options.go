package redis

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// Options configure a [Backplane]. The zero value connects to a single
// Redis on 127.0.0.1:6379 with the defaults below.
type Options struct {
	// Addrs are the host:port addresses of Redis. Default 127.0.0.1:6379.
	// Several addresses mean a Redis Cluster (its seed nodes).
	Addrs []string
	// Cluster connects to a Redis Cluster even with a single seed address.
	Cluster bool
	// Username and Password authenticate (Redis 6 ACLs; Password alone for
	// requirepass).
	Username string
	Password string
	// TLSConfig, when set, connects over TLS (Redis 6's tls-port, and
	// every managed Redis that requires it). Nil means plain TCP.
	TLSConfig *tls.Config
	// DB selects the database of a single server (cluster: always 0).
	// Pub/sub ignores it: channels are shared by every database.
	DB int

	// ChannelPrefix is written verbatim before every channel name and
	// presence key, without a separator, as StackExchange.Redis's
	// ConfigurationOptions.ChannelPrefix does; every server of a
	// backplane, Go or .NET, must use the same one. Default: none.
	ChannelPrefix string
	// ServerName identifies this process on the wire (ack and
	// client-result channels). Default: hostname_<32 hex digits>, like
	// ASP.NET Core's.
	ServerName string

	// AckTimeout bounds a group change of a connection on another server
	// (the ack round trip) and a client-result call's wait for Redis to
	// take the request. Default 10 s (ASP.NET Core waits 30 to 35 s).
	AckTimeout time.Duration
	// NodeTTL is how long this server's presence outlives its last
	// heartbeat (sent every NodeTTL/3): a server killed without notice
	// drops out of every other server's presence answers within NodeTTL.
	// Default 10 s.
	NodeTTL time.Duration
	// OpTimeout bounds each Redis command (dial, read, write). Default 3 s.
	OpTimeout time.Duration

	// MaxPendingPublishes bounds the publications waiting to be written to
	// Redis; a send that finds the queue full is dropped for the other
	// servers (local recipients still get it) and fails with
	// [ErrUnavailable]. Default 100 000.
	MaxPendingPublishes int
	// MaxPendingBytes bounds the bytes of those publications. Default 64 MiB.
	MaxPendingBytes int

	// Logger receives the backplane's logs. Default slog.Default().
	Logger *slog.Logger

	// MeterProvider receives the backplane's metrics (see metrics.go).
	// Default the global provider (otel.GetMeterProvider).
	MeterProvider metric.MeterProvider
}

// Defaults of [Options].
const (
	DefaultAckTimeout          = 10 * time.Second
	DefaultNodeTTL             = 10 * time.Second
	DefaultOpTimeout           = 3 * time.Second
	DefaultMaxPendingPublishes = 100_000
	DefaultMaxPendingBytes     = 64 << 20
)

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	if len(o.Addrs) == 0 {
		o.Addrs = []string{"127.0.0.1:6379"}
	}
	if o.ServerName == "" {
		o.ServerName = defaultServerName()
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = DefaultAckTimeout
	}
	if o.NodeTTL <= 0 {
		o.NodeTTL = DefaultNodeTTL
	}
	if o.OpTimeout <= 0 {
		o.OpTimeout = DefaultOpTimeout
	}
	if o.MaxPendingPublishes <= 0 {
		o.MaxPendingPublishes = DefaultMaxPendingPublishes
	}
	if o.MaxPendingBytes <= 0 {
		o.MaxPendingBytes = DefaultMaxPendingBytes
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// defaultServerName is ASP.NET Core's form: machine name, "_", 32 hex.
func defaultServerName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "signalr-go"
	}
	return host + "_" + randomHex(16)
}

var errBadURL = errors.New("redis: bad address")

// ParseURL turns a -redis flag into Options. It accepts a URL
// redis://[user:password@]host:port[/db][?cluster=true&prefix=P&server=NAME&ackTimeout=10s&nodeTTL=10s]
// (rediss:// for TLS, verified against the system's roots or, with
// ca=FILE, the PEM certificates in FILE)
// or a comma-separated
// host:port list; several addresses, in either form (hosts separated by
// commas in the URL), mean a Redis Cluster.
func ParseURL(s string) (Options, error) {
	var o Options
	s = strings.TrimSpace(s)
	if s == "" {
		return o, fmt.Errorf("%w: empty", errBadURL)
	}
	if !strings.Contains(s, "://") {
		o.Addrs = splitAddrs(s)
		o.Cluster = len(o.Addrs) > 1
		return o, checkAddrs(o.Addrs)
	}
	u, err := url.Parse(s)
	if err != nil {
		return o, fmt.Errorf("%w: %w", errBadURL, err)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return o, fmt.Errorf("%w: scheme %q (want redis:// or rediss://)", errBadURL, u.Scheme)
	}
	o.Addrs = splitAddrs(u.Host)
	q := u.Query()
	if u.Scheme == "rediss" {
		if o.TLSConfig, err = tlsConfig(q.Get("ca")); err != nil {
			return o, err
		}
	} else if q.Has("ca") {
		return o, fmt.Errorf("%w: ca= needs rediss://", errBadURL)
	}
	if u.User != nil {
		o.Username = u.User.Username()
		o.Password, _ = u.User.Password()
		if _, set := u.User.Password(); !set {
			o.Username, o.Password = "", u.User.Username() // redis://secret@host
		}
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		if o.DB, err = strconv.Atoi(db); err != nil || o.DB < 0 {
			return o, fmt.Errorf("%w: database %q", errBadURL, db)
		}
	}
	o.Cluster = len(o.Addrs) > 1 || q.Get("cluster") == "true"
	o.ChannelPrefix = q.Get("prefix")
	o.ServerName = q.Get("server")
	for key, dst := range map[string]*time.Duration{"ackTimeout": &o.AckTimeout, "nodeTTL": &o.NodeTTL} {
		if v := q.Get(key); v != "" {
			if *dst, err = time.ParseDuration(v); err != nil {
				return o, fmt.Errorf("%w: %s: %w", errBadURL, key, err)
			}
		}
	}
	return o, checkAddrs(o.Addrs)
}

// dialer is go-redis's Dialer for o: nil (its own) for plain TCP.
func (o Options) dialer() func(context.Context, string, string) (net.Conn, error) {
	if o.TLSConfig == nil {
		return nil
	}
	return tlsDialer(o.TLSConfig, o.OpTimeout)
}

// tlsConfig verifies servers against the system's roots, or against the
// PEM certificates in the file caFile when it is not empty. The server name
// checked is the host each connection dials (crypto/tls infers it when
// ServerName is empty), so one config serves every node of a cluster.
func tlsConfig(caFile string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return c, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("%w: ca: %w", errBadURL, err)
	}
	c.RootCAs = x509.NewCertPool()
	if !c.RootCAs.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%w: ca: no PEM certificate in %s", errBadURL, caFile)
	}
	return c, nil
}

func splitAddrs(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

func checkAddrs(addrs []string) error {
	if len(addrs) == 0 {
		return fmt.Errorf("%w: no host", errBadURL)
	}
	for _, a := range addrs {
		if i := strings.LastIndexByte(a, ':'); i <= 0 || i == len(a)-1 {
			return fmt.Errorf("%w: %q is not host:port", errBadURL, a)
		}
	}
	return nil
}
