package server

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/chat/identity"
	"github.com/signalr-go/signalr/chat/store"
)

// Token revocation works through the database that the servers share:
// each user has a token generation, which every token carries and which
// signing out or changing the password moves forward. A server verifying
// a token compares the two. It caches generations (a bounded LRU) and
// learns about revocations elsewhere by asking the database, every
// RevocationPoll, for the users revoked recently; the same poll closes
// its own SignalR connections whose token was revoked. So a token revoked
// on one server is refused, and its connections closed, everywhere within
// RevocationPoll (default 2 s), assuming the servers' clocks agree within
// revocationOverlap. On the revoking server it is at once.

// errRevoked refuses a token of an older generation.
var errRevoked = errors.New("chat: token revoked")

// revocationOverlap is how far back each poll looks beyond the previous
// one, to absorb clock differences between servers and transactions that
// commit late.
const revocationOverlap = time.Minute

// signedOut is what a closed connection's client is told.
var signedOut = signalr.NewHubError("You were signed out: sign in again.")

// revoker knows users' token generations and this server's connections.
type revoker struct {
	store *store.Store
	log   *slog.Logger
	srv   func() []*signalr.Server // the hubs whose connections it closes
	every time.Duration
	gens  *lru.Cache[string, int64]

	mu    sync.Mutex
	conns map[string]map[string]int64 // user -> connection -> token generation

	stop chan struct{}
	done chan struct{}
}

func newRevoker(st *store.Store, log *slog.Logger, every time.Duration, tracked int) (*revoker, error) {
	if every <= 0 {
		every = 2 * time.Second
	}
	if tracked <= 0 {
		tracked = 100_000
	}
	gens, err := lru.New[string, int64](tracked)
	if err != nil {
		return nil, err
	}
	return &revoker{store: st, log: log, every: every, gens: gens, conns: map[string]map[string]int64{},
		stop: make(chan struct{}), done: make(chan struct{})}, nil
}

// check refuses the claims if the user's tokens were revoked since they
// were issued, or if the user no longer exists.
func (rv *revoker) check(ctx context.Context, c identity.Claims) error {
	gen, ok := rv.gens.Get(c.UserID)
	if !ok {
		u, err := rv.store.UserByID(ctx, c.UserID)
		if errors.Is(err, store.ErrNotFound) {
			return identity.ErrInvalidToken
		}
		if err != nil {
			return err
		}
		gen = u.TokenGen
		rv.gens.Add(c.UserID, gen)
	}
	if c.Gen != gen {
		return errRevoked
	}
	return nil
}

// revoked records a revocation made here and closes the user's
// connections (through the hub server, so on every node a backplane
// reaches).
func (rv *revoker) revoked(ctx context.Context, userID string, gen int64) {
	rv.gens.Add(userID, gen)
	for _, s := range rv.srv() {
		if err := s.DisconnectUser(ctx, userID, signedOut); err != nil {
			rv.log.Warn("chat: close revoked connections", "user", userID, "err", err)
		}
	}
}

// connected and disconnected track this server's connections and the
// generation of the token each came with.
func (rv *revoker) connected(c *signalr.Context) {
	if c.UserID() == "" {
		return
	}
	gen, _ := strconv.ParseInt(c.User().Claims["gen"], 10, 64)
	rv.mu.Lock()
	defer rv.mu.Unlock()
	m := rv.conns[c.UserID()]
	if m == nil {
		m = map[string]int64{}
		rv.conns[c.UserID()] = m
	}
	m[c.ConnectionID()] = gen
}

func (rv *revoker) disconnected(c *signalr.Context) {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	delete(rv.conns[c.UserID()], c.ConnectionID())
	if len(rv.conns[c.UserID()]) == 0 {
		delete(rv.conns, c.UserID())
	}
}

// run polls for revocations until close.
func (rv *revoker) run() {
	defer close(rv.done)
	t := time.NewTicker(rv.every)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-rv.stop:
			return
		case <-t.C:
		}
		start := time.Now()
		if err := rv.poll(last.Add(-revocationOverlap)); err != nil {
			rv.log.Warn("chat: poll token revocations", "err", err)
			continue
		}
		last = start
	}
}

// poll learns the generations of the users revoked since the time and
// closes this server's connections that carry an older one.
func (rv *revoker) poll(since time.Time) error {
	ctx, cancel := context.WithTimeout(context.Background(), rv.every)
	defer cancel()
	gens, err := rv.store.TokenGens(ctx, since.UnixMilli())
	if err != nil {
		return err
	}
	var stale []string
	rv.mu.Lock()
	for user, gen := range gens {
		if _, ok := rv.gens.Peek(user); ok {
			rv.gens.Add(user, gen)
		}
		for conn, g := range rv.conns[user] {
			if g != gen {
				stale = append(stale, conn)
			}
		}
	}
	rv.mu.Unlock()
	for _, conn := range stale {
		for _, s := range rv.srv() {
			if err := s.Disconnect(ctx, conn, signedOut); err != nil && !errors.Is(err, signalr.ErrConnectionNotFound) {
				rv.log.Warn("chat: close revoked connection", "connection", conn, "err", err)
			}
		}
	}
	return nil
}

// close stops the polling.
func (rv *revoker) close() {
	select {
	case <-rv.stop:
	default:
		close(rv.stop)
		<-rv.done
	}
}
