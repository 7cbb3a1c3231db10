package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/semaphore"
	"golang.org/x/time/rate"

	"github.com/signalr-go/signalr"
)

// Rate allows Burst events at once, then one every Every. In Limits, a
// zero Rate means the limit's default and a negative Burst turns the
// limit off.
type Rate struct {
	Every time.Duration
	Burst int
}

// Limits bound what one client address and one person may do. Every
// field's zero value means the default given beside it. A client
// address is the TCP peer's IP (an IPv6 address counts by its /64, which
// one host usually owns), unless TrustForwardedFor is set.
type Limits struct {
	// SignInPerAddress bounds sign-in requests per client address.
	// Default 20, then one every 3 s.
	SignInPerAddress Rate
	// PasswordChecksPerAccount bounds password checks per account, right
	// or wrong, from any address: what a guesser spread over many
	// addresses gets. Once spent, even the right password waits (429)
	// until it refills, the price of keeping guesses bounded. Default 10,
	// then one a minute.
	PasswordChecksPerAccount Rate
	// NewAccountsPerAddress bounds account creation per client address.
	// Default 20, then one every 30 s.
	NewAccountsPerAddress Rate
	// PasswordChangesPerUser bounds password changes per person. Default
	// 5, then one a minute.
	PasswordChangesPerUser Rate
	// RoomsPerUser and RoomsPerAddress bound room creation. Default 5 per
	// person and 10 per address, then one a minute.
	RoomsPerUser, RoomsPerAddress Rate
	// ConversationsPerUser bounds StartConversation calls per person.
	// Default 30, then one every 6 s.
	ConversationsPerUser Rate
	// InvitesPerUser bounds invitations into private rooms per person.
	// Default 30, then one every 6 s.
	InvitesPerUser Rate
	// SearchesPerUser bounds full-text searches per person, each a query
	// over everything they may read. Default 20, then 2 a second.
	SearchesPerUser Rate
	// TypingPerUser bounds typing notices per person, each sent to a
	// room's other members (a page sends one every 2 s at most).
	// Default 20, then 2 a second.
	TypingPerUser Rate
	// PagesPerUser bounds the calls that return pages of messages or
	// counts over every room (MessagesSince, History, MessagesAround,
	// Unread), per person: a page of 500 messages of 4 000 characters is
	// 4 MB and 150 ms. Default 60 (a page catching up after a long
	// absence), then 2 a second.
	PagesPerUser Rate
	// CallsPerUser bounds every other hub call per person (all their
	// tabs together): each costs the database at least one query, and
	// some (JoinRoom, LeaveRoom, MarkRead) write and tell a room.
	// Default 300 (a page opening with many rooms), then 20 a second.
	CallsPerUser Rate
	// MessagesPerUser bounds messages sent, per person (all their tabs
	// together). Default 100 (a pasted burst, or an outbox flushed after
	// a reconnect), then 10 a second.
	MessagesPerUser Rate
	// UploadsPerUser bounds file uploads per person. Default 10, then one
	// every 6 s.
	UploadsPerUser Rate
	// SeedCallsPerConnection bounds the calls of one connection to the
	// sample hub at /chatHub, where anyone, signed in or not, reaches
	// every connection with one SendMessage. Default 100, then 10 a
	// second (as MessagesPerUser).
	SeedCallsPerConnection Rate
	// SeedCallsPerAddress bounds the calls to the sample hub of all the
	// connections of one client address together, which one client may
	// open by the hundred. Default 300, then 30 a second.
	SeedCallsPerAddress Rate
	// SeedConnectionsPerAddress bounds the connections to the sample hub
	// open at once from one client address: they need no sign-in, and
	// each arrival is told to every connection (n connections cost n²
	// messages). Default 100; more are refused.
	SeedConnectionsPerAddress int
	// ConnectionsPerUser bounds the chat hub connections one person has
	// open at once on one server: each costs a goroutine, a socket and
	// its rooms' groups, and accounts are cheap. Default 50; more are
	// refused.
	ConnectionsPerUser int
	// UploadsAtOncePerUser, UploadsAtOncePerAddress and UploadsAtOnce
	// bound the uploads running at the same time, per person, per client
	// address and on the server: each holds a connection, a temporary
	// file and disk for minutes if its client is slow. Default 3, 10 and
	// 100; over them, 429 with Retry-After.
	UploadsAtOncePerUser, UploadsAtOncePerAddress, UploadsAtOnce int
	// UploadQuota bounds the total size of the files one person shared,
	// in bytes, counted in the database (so it holds across restarts and
	// servers). Default 200 MiB; negative: no quota.
	UploadQuota int64
	// MaxMemberships, MaxConversations and MaxConversationSize bound the
	// rooms and conversations one person is a member of, their
	// conversations, and the people of one conversation; see
	// [hub.Limits] for their defaults (200, 100, 8).
	MaxMemberships, MaxConversations, MaxConversationSize int
	// SearchTime bounds the database time of one search; see
	// [hub.Options.SearchTime] for its default (300 ms).
	SearchTime time.Duration
	// PasswordHashers bounds the password hashes (600 000 PBKDF2 rounds
	// each) computed at once. Default half the CPUs, at least one.
	PasswordHashers int
	// PasswordQueue bounds the requests waiting for a hasher; more are
	// answered 503 with Retry-After. Default 32.
	PasswordQueue int
	// Tracked bounds the addresses, or the people, each limit remembers;
	// past it the least recently seen is forgotten (it starts afresh).
	// Default 10 000 (a couple of MB per limit at most).
	Tracked int
	// TrustForwardedFor takes the client address from the last entry of
	// X-Forwarded-For, which a reverse proxy in front of the server adds.
	// Only set it behind such a proxy: otherwise clients choose their
	// address.
	TrustForwardedFor bool
}

