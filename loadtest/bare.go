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

// bareSeparator joins the messages that the bare endpoint coalesces into
// one WebSocket message, as gorilla's chat example joins them with a
// newline; the bare client splits on it, so a payload must not hold one.
const bareSeparator = '\n'

// bareSeparatorBytes is bareSeparator for io.Writer.
var bareSeparatorBytes = []byte{bareSeparator}

// bareWriteTimeout bounds a write on the bare endpoint, as a plain
// application (the chat example's writeWait) bounds them so that a stuck
// client cannot hold its write pump forever.
const bareWriteTimeout = 10 * time.Second

// bareMaxMessage bounds one message read by the bare endpoint, and one
// coalesced message written by it, which the bare client reads with the
// same limit.
const bareMaxMessage = 1 << 20

// bareSendQueue is the messages a bare connection may have waiting for
// its write pump, the chat example's 256: a connection that falls that
// far behind a broadcast is closed rather than allowed to hold it up.
const bareSendQueue = 256

// bareEndpoint is the baseline the hub is measured against: WebSockets
// served with gorilla/websocket the way a plain Go application serves
// them, with no SignalR (no negotiate, handshake, framing or hub). It
// follows gorilla's chat example, the canonical design: each connection
// has a read goroutine, a write pump goroutine fed by a buffered channel,
// and the upgrader's default buffers. A broadcast is a non-blocking send
// into every connection's channel, and a write pump puts the messages
// queued behind the one it writes into the same WebSocket message.
//
// Unlike the example, the fan-out runs on the sender's read goroutine
// over a locked set of connections instead of on one hub goroutine, so
// that broadcasts from several senders are not serialized through one
// goroutine; the example's pings are left out, as the reader has no read
// deadline for them to keep alive.
type bareEndpoint struct {
	upgrader websocket.Upgrader

	mu     sync.RWMutex
	peers  map[*barePeer]struct{}
	closed bool
	wg     sync.WaitGroup // one per peer, so close can wait for them
}

// barePeer is one connection of the bare endpoint.
type barePeer struct {
	ws   *websocket.Conn
	send chan bareMessage // to the write pump, the connection's only writer
	done chan struct{}    // closed when the reader has returned, to stop the pump
	// pumped is closed when the write pump has returned, so that the
	// reader does not wait on a full send queue that nobody drains.
	pumped chan struct{}
}

// bareMessage is one message for a write pump. data is shared by every
// connection a broadcast goes to and is never modified.
type bareMessage struct {
	mt   int // text or binary, as the sender wrote it
	data []byte
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
	p := &barePeer{
		ws:     ws,
		send:   make(chan bareMessage, bareSendQueue),
		done:   make(chan struct{}),
		pumped: make(chan struct{}),
	}
	if !b.add(p) {
		ws.Close()
		return
	}
	go p.writePump()
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
			// Blocking, unlike a broadcast: a client that pipelines
			// echoes is slowed down by its own connection, not closed.
			select {
			case p.send <- bareMessage{mt, msg}:
			case <-p.pumped:
				return
			}
		case bareBroadcast:
			b.broadcast(bareMessage{mt, msg})
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

// remove forgets p once its reader has returned, and waits for its write
// pump, so that close waits for both goroutines.
func (b *bareEndpoint) remove(p *barePeer) {
	p.ws.Close()
	b.mu.Lock()
	delete(b.peers, p)
	b.mu.Unlock()
	close(p.done)
	<-p.pumped
	b.wg.Done()
}

// broadcast queues m for every connection without waiting, as the chat
// example's hub does: a connection whose queue is full is closed (which
// ends its reader and then its pump), and the fan-out goes on. The sends
// cannot block, so the read lock is held across them rather than taking
// a snapshot of the set.
func (b *bareEndpoint) broadcast(m bareMessage) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for p := range b.peers {
		select {
		case p.send <- m:
		default:
			p.ws.Close()
		}
	}
}

// writePump is the connection's only writer. It writes the next queued
// message and, in the same WebSocket message, the ones queued behind it,
// as the chat example does, so that a connection that fell behind catches
// up with one frame and one write rather than one per message.
func (p *barePeer) writePump() {
	defer close(p.pumped)
	defer p.ws.Close() // a failed write ends the reader too
	for {
		var m bareMessage
		select {
		case m = <-p.send:
		case <-p.done:
			return
		}
		for {
			next, more, err := p.writeFrame(m)
			if err != nil {
				return
			}
			if !more {
				break
			}
			m = next
		}
	}
}

// writeFrame writes m and the messages queued behind it, joined by
// bareSeparator, as one WebSocket message. It stops at a queued message
// that cannot join the frame (another message type, or the frame would
// outgrow what the client reads) and returns it as next, with more set.
func (p *barePeer) writeFrame(m bareMessage) (next bareMessage, more bool, err error) {
	_ = p.ws.SetWriteDeadline(time.Now().Add(bareWriteTimeout))
	w, err := p.ws.NextWriter(m.mt)
	if err != nil {
		return next, false, err
	}
	// Write errors are sticky in gorilla and come back from Close.
	_, _ = w.Write(m.data)
	size := len(m.data)
	for n := len(p.send); n > 0; n-- {
		next = <-p.send
		if next.mt != m.mt || size+1+len(next.data) > bareMaxMessage {
			more = true
			break
		}
		_, _ = w.Write(bareSeparatorBytes)
		_, _ = w.Write(next.data)
		size += 1 + len(next.data)
	}
	return next, more, w.Close()
}

// close closes every connection and refuses new ones, then waits until
// their goroutines have returned or ctx ends. http.Server.Shutdown does
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
