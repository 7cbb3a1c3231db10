package redis

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The payloads of ASP.NET Core's StackExchangeRedis backplane
// (RedisProtocol.cs), MessagePack written in the smallest form as
// MessagePack-CSharp does, and read as its readers do: a payload with
// more array items than expected is fine, extra items are skipped.

// encoding is one protocol's framed bytes of a hub message.
type encoding struct {
	name  string
	bytes []byte
}

// invocation is the payload of the all, group, user and connection
// channels: array(2) [excluded ids, {protocol: bytes}], array(4) with the
// invocation id and the return channel of a client-result call.
//
// names is this package's extension for a send to several groups or
// users: array(5) whose items 2 and 3 are nil (ASP.NET Core reads them as
// no client result) and item 4 lists every group or user of the send, so
// that a Go receiver delivers to a connection in several of them once.
type invocation struct {
	excluded      []string
	encodings     []encoding
	invocationID  string
	returnChannel string
	names         []string
}

// appendInvocation appends the payload of inv to dst.
func appendInvocation(dst []byte, inv *invocation) []byte {
	switch {
	case inv.names != nil:
		dst = append(dst, 0x95)
	case inv.invocationID != "":
		dst = append(dst, 0x94)
	default:
		dst = append(dst, 0x92)
	}
	dst = appendStrings(dst, inv.excluded)
	dst = appendMapLen(dst, len(inv.encodings))
	for _, e := range inv.encodings {
		dst = appendStr(dst, e.name)
		dst = appendBin(dst, e.bytes)
	}
	switch {
	case inv.names != nil:
		dst = append(dst, 0xc0, 0xc0)
		dst = appendStrings(dst, inv.names)
	case inv.invocationID != "":
		dst = appendStr(dst, inv.invocationID)
		dst = appendStr(dst, inv.returnChannel)
	}
	return dst
}

// parseInvocation reads an invocation payload; the strings and bytes it
// returns alias b.
func parseInvocation(b []byte) (*invocation, error) {
	r := reader{b: b}
	n := r.arrayLen()
	if r.err == nil && n < 2 {
		return nil, fmt.Errorf("%w: insufficient items in invocation array", errPayload)
	}
	inv := &invocation{excluded: r.strings()}
	m := r.mapLen()
	for i := 0; i < m && r.err == nil; i++ {
		inv.encodings = append(inv.encodings, encoding{name: r.str(), bytes: r.bin()})
	}
	if n > 3 {
		inv.invocationID, _ = r.strOrNil()
		inv.returnChannel, _ = r.strOrNil()
	}
	if n > 4 {
		if r.peekArray() {
			inv.names = r.strings()
		} else {
			r.skip(0)
		}
	}
	for i := 5; i < n && r.err == nil; i++ {
		r.skip(0)
	}
	return inv, r.end()
}

// Group actions of a group command (ASP.NET Core's GroupAction).
const (
	groupAdd    = 1
	groupRemove = 2
)

// groupCommand asks the server owning a connection to change its groups:
// array(5) [id, server name, action, group, connection id].
type groupCommand struct {
	id     int32
	server string
	action byte
	group  string
	connID string
}

func appendGroupCommand(dst []byte, c *groupCommand) []byte {
	dst = append(dst, 0x95)
	dst = appendInt(dst, int64(c.id))
	dst = appendStr(dst, c.server)
	dst = appendInt(dst, int64(c.action))
	dst = appendStr(dst, c.group)
	return appendStr(dst, c.connID)
}

func parseGroupCommand(b []byte) (*groupCommand, error) {
	r := reader{b: b}
	n := r.arrayLen()
	if r.err == nil && n < 5 {
		return nil, fmt.Errorf("%w: insufficient items in group command array", errPayload)
	}
	c := &groupCommand{id: r.int32(), server: r.str()}
	a := r.int()
	if r.err == nil && (a < 0 || a > math.MaxUint8) {
		r.fail("group action out of range")
	}
	c.action = byte(a)
	c.group, c.connID = r.str(), r.str()
	for i := 5; i < n && r.err == nil; i++ {
		r.skip(0)
	}
	return c, r.end()
}

// appendAck appends array(1) [id].
func appendAck(dst []byte, id int32) []byte {
	return appendInt(append(dst, 0x91), int64(id))
}

func parseAck(b []byte) (int32, error) {
	r := reader{b: b}
	n := r.arrayLen()
	if r.err == nil && n < 1 {
		return 0, fmt.Errorf("%w: insufficient items in ack array", errPayload)
	}
	id := r.int32()
	for i := 1; i < n && r.err == nil; i++ {
		r.skip(0)
	}
	return id, r.end()
}

