package redis

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"syscall"
	"time"
)

// tlsDialer dials Redis over TLS in a way that lets go-redis see that a
// pooled connection died. go-redis checks an idle connection before using
// it by peeking at its socket, but only when the connection exposes one
// (syscall.Conn); a *tls.Conn does not, so after a Redis restart the first
// commands on every pooled connection went to dead sockets and failed
// (TestTLS saw the first publication after a restart lost). The peek
// reads the raw socket without consuming it: a closed peer reads as EOF,
// and a pending TLS record as an unexpected read, which closes that
// connection too (only a redial lost; the backplane speaks RESP2, so
// go-redis never parses the peeked bytes).
func tlsDialer(conf *tls.Config, timeout time.Duration) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: timeout, KeepAlive: 5 * time.Minute}
		raw, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		c := conf
		if c.ServerName == "" {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				raw.Close()
				return nil, fmt.Errorf("redis: tls: %w", err)
			}
			c = c.Clone()
			c.ServerName = host
		}
		tc := tls.Client(raw, c)
		hctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if err := tc.HandshakeContext(hctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("redis: tls handshake with %s: %w", addr, err)
		}
		if sc, ok := raw.(syscall.Conn); ok {
			return checkableTLS{tc, sc}, nil
		}
		return tc, nil
	}
}

// checkableTLS is a TLS connection whose socket go-redis can check.
type checkableTLS struct {
	*tls.Conn
	raw syscall.Conn
}

// SyscallConn exposes the TCP socket under the TLS stream.
func (c checkableTLS) SyscallConn() (syscall.RawConn, error) { return c.raw.SyscallConn() }
