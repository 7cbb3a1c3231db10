package client

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// wsConn is the WebSockets transport on a connection the client dialed
// itself (see dialDirect): RFC 6455 framing written for what a SignalR
// client needs, so that an idle connection holds no buffer but a small
// read buffer, and a message costs one allocation on receive (its exact
// size, which decoded messages then alias) and none on send.
type wsConn struct {
	conn         net.Conn
	writeTimeout time.Duration
	limit        int64 // largest message read, 0 for none

	// wmu orders frames: data frames from the session, control frames the
	// reader answers with (pong, close).
	wmu       sync.Mutex
	werr      error // sticky: a failed write leaves the stream unusable
	closeSent bool

	// Reader state, used by the reader goroutine only (and by the dial
	// before it starts). buf holds bytes read but not consumed,
	// buf[rpos:rend]; it is small, the inline array, unless a long
	// handshake response needed more.
	buf        []byte
	rpos, rend int
	small      [wsReadBuffer]byte
}

// wsReadBuffer is the read buffer an idle connection keeps: frame headers
// and small messages arrive through it in one system call; a longer
// payload is read straight into its own allocation.
const wsReadBuffer = 512

// frameHeadroom is the space kept free in front of every encoded message
// (see session.encode), where the WebSocket transport writes the frame
// header so that header and payload go out in one write without a copy.
const frameHeadroom = 14

// WebSocket opcodes and header bits (RFC 6455 section 5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xa

	finBit  = 0x80
	rsvBits = 0x70
	maskBit = 0x80

	maxControlPayload = 125
)

// Close codes the client sends or treats specially.
const (
	closeNormal         = 1000
	closeProtocolError  = 1002
	closeNoStatus       = 1005
	closeAbnormal       = 1006
	closeMessageTooBig  = 1009
	controlWriteTimeout = time.Second
)

// errCloseSent fails writes after the close frame went out.
var errCloseSent = errors.New("websocket: close sent")

// errReadLimit reports a message longer than the read limit.
var errReadLimit = errors.New("websocket: read limit exceeded")

func newWSConn(writeTimeout time.Duration, limit int64) *wsConn {
	t := &wsConn{writeTimeout: writeTimeout, limit: limit}
	t.buf = t.small[:]
	return t
}

// wsCloseError is a close frame received from the server.
type wsCloseError struct {
	code int
	text string
}

func (e *wsCloseError) Error() string {
	return "websocket: close " + strconv.Itoa(e.code) + " " + e.text
}

// frameHeader is the start of one frame from the server.
type frameHeader struct {
	opcode byte
	fin    bool
	length int64
}

func (t *wsConn) read() ([]byte, error) {
	p, err := t.readMessage()
	if err == nil {
		return p, nil
	}
	var ce *wsCloseError
	if errors.As(err, &ce) {
		if ce.code == closeNormal {
			return nil, io.EOF
		}
		reason := ce.text
		if reason == "" {
			reason = "no reason given"
		}
		return nil, fmt.Errorf("client: WebSocket closed with status code: %d (%s)", ce.code, reason)
	}
	return nil, &readError{err}
}

// readError is a failed WebSocket read. Its text is built only when
// asked for: the read error of a connection the client closed is
// dropped, and formatting it would cost a stopped connection a few
// allocations.
type readError struct{ err error }

