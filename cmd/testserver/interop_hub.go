package main

import (
	"errors"
	"strings"
	"time"

	"github.com/signalr-go/signalr"
)

// interopHub is the hub of the interop tests. One value serves every
// interop endpoint; what it remembers across connections (stream fates,
// disconnects) lives in rec, keyed by names the tests choose.
type interopHub struct {
	rec *iopRecorder
}

// The client methods the hub calls, typed so that every call site agrees.
const (
	// iopReceive carries the name of the Clients target used and a message.
	iopReceive = signalr.ClientMethod2[string, string]("Receive")
	// iopSeq carries one number of a numbered burst.
	iopSeq    = signalr.ClientMethod1[int]("Seq")
	iopTyped0 = signalr.ClientMethod0("Typed0")
	iopTyped1 = signalr.ClientMethod1[int]("Typed1")
	iopTyped2 = signalr.ClientMethod2[string, bool]("Typed2")
	iopTyped3 = signalr.ClientMethod3[string, int, []int]("Typed3")
	iopTyped4 = signalr.ClientMethod4[string, int, bool, iopPoint]("Typed4")
	iopAsk    = signalr.ClientFunc1[string, int]("Ask")
)

// iopPoint is a small struct, to check field names on the wire.
type iopPoint struct {
	X    int    `json:"x"`
	Y    int    `json:"y"`
	Name string `json:"name"`
}

// iopIdentity is what WhoAmI tells a client about its connection.
type iopIdentity struct {
	ConnectionID string `json:"connectionId"`
	User         string `json:"user"`
	Transport    string `json:"transport"`
	Protocol     string `json:"protocol"`
}

// Echo returns its argument.
func (*interopHub) Echo(s string) string { return s }

// EchoBytes returns its argument (binary on MessagePack, base64 on JSON).
func (*interopHub) EchoBytes(b []byte) []byte { return b }

// EchoPoint returns its argument.
func (*interopHub) EchoPoint(p iopPoint) iopPoint { return p }

// EchoAny returns any value as the protocol decoded it into a Go any.
func (*interopHub) EchoAny(v any) any { return v }

// EchoMap returns its argument.
func (*interopHub) EchoMap(m map[string]int) map[string]int { return m }

// EchoTime returns its argument.
func (*interopHub) EchoTime(t time.Time) time.Time { return t }

// EchoNullable returns its argument, which may be null.
func (*interopHub) EchoNullable(s *string) *string { return s }

// Length returns the length in bytes of s, to check large uploads.
func (*interopHub) Length(s string) int { return len(s) }

// Payload returns a string of n bytes: 'a' to 'z' repeated.
func (*interopHub) Payload(n int) string {
	var b strings.Builder
	b.Grow(n)
	for i := range n {
		b.WriteByte(byte('a' + i%26))
	}
	return b.String()
}

// Add returns a+b.
func (*interopHub) Add(a, b int) int { return a + b }

// WhoAmI describes the caller's connection.
func (*interopHub) WhoAmI(c *signalr.Context) iopIdentity {
	return iopIdentity{
		ConnectionID: c.ConnectionID(),
		User:         c.UserID(),
		Transport:    c.Transport().String(),
		Protocol:     c.Protocol(),
	}
}

// Every Clients target, each sending Receive(target, msg).

func (*interopHub) SendAll(c *signalr.Context, msg string) error {
	return iopReceive.Send(c, c.Clients.All(), "All", msg)
}

func (*interopHub) SendCaller(c *signalr.Context, msg string) error {
	return iopReceive.Send(c, c.Clients.Caller(), "Caller", msg)
}

func (*interopHub) SendOthers(c *signalr.Context, msg string) error {
	return iopReceive.Send(c, c.Clients.Others(), "Others", msg)
}

func (*interopHub) SendClient(c *signalr.Context, id, msg string) error {
	return iopReceive.Send(c, c.Clients.Client(id), "Client", msg)
}

func (*interopHub) SendClients(c *signalr.Context, ids []string, msg string) error {
	return iopReceive.Send(c, c.Clients.Clients(ids...), "Clients", msg)
}

func (*interopHub) SendAllExcept(c *signalr.Context, except []string, msg string) error {
	return iopReceive.Send(c, c.Clients.AllExcept(except...), "AllExcept", msg)
}

func (*interopHub) SendGroup(c *signalr.Context, group, msg string) error {
	return iopReceive.Send(c, c.Clients.Group(group), "Group", msg)
}

func (*interopHub) SendGroups(c *signalr.Context, groups []string, msg string) error {
	return iopReceive.Send(c, c.Clients.Groups(groups...), "Groups", msg)
}

func (*interopHub) SendGroupExcept(c *signalr.Context, group string, except []string, msg string) error {
	return iopReceive.Send(c, c.Clients.GroupExcept(group, except...), "GroupExcept", msg)
}

