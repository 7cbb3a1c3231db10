package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Bare message kinds: the first byte of every message on the bare
// endpoint; the rest is the payload.
const (
	bareEcho      = 'E' // echoed back to the sender
	bareBroadcast = 'B' // written to every bare connection, the sender included
)

// bareWriteTimeout bounds a write on the bare endpoint, as a plain
// application bounds them so that a stuck client cannot hold a fan-out.
const bareWriteTimeout = 10 * time.Second

// bareMaxMessage bounds one message read by the bare endpoint.
const bareMaxMessage = 1 << 20

// bareEndpoint is the baseline the hub is measured against: WebSockets
// served with gorilla/websocket the way a plain Go application serves
// them, with no SignalR (no negotiate, handshake, framing or hub). Each
// connection has one read goroutine, the upgrader's default buffers, and
// a mutex that serializes its writes; a broadcast is written by the
// sender's goroutine to a snapshot of the connections.
type bareEndpoint struct {
	upgrader websocket.Upgrader

	mu     sync.RWMutex
	peers  map[*barePeer]struct{}
	closed bool
	wg     sync.WaitGroup // one per peer, so close can wait for them
}

// barePeer is one connection of the bare endpoint.
type barePeer struct {
	ws      *websocket.Conn
	writeMu sync.Mutex // gorilla allows one writer at a time
}

func newBareEndpoint() *bareEndpoint {
	return &bareEndpoint{peers: map[*barePeer]struct{}{}}
}

// ServeHTTP upgrades the request and serves the connection until it ends.
func (b *bareEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ws, err := b.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the request
	}
	p := &barePeer{ws: ws}
	if !b.add(p) {
		ws.Close()
		return
	}
	defer b.remove(p)
	b.serve(p)
}

// serve is the connection's read loop.
func (b *bareEndpoint) serve(p *barePeer) {
	p.ws.SetReadLimit(bareMaxMessage)
	for {
		mt, msg, err := p.ws.ReadMessage()
		if err != nil {
			return
		}
		if len(msg) == 0 {
			continue
		}
		switch msg[0] {
		case bareEcho:
			err = p.write(mt, msg)
		case bareBroadcast:
			err = b.broadcast(mt, msg)
		}
		if err != nil {
			return
		}
	}
}

func (b *bareEndpoint) add(p *barePeer) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.peers[p] = struct{}{}
	b.wg.Add(1)
	return true
}

func (b *bareEndpoint) remove(p *barePeer) {
	p.ws.Close()
	b.mu.Lock()
	delete(b.peers, p)
	b.mu.Unlock()
	b.wg.Done()
}

// snapshot returns the connections open now, so that a fan-out does not
// hold the lock while it writes.
func (b *bareEndpoint) snapshot() []*barePeer {
	b.mu.RLock()
	defer b.mu.RUnlock()
	peers := make([]*barePeer, 0, len(b.peers))
	for p := range b.peers {
		peers = append(peers, p)
	}
	return peers
}

// broadcast writes msg to every connection. The frame is encoded once
// (gorilla's PreparedMessage, its documented way to send one message to
// many connections). A connection whose write fails is closed, which ends
// its read loop; the fan-out goes on.
func (b *bareEndpoint) broadcast(mt int, msg []byte) error {
	pm, err := websocket.NewPreparedMessage(mt, msg)
	if err != nil {
		return fmt.Errorf("loadtest: preparing a broadcast: %w", err)
	}
	deadline := time.Now().Add(bareWriteTimeout)
	for _, p := range b.snapshot() {
		if err := p.writePrepared(pm, deadline); err != nil {
			p.ws.Close()
		}
	}
	return nil
}

func (p *barePeer) write(mt int, msg []byte) error {
	p.writeMu.Lock()
	defer p.writeMu.Unlock()
	_ = p.ws.SetWriteDeadline(time.Now().Add(bareWriteTimeout))
	return p.ws.WriteMessage(mt, msg)
}

func (p *barePeer) writePrepared(pm *websocket.PreparedMessage, deadline time.Time) error {
	p.writeMu.Lock()
	defer p.writeMu.Unlock()
	_ = p.ws.SetWriteDeadline(deadline)
	return p.ws.WritePreparedMessage(pm)
}

// close closes every connection and refuses new ones, then waits until
// their read loops have returned or ctx ends. http.Server.Shutdown does
// not do this: upgraded connections are hijacked, out of its sight.
func (b *bareEndpoint) close(ctx context.Context) error {
	b.mu.Lock()
	b.closed = true
	for p := range b.peers {
		p.ws.Close()
	}
	b.mu.Unlock()
	done := make(chan struct{})
	go func() {
		b.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("loadtest: closing bare connections: %w", ctx.Err())
	}
}