func (e *readError) Error() string { return "client: WebSocket read: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// readMessage returns the next text or binary message, answering the
// control frames that come before or between its frames.
func (t *wsConn) readMessage() ([]byte, error) {
	var msg []byte
	started := false
	for {
		h, err := t.readHeader()
		if err != nil {
			return nil, err
		}
		if h.opcode >= opClose {
			if err := t.control(h); err != nil {
				return nil, err
			}
			continue
		}
		switch {
		case h.opcode == opContinuation && !started:
			return nil, t.protocolError("continuation after FIN")
		case h.opcode != opContinuation && started:
			return nil, t.protocolError("data before FIN")
		}
		started = true
		if t.limit > 0 && h.length > t.limit-int64(len(msg)) {
			t.writeClose(closeMessageTooBig, "")
			return nil, errReadLimit
		}
		if msg, err = t.readPayload(msg, int(h.length)); err != nil {
			return nil, err
		}
		if h.fin {
			return msg, nil
		}
	}
}

// readHeader reads and checks one frame header.
func (t *wsConn) readHeader() (frameHeader, error) {
	if err := t.fill(2); err != nil {
		return frameHeader{}, err
	}
	b0, b1 := t.buf[t.rpos], t.buf[t.rpos+1]
	h := frameHeader{opcode: b0 & 0xf, fin: b0&finBit != 0, length: int64(b1 & 0x7f)}
	if problem := headerProblem(b0, b1, h); problem != "" {
		return h, t.protocolError(problem)
	}
	ext := 0
	switch h.length {
	case 126:
		ext = 2
	case 127:
		ext = 8
	}
	if err := t.fill(2 + ext); err != nil {
		return h, err
	}
	b := t.buf[t.rpos+2 : t.rpos+2+ext]
	switch ext {
	case 2:
		h.length = int64(binary.BigEndian.Uint16(b))
	case 8:
		h.length = int64(binary.BigEndian.Uint64(b))
		if h.length < 0 {
			return h, errReadLimit
		}
	}
	t.rpos += 2 + ext
	return h, nil
}

// headerProblem describes what is wrong with a frame's first two bytes,
// "" when nothing is.
func headerProblem(b0, b1 byte, h frameHeader) string {
	var problems []string
	if b0&rsvBits != 0 {
		problems = append(problems, "RSV set") // no extension was negotiated
	}
	switch h.opcode {
	case opClose, opPing, opPong:
		if h.length > maxControlPayload {
			problems = append(problems, "len > 125 for control")
		}
		if !h.fin {
			problems = append(problems, "FIN not set on control")
		}
	case opText, opBinary, opContinuation:
	default:
		problems = append(problems, "bad opcode "+strconv.Itoa(int(h.opcode)))
	}
	if b1&maskBit != 0 {
		problems = append(problems, "bad MASK") // servers do not mask
	}
	return strings.Join(problems, ", ")
}

// fill makes sure n bytes are buffered; n is at most len(t.buf).
func (t *wsConn) fill(n int) error {
	if t.rend-t.rpos >= n {
		return nil
	}
	if t.rpos > 0 {
		t.rend = copy(t.buf, t.buf[t.rpos:t.rend])
		t.rpos = 0
	}
	for t.rend < n {
		m, err := t.conn.Read(t.buf[t.rend:])
		t.rend += m
		if err != nil {
			if t.rend >= n {
				return nil // the error comes back on the next read
			}
			if errors.Is(err, io.EOF) {
				err = &wsCloseError{code: closeAbnormal, text: io.ErrUnexpectedEOF.Error()}
			}
			return err
		}
	}
	t.shrink()
	return nil
}

// shrink goes back to the inline buffer once a larger one, grown for a
// long handshake response, has been drained.
func (t *wsConn) shrink() {
	if len(t.buf) != wsReadBuffer && t.rend-t.rpos <= wsReadBuffer {
		t.rend = copy(t.small[:], t.buf[t.rpos:t.rend])
		t.rpos, t.buf = 0, t.small[:]
	}
}

// readPayload appends the n bytes of a frame's payload to msg: what is
// buffered, then the rest straight from the connection.
func (t *wsConn) readPayload(msg []byte, n int) ([]byte, error) {
	if msg == nil {
		msg = make([]byte, 0, n)
	}
	k := min(n, t.rend-t.rpos)
	msg = append(msg, t.buf[t.rpos:t.rpos+k]...)
	t.rpos += k
	if k == n {
		return msg, nil
	}
	have := len(msg)
	msg = append(msg, make([]byte, n-k)...)
	if _, err := io.ReadFull(t.conn, msg[have:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = &wsCloseError{code: closeAbnormal, text: io.ErrUnexpectedEOF.Error()}
		}
		return nil, err
	}
	return msg, nil
}

// control handles a ping, pong or close frame.
func (t *wsConn) control(h frameHeader) error {
	if err := t.fill(int(h.length)); err != nil {
		return err
	}
	payload := t.buf[t.rpos : t.rpos+int(h.length)]
	t.rpos += int(h.length)
	switch h.opcode {
	case opPing:
		// As gorilla's default ping handler: a failed pong is not an
		// error of the reader.
		_ = t.writeControl(opPong, payload, time.Now().Add(controlWriteTimeout))
		return nil
	case opPong:
		return nil
	}
	code, text := closeNoStatus, ""
	if len(payload) >= 2 {
		code = int(binary.BigEndian.Uint16(payload))
		text = string(payload[2:])
		if !validReceivedCloseCode(code) {
			return t.protocolError("bad close code " + strconv.Itoa(code))
		}
		if !utf8.ValidString(text) {
			return t.protocolError("invalid utf8 payload in close frame")
		}
	}
	t.writeClose(code, "") // echo the code, as RFC 6455 asks
	return &wsCloseError{code: code, text: text}
}

// validReceivedCloseCode reports whether a peer may send code.
func validReceivedCloseCode(code int) bool {
	switch code {
	case 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013:
		return true
	}
	return code >= 3000 && code <= 4999
}

// protocolError closes the connection with a protocol error and returns
// the error for the reader.
func (t *wsConn) protocolError(problem string) error {
	t.writeClose(closeProtocolError, problem)
	return errors.New("websocket: " + problem)
}

// writeClose sends a close frame with code and reason; code 1005 sends
// an empty one.
func (t *wsConn) writeClose(code int, reason string) {
	var p [maxControlPayload]byte
	n := 0
	if code != closeNoStatus {
		binary.BigEndian.PutUint16(p[:], uint16(code))
		n = 2 + copy(p[2:], reason)
	}
	_ = t.writeControl(opClose, p[:n], time.Now().Add(controlWriteTimeout))
}

func (t *wsConn) write(ctx context.Context, p []byte, text bool) error {
	deadline := time.Now().Add(t.writeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	op := byte(opBinary)
	if text {
		op = opText
	}
	t.wmu.Lock()
	defer t.wmu.Unlock()
	if err := t.writeFrameLocked(op, p, deadline); err != nil {
		return fmt.Errorf("client: WebSocket write: %w", err)
	}
	return nil
}

// writeControl writes a control frame; payload is at most 125 bytes.
func (t *wsConn) writeControl(op byte, payload []byte, deadline time.Time) error {
	var frame [frameHeadroom + maxControlPayload]byte
	n := frameHeadroom + copy(frame[frameHeadroom:], payload)
	t.wmu.Lock()
	defer t.wmu.Unlock()
	return t.writeFrameLocked(op, frame[:n], deadline)
}

// writeFrameLocked writes buf[frameHeadroom:] as one masked frame, the
// header in the headroom, with one Write. The payload is masked in place
// and restored afterwards: the caller may keep it (stateful reconnect
// replays it). t.wmu is held.
func (t *wsConn) writeFrameLocked(op byte, buf []byte, deadline time.Time) error {
	if t.werr != nil {
		return t.werr
	}
	payload := buf[frameHeadroom:]
	key := rand.Uint32()
	start := putFrameHeader(buf[:frameHeadroom], op, len(payload), key)
	maskBytes(key, payload)
	err := t.conn.SetWriteDeadline(deadline)
	if err == nil {
		_, err = t.conn.Write(buf[start:])
	}
	maskBytes(key, payload)
	switch {
	case err != nil:
		t.werr = err
	case op == opClose:
		t.closeSent, t.werr = true, errCloseSent
	}
	return err
}

// putFrameHeader writes the header of a final, masked frame at the end of
// head (frameHeadroom bytes) and returns where it starts.
func putFrameHeader(head []byte, op byte, n int, key uint32) int {
	start := frameHeadroom - 6 // two bytes and the mask key
	switch {
	case n > 0xffff:
		start -= 8
		head[start+1] = maskBit | 127
		binary.BigEndian.PutUint64(head[start+2:], uint64(n))
	case n > 125:
		start -= 2
		head[start+1] = maskBit | 126
		binary.BigEndian.PutUint16(head[start+2:], uint16(n))
	default:
		head[start+1] = maskBit | byte(n)
	}
	head[start] = finBit | op
	binary.LittleEndian.PutUint32(head[frameHeadroom-4:], key)
	return start
}

// maskBytes XORs p with the mask key, eight bytes at a time. Masking is
// its own inverse.
func maskBytes(key uint32, p []byte) {
	k := uint64(key) | uint64(key)<<32
	for len(p) >= 8 {
		binary.LittleEndian.PutUint64(p, binary.LittleEndian.Uint64(p)^k)
		p = p[8:]
	}
	for i := range p {
		p[i] ^= byte(key >> (8 * (i & 3)))
	}
}

// close sends a normal close frame and drops the connection: the server
// sees a graceful end, which for stateful reconnect means "do not wait
// for a resume". A write stuck on a peer that does not read is cut short
// first, so that closing takes at most about closeWait.
func (t *wsConn) close(context.Context) {
	deadline := time.Now().Add(closeWait)
	_ = t.conn.SetWriteDeadline(deadline)
	t.wmu.Lock()
	if !t.closeSent && t.werr == nil {
		var frame [frameHeadroom + 2]byte
		binary.BigEndian.PutUint16(frame[frameHeadroom:], closeNormal)
		_ = t.writeFrameLocked(opClose, frame[:], deadline)
	}
	t.wmu.Unlock()
	t.conn.Close()
}

func (t *wsConn) abort() { t.conn.Close() }

func (t *wsConn) setReadDeadline(d time.Time) error { return t.conn.SetReadDeadline(d) }