func (*interopHub) SendOthersInGroup(c *signalr.Context, group, msg string) error {
	return iopReceive.Send(c, c.Clients.OthersInGroup(group), "OthersInGroup", msg)
}

func (*interopHub) SendUser(c *signalr.Context, user, msg string) error {
	return iopReceive.Send(c, c.Clients.User(user), "User", msg)
}

func (*interopHub) SendUsers(c *signalr.Context, users []string, msg string) error {
	return iopReceive.Send(c, c.Clients.Users(users...), "Users", msg)
}

// SendTyped calls Typed0 to Typed4 on the caller through typed client
// methods, in that order.
func (*interopHub) SendTyped(c *signalr.Context, n int) error {
	caller := c.Clients.Caller()
	return errors.Join(
		iopTyped0.Send(c, caller),
		iopTyped1.Send(c, caller, n),
		iopTyped2.Send(c, caller, "two", true),
		iopTyped3.Send(c, caller, "three", n, []int{1, 2, 3}),
		iopTyped4.Send(c, caller, "four", n, false, iopPoint{X: n, Y: -n, Name: "p"}),
	)
}

// Burst sends Seq(0) ... Seq(n-1) to the caller and returns n; every
// message arrives before the completion.
func (*interopHub) Burst(c *signalr.Context, n int) (int, error) {
	caller := c.Clients.Caller()
	for i := range n {
		if err := iopSeq.Send(c, caller, i); err != nil {
			return i, err
		}
	}
	return n, nil
}

// Groups and presence.

func (*interopHub) JoinGroup(c *signalr.Context, group string) error {
	return c.Groups.Add(c, c.ConnectionID(), group)
}

func (*interopHub) LeaveGroup(c *signalr.Context, group string) error {
	return c.Groups.Remove(c, c.ConnectionID(), group)
}

// GroupMembers returns the connection ids in a group, sorted.
func (*interopHub) GroupMembers(c *signalr.Context, group string) ([]string, error) {
	ids, err := c.Groups.Members(c, group)
	return iopNonNil(ids), err
}

// MyGroups returns the caller's groups, sorted.
func (*interopHub) MyGroups(c *signalr.Context) ([]string, error) {
	gs, err := c.Groups.Of(c, c.ConnectionID())
	return iopNonNil(gs), err
}

// UserConnections returns the connection ids of a user, sorted.
func (*interopHub) UserConnections(c *signalr.Context, user string) ([]string, error) {
	ids, err := c.Server().UserConnections(c, user)
	return iopNonNil(ids), err
}

// iopNonNil turns a nil slice into an empty one, which encodes as [] rather
// than null.
func iopNonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Ordering.

// Record appends i to the caller's record, for sends without answer.
func (h *interopHub) Record(c *signalr.Context, i int) { h.rec.appendSeq(c, "record", i) }

// Recorded returns the caller's record.
func (h *interopHub) Recorded(c *signalr.Context) []int { return h.rec.seqs(c, "record") }

// Next records i and returns how many Next calls of the caller came
// before it: invoked in order, call i answers i.
func (h *interopHub) Next(c *signalr.Context, i int) int { return h.rec.appendSeq(c, "next", i) }

// Errors.

// iopError is an error that names its .NET-like type for detailed
// error texts.
type iopError struct{ msg string }

func (e *iopError) Error() string         { return e.msg }
func (e *iopError) ErrorTypeName() string { return "InvalidOperationException" }

// Fail returns a plain error: generic text unless detailed errors are on.
func (*interopHub) Fail(msg string) error { return errors.New(msg) }

// FailNamed returns an error naming its type.
func (*interopHub) FailNamed(msg string) error { return &iopError{msg} }

// FailHub returns a HubError, whose message is always shown.
func (*interopHub) FailHub(msg string) error { return &signalr.HubError{Message: msg} }

// FailHubTyped returns a HubError with its own type name.
func (*interopHub) FailHubTyped(msg string) error {
	return &signalr.HubError{Message: msg, Type: "ArgumentException"}
}

// Panic panics with msg.
func (*interopHub) Panic(msg string) { panic(msg) }

// AdminOnly may only be called by the user "admin" (Options.MethodPolicies).
func (*interopHub) AdminOnly(c *signalr.Context) string { return "hello " + c.UserID() }

// Abort closes the caller's connection without allowing a reconnect.
func (*interopHub) Abort(c *signalr.Context) { c.Abort() }

// Disconnected tells whether a connection has ended and with which
// error ("" for a normal close).
func (h *interopHub) Disconnected(id string) iopDisconnect { return h.rec.disconnected(id) }

// OnDisconnected implements signalr.DisconnectedHook.
func (h *interopHub) OnDisconnected(c *signalr.Context, err error) {
	h.rec.setDisconnected(c.ConnectionID(), err)
}