func (r Rate) or(def Rate) Rate {
	if r.Burst == 0 && r.Every == 0 {
		return def
	}
	return r
}

// limiters are the application's limits, built from Limits.
type limiters struct {
	signIn, checks, accounts, password, roomsUser, roomsAddr, conversations, invites, searches, typing, pages, calls, messages, uploads *keyed
	seedConn, seedAddr                                                                                                                  *keyed

	uploading      *uploading
	seedConns      *atOnce
	chatConns      *atOnce
	quota          int64
	hash           *semaphore.Weighted
	waiting        atomic.Int64
	maxQueue       int64
	trustForwarded bool
}

func newLimiters(l Limits) (*limiters, error) {
	n := l.Tracked
	if n <= 0 {
		n = 10_000
	}
	ls := &limiters{quota: l.UploadQuota, trustForwarded: l.TrustForwardedFor, maxQueue: int64(l.PasswordQueue)}
	if ls.quota == 0 {
		ls.quota = 200 << 20
	}
	if ls.quota < 0 {
		ls.quota = math.MaxInt64
	}
	if ls.maxQueue <= 0 {
		ls.maxQueue = 32
	}
	hashers := l.PasswordHashers
	if hashers <= 0 {
		hashers = max(1, runtime.GOMAXPROCS(0)/2)
	}
	ls.hash = semaphore.NewWeighted(int64(hashers))
	ls.seedConns = newAtOnce(cmp.Or(max(l.SeedConnectionsPerAddress, 0), 100))
	ls.chatConns = newAtOnce(cmp.Or(max(l.ConnectionsPerUser, 0), 50))
	ls.uploading = newUploading(cmp.Or(max(l.UploadsAtOncePerUser, 0), 3), cmp.Or(max(l.UploadsAtOncePerAddress, 0), 10), cmp.Or(max(l.UploadsAtOnce, 0), 100))
	var err error
	for _, k := range []struct {
		dst *(*keyed)
		r   Rate
		def Rate
	}{
		{&ls.signIn, l.SignInPerAddress, Rate{3 * time.Second, 20}},
		{&ls.checks, l.PasswordChecksPerAccount, Rate{time.Minute, 10}},
		{&ls.accounts, l.NewAccountsPerAddress, Rate{30 * time.Second, 20}},
		{&ls.password, l.PasswordChangesPerUser, Rate{time.Minute, 5}},
		{&ls.roomsUser, l.RoomsPerUser, Rate{time.Minute, 5}},
		{&ls.roomsAddr, l.RoomsPerAddress, Rate{time.Minute, 10}},
		{&ls.conversations, l.ConversationsPerUser, Rate{6 * time.Second, 30}},
		{&ls.invites, l.InvitesPerUser, Rate{6 * time.Second, 30}},
		{&ls.searches, l.SearchesPerUser, Rate{500 * time.Millisecond, 20}},
		{&ls.typing, l.TypingPerUser, Rate{500 * time.Millisecond, 20}},
		{&ls.pages, l.PagesPerUser, Rate{500 * time.Millisecond, 60}},
		{&ls.calls, l.CallsPerUser, Rate{50 * time.Millisecond, 300}},
		{&ls.messages, l.MessagesPerUser, Rate{100 * time.Millisecond, 100}},
		{&ls.uploads, l.UploadsPerUser, Rate{6 * time.Second, 10}},
		{&ls.seedConn, l.SeedCallsPerConnection, Rate{100 * time.Millisecond, 100}},
		{&ls.seedAddr, l.SeedCallsPerAddress, Rate{time.Second / 30, 300}},
	} {
		if *k.dst, err = newKeyed(k.r.or(k.def), n); err != nil {
			return nil, err
		}
	}
	return ls, nil
}

