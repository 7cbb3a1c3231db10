package signalr

import (
	"context"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/signalr-go/signalr/internal/index"
	"github.com/signalr-go/signalr/protocol"
)

// MemoryLifetimeManager is the [LifetimeManager] of a single server: every
// connection, group and user lives in this process. Sends are delivered
// synchronously, so a message is queued on every recipient when Send
// returns.
type MemoryLifetimeManager struct {
	mu     sync.RWMutex
	conns  map[string]*memConn
	users  index.Index[*memConn]
	groups index.Index[*memConn]

	lastID  atomic.Uint64
	pending map[string]*pendingResult // under mu

	// fanout admits one Send per processor at a time. Each Send is pure
	// CPU (queuing never waits for the network), so more at once only
	// take processor time from the transport's few writers, which then
	// fall behind while every recipient's queue grows: a crowd arriving
	// at once on a hub that tells everyone about each arrival.
	fanout chan struct{}
}

// memConn is a registered connection and what it belongs to.
type memConn struct {
	c       Conn
	groups  map[string]struct{} // allocated on first join
	results map[string]struct{} // ids of pending client results
}

type pendingResult struct {
	connID string
	done   chan resultOrErr // buffered, receives once
}

type resultOrErr struct {
	r   ClientResult
	err error
}

var _ LifetimeManager = (*MemoryLifetimeManager)(nil)

// NewMemoryLifetimeManager returns an empty in-memory lifetime manager.
func NewMemoryLifetimeManager() *MemoryLifetimeManager {
	return &MemoryLifetimeManager{
		conns:   make(map[string]*memConn),
		users:   index.Index[*memConn]{},
		groups:  index.Index[*memConn]{},
		pending: make(map[string]*pendingResult),
		fanout:  make(chan struct{}, runtime.GOMAXPROCS(0)),
	}
}

// Add implements [LifetimeManager].
func (m *MemoryLifetimeManager) Add(_ context.Context, c Conn) error {
	mc := &memConn{c: c}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.conns[c.ID()] = mc
	if u := c.UserID(); u != "" {
		m.users.Add(u, c.ID(), mc)
	}
	return nil
}

// Remove implements [LifetimeManager].
func (m *MemoryLifetimeManager) Remove(_ context.Context, c Conn) error {
	id := c.ID()
	m.mu.Lock()
	mc := m.conns[id]
	if mc == nil || mc.c != c {
		m.mu.Unlock()
		return nil
	}
	delete(m.conns, id)
	if u := c.UserID(); u != "" {
		m.users.Remove(u, id)
	}
	for g := range mc.groups {
		m.groups.Remove(g, id)
	}
	var failed []*pendingResult
	for rid := range mc.results {
		failed = append(failed, m.pending[rid])
		delete(m.pending, rid)
	}
	m.mu.Unlock()
	for _, p := range failed {
		p.done <- resultOrErr{err: ErrDisconnected}
	}
	return nil
}