// completion is a client's answer travelling back to the server that
// asked: array(2) [protocol name, framed Completion in that protocol].
type completion struct {
	protocol string
	bytes    []byte
}

func appendCompletion(dst []byte, c *completion) []byte {
	dst = append(dst, 0x92)
	dst = appendStr(dst, c.protocol)
	return appendBin(dst, c.bytes)
}

func parseCompletion(b []byte) (*completion, error) {
	r := reader{b: b}
	n := r.arrayLen()
	if r.err == nil && n < 2 {
		return nil, fmt.Errorf("%w: insufficient items in completion array", errPayload)
	}
	c := &completion{protocol: r.str(), bytes: r.bin()}
	for i := 2; i < n && r.err == nil; i++ {
		r.skip(0)
	}
	return c, r.end()
}

// Kinds of a disconnect request.
const (
	disconnectConn = 1
	disconnectUser = 2
)

// disconnect is this package's own message (ASP.NET Core has none), sent
// on {hub}:internal:disconnect, a channel .NET servers never subscribe
// to: array(3) [kind, connection or user id, error text ("" for none)].
type disconnect struct {
	kind    byte
	name    string
	message string
}

func appendDisconnect(dst []byte, d *disconnect) []byte {
	dst = append(dst, 0x93)
	dst = appendInt(dst, int64(d.kind))
	dst = appendStr(dst, d.name)
	return appendStr(dst, d.message)
}

func parseDisconnect(b []byte) (*disconnect, error) {
	r := reader{b: b}
	n := r.arrayLen()
	if r.err == nil && n < 3 {
		return nil, fmt.Errorf("%w: insufficient items in disconnect array", errPayload)
	}
	k := r.int()
	d := &disconnect{kind: byte(k), name: r.str(), message: r.str()}
	if r.err == nil && k != disconnectConn && k != disconnectUser {
		r.fail("unknown disconnect kind")
	}
	for i := 3; i < n && r.err == nil; i++ {
		r.skip(0)
	}
	return d, r.end()
}

// errPayload reports a payload read from Redis that is not valid.
var errPayload = errors.New("redis: invalid backplane payload")

func appendStrings(dst []byte, ss []string) []byte {
	dst = appendArrayLen(dst, len(ss))
	for _, s := range ss {
		dst = appendStr(dst, s)
	}
	return dst
}

func appendArrayLen(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, 0x90|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, 0xdc), uint16(n))
	default:
		return binary.BigEndian.AppendUint32(append(dst, 0xdd), uint32(n))
	}
}

func appendMapLen(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, 0x80|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, 0xde), uint16(n))
	default:
		return binary.BigEndian.AppendUint32(append(dst, 0xdf), uint32(n))
	}
}

func appendStr(dst []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		dst = append(dst, 0xa0|byte(n))
	case n <= math.MaxUint8:
		dst = append(dst, 0xd9, byte(n))
	case n <= math.MaxUint16:
		dst = binary.BigEndian.AppendUint16(append(dst, 0xda), uint16(n))
	default:
		dst = binary.BigEndian.AppendUint32(append(dst, 0xdb), uint32(n))
	}
	return append(dst, s...)
}

func appendBin(dst []byte, b []byte) []byte {
	n := len(b)
	switch {
	case n <= math.MaxUint8:
		dst = append(dst, 0xc4, byte(n))
	case n <= math.MaxUint16:
		dst = binary.BigEndian.AppendUint16(append(dst, 0xc5), uint16(n))
	default:
		dst = binary.BigEndian.AppendUint32(append(dst, 0xc6), uint32(n))
	}
	return append(dst, b...)
}

// appendInt writes v in the smallest form, as MessagePack-CSharp does.
func appendInt(dst []byte, v int64) []byte {
	switch {
	case v >= 0 && v < 128:
		return append(dst, byte(v))
	case v >= 0 && v <= math.MaxUint8:
		return append(dst, 0xcc, byte(v))
	case v >= 0 && v <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, 0xcd), uint16(v))
	case v >= 0 && v <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(dst, 0xce), uint32(v))
	case v >= 0:
		return binary.BigEndian.AppendUint64(append(dst, 0xcf), uint64(v))
	case v >= -32:
		return append(dst, byte(v))
	case v >= math.MinInt8:
		return append(dst, 0xd0, byte(v))
	case v >= math.MinInt16:
		return binary.BigEndian.AppendUint16(append(dst, 0xd1), uint16(v))
	case v >= math.MinInt32:
		return binary.BigEndian.AppendUint32(append(dst, 0xd2), uint32(v))
	default:
		return binary.BigEndian.AppendUint64(append(dst, 0xd3), uint64(v))
	}
}