// keyed is one limit: a token bucket (golang.org/x/time/rate) per key, at
// most n of them, the least recently used forgotten first. Forgetting a
// key only ever gives it a fresh, full bucket, so a limit stays a limit
// for everyone the map still holds, and memory stays bounded whatever
// the number of addresses or names an attacker rotates through.
type keyed struct {
	every time.Duration
	burst int
	off   bool
	mu    sync.Mutex // makes get-or-create atomic
	lims  *lru.Cache[string, *rate.Limiter]
}

func newKeyed(r Rate, n int) (*keyed, error) {
	c, err := lru.New[string, *rate.Limiter](n)
	if err != nil {
		return nil, fmt.Errorf("chat: limits: %w", err)
	}
	if r.Every <= 0 {
		r.Every = time.Second
	}
	return &keyed{every: r.Every, burst: r.Burst, off: r.Burst < 0, lims: c}, nil
}

func (k *keyed) limiter(key string) *rate.Limiter {
	k.mu.Lock()
	defer k.mu.Unlock()
	l, ok := k.lims.Get(key)
	if !ok {
		l = rate.NewLimiter(rate.Every(k.every), k.burst)
		k.lims.Add(key, l)
	}
	return l
}

// forget drops key's bucket: a connection's, once it closed.
func (k *keyed) forget(key string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.lims.Remove(key)
}

// take spends one event for key and returns 0, or, if none is left,
// spends nothing and returns how long until one is.
func (k *keyed) take(key string) time.Duration {
	if k.off {
		return 0
	}
	now := time.Now()
	r := k.limiter(key).ReserveN(now, 1)
	if !r.OK() {
		return k.every
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}

// errBusy reports that too many password hashes are queued.
var errBusy = errors.New("chat: too many password checks at once")

// hashing runs f, which hashes a password, once a hasher is free. It
// returns errBusy at once if the queue is full, and ctx's error if the
// request ends first.
func (ls *limiters) hashing(ctx context.Context, f func()) error {
	if ls.waiting.Add(1) > ls.maxQueue {
		ls.waiting.Add(-1)
		return errBusy
	}
	err := ls.hash.Acquire(ctx, 1)
	ls.waiting.Add(-1)
	if err != nil {
		return err
	}
	defer ls.hash.Release(1)
	f()
	return nil
}

// clientAddr returns the key of the request's client address: its IP,
// or its /64 for IPv6.
func (ls *limiters) clientAddr(r *http.Request) string {
	raw := r.RemoteAddr
	if ls.trustForwarded {
		if h := r.Header.Values("X-Forwarded-For"); len(h) > 0 {
			last := h[len(h)-1]
			raw = strings.TrimSpace(last[strings.LastIndexByte(last, ',')+1:])
		}
	}
	ap, err := netip.ParseAddrPort(raw)
	ip := ap.Addr()
	if err != nil {
		if ip, err = netip.ParseAddr(raw); err != nil {
			return raw
		}
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// retryAfter returns d in whole seconds, at least one, for Retry-After.
func retryAfter(d time.Duration) int { return max(1, int(math.Ceil(d.Seconds()))) }

// tooMany answers 429 with Retry-After and says what was limited.
func tooMany(w http.ResponseWriter, what string, d time.Duration) {
	s := retryAfter(d)
	w.Header().Set("Retry-After", strconv.Itoa(s))
	http.Error(w, fmt.Sprintf("too many %s: try again in %d s", what, s), http.StatusTooManyRequests)
}

// busy answers 503 with Retry-After: the server, not the client, is out
// of password hashers.
func busy(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	http.Error(w, "the server is busy checking passwords: try again in 1 s", http.StatusServiceUnavailable)
}

// hubTooMany is the hub error for a limited hub call.
func hubTooMany(what string, d time.Duration) error {
	return signalr.NewHubError("Too many %s: try again in %d s.", what, retryAfter(d))
}