// Send implements [LifetimeManager]. The recipients are written to while
// the read lock is held, in place of collecting them first: a send to
// everyone would otherwise hold a list of every connection for as long as
// it runs, and a crowd arriving at once (each arrival told to everyone)
// would hold one such list per arrival. That is safe because Conn.Send
// never blocks and never calls back into the manager: a connection that
// cannot take the message is closed by another goroutine. Send waits, until
// ctx ends, while as many Sends as there are processors run.
func (m *MemoryLifetimeManager) Send(ctx context.Context, t Target, msg *protocol.Prepared) error {
	select {
	case m.fanout <- struct{}{}:
	default:
		// A free slot is taken even when ctx has ended: only the wait
		// ends with it.
		select {
		case m.fanout <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer func() { <-m.fanout }()
	m.mu.RLock()
	defer m.mu.RUnlock()
	ex := exclusion(t.Exclude)
	switch t.Kind {
	case ToAll:
		n := 0
		for id, mc := range m.conns {
			if !ex.has(id) {
				_ = mc.c.Send(msg) // a failing connection closes itself
			}
			if n++; n%yieldEvery == 0 {
				runtime.Gosched()
			}
		}
	case ToConnections:
		for i, id := range t.Names {
			if mc := m.conns[id]; mc != nil && !ex.has(id) && !slices.Contains(t.Names[:i], id) {
				_ = mc.c.Send(msg)
			}
		}
	case ToGroups:
		sendToSets(m.groups, t.Names, ex, msg)
	case ToUsers:
		sendToSets(m.users, t.Names, ex, msg)
	}
	return nil
}

// yieldEvery is how many recipients a send to everyone serves before it
// lets other goroutines run: a send to 10 000 connections takes
// milliseconds of CPU, and the scheduler would otherwise let the readers
// and the transport's writers wait for it (up to 10 ms, its time slice),
// which a client's every round trip pays during a crowd's arrival.
// 2048 deliveries take about 0.2 ms; yielding more often costs the
// broadcast itself (a yield wakes an idle processor).
const yieldEvery = 2048

// sendToSets sends msg to the members of the named sets, each connection
// once.
func sendToSets(index map[string]map[string]*memConn, names []string, ex exclusion, msg *protocol.Prepared) {
	var seen map[string]struct{}
	if len(names) > 1 {
		seen = make(map[string]struct{})
	}
	for _, name := range names {
		for id, mc := range index[name] {
			if ex.has(id) {
				continue
			}
			if seen != nil {
				if _, dup := seen[id]; dup {
					continue
				}
				seen[id] = struct{}{}
			}
			_ = mc.c.Send(msg)
		}
	}
}

// exclusion is a set of excluded connection ids; short lists are scanned.
type exclusion []string

func (e exclusion) has(id string) bool { return len(e) > 0 && slices.Contains(e, id) }

// AddToGroup implements [LifetimeManager].
func (m *MemoryLifetimeManager) AddToGroup(_ context.Context, connID, group string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	mc := m.conns[connID]
	if mc == nil {
		return ErrConnectionNotFound
	}
	if mc.groups == nil {
		mc.groups = make(map[string]struct{}, 1)
	}
	mc.groups[group] = struct{}{}
	m.groups.Add(group, connID, mc)
	return nil
}

// RemoveFromGroup implements [LifetimeManager].
func (m *MemoryLifetimeManager) RemoveFromGroup(_ context.Context, connID, group string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	mc := m.conns[connID]
	if mc == nil {
		return ErrConnectionNotFound
	}
	if _, ok := mc.groups[group]; ok {
		delete(mc.groups, group)
		m.groups.Remove(group, connID)
	}
	return nil
}

// Invoke implements [LifetimeManager]. Invocation ids are "s" followed by
// a counter, as ASP.NET Core's, so they never look like the decimal ids
// clients give their streams.
func (m *MemoryLifetimeManager) Invoke(ctx context.Context, connID, method string, args []any) (ClientResult, error) {
	id := "s" + strconv.FormatUint(m.lastID.Add(1), 10)
	p := &pendingResult{connID: connID, done: make(chan resultOrErr, 1)}
	m.mu.Lock()
	mc := m.conns[connID]
	if mc == nil {
		m.mu.Unlock()
		return ClientResult{}, ErrConnectionNotFound
	}
	m.pending[id] = p
	if mc.results == nil {
		mc.results = make(map[string]struct{}, 1)
	}
	mc.results[id] = struct{}{}
	m.mu.Unlock()
	defer m.forget(id)

	if err := mc.c.Send(protocol.Prepare(&protocol.Invocation{InvocationID: id, Target: method, Arguments: args})); err != nil {
		return ClientResult{}, err
	}
	select {
	case r := <-p.done:
		return r.r, r.err
	case <-ctx.Done():
		return ClientResult{}, ctx.Err()
	}
}

// forget drops a pending result, if still there.
func (m *MemoryLifetimeManager) forget(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.pending[id]
	if p == nil {
		return
	}
	delete(m.pending, id)
	if mc := m.conns[p.connID]; mc != nil {
		delete(mc.results, id)
	}
}

// SetResult implements [LifetimeManager].
func (m *MemoryLifetimeManager) SetResult(_ context.Context, connID, invocationID string, r ClientResult) error {
	m.mu.Lock()
	p := m.pending[invocationID]
	if p == nil || p.connID != connID {
		m.mu.Unlock()
		return ErrNoPendingResult
	}
	delete(m.pending, invocationID)
	if mc := m.conns[connID]; mc != nil {
		delete(mc.results, invocationID)
	}
	m.mu.Unlock()
	p.done <- resultOrErr{r: r}
	return nil
}

// Connections implements [LifetimeManager].
func (m *MemoryLifetimeManager) Connections(_ context.Context, userID string) ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return keys(m.users[userID]), nil
}

// Members implements [LifetimeManager].
func (m *MemoryLifetimeManager) Members(_ context.Context, group string) ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return keys(m.groups[group]), nil
}

// GroupsOf implements [LifetimeManager].
func (m *MemoryLifetimeManager) GroupsOf(_ context.Context, connID string) ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	mc := m.conns[connID]
	if mc == nil {
		return nil, ErrConnectionNotFound
	}
	gs := make([]string, 0, len(mc.groups))
	for g := range mc.groups {
		gs = append(gs, g)
	}
	slices.Sort(gs)
	return gs, nil
}

// Count implements [LifetimeManager].
func (m *MemoryLifetimeManager) Count(context.Context) (int, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.conns), nil
}

// Disconnect implements [LifetimeManager].
func (m *MemoryLifetimeManager) Disconnect(_ context.Context, connID string, err error) error {
	m.mu.RLock()
	mc := m.conns[connID]
	m.mu.RUnlock()
	if mc == nil {
		return ErrConnectionNotFound
	}
	mc.c.Abort(err)
	return nil
}

// DisconnectUser implements [LifetimeManager].
func (m *MemoryLifetimeManager) DisconnectUser(_ context.Context, userID string, err error) error {
	m.mu.RLock()
	var cs []Conn
	for _, mc := range m.users[userID] {
		cs = append(cs, mc.c)
	}
	m.mu.RUnlock()
	for _, c := range cs {
		c.Abort(err)
	}
	return nil
}

// keys returns the sorted ids of a set.
func keys(set map[string]*memConn) []string {
	ids := make([]string, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
