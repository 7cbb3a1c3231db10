package loadtest

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/signalr-go/signalr/client"
	"github.com/signalr-go/signalr/protocol"
)

// Config describes one scenario run. Zero fields take the defaults
// documented on them (see [Config.withDefaults]).
type Config struct {
	// URL is the hub URL, e.g. http://127.0.0.1:5000/hub, or several
	// separated by commas (servers sharing a backplane): connection i
	// goes to the (i mod n)-th, so that the senders, the first
	// connections, are on the first server.
	URL string
	// Clients is the number of connections. Default 100.
	Clients int
	// Rate is, for connect, connections opened per second; for broadcast
	// and group, messages sent per second in total; for echo, invocations
	// per second in total. 0: as fast as possible (connect, echo) or 10
	// messages per second (broadcast, group).
	Rate float64
	// Duration is how long messages are sent (broadcast, group, echo) or
	// connections held (connect). Default 5 s.
	Duration time.Duration
	// PayloadSize is the size of each payload string in bytes (at least
	// the 16-byte timestamp). Default 32.
	PayloadSize int
	// Transport is "websockets" (default), "sse" or "longpolling".
	Transport string
	// Protocol is "json" (default) or "messagepack".
	Protocol string
	// Raw uses the light raw WebSocket connection (negotiate, WebSocket,
	// handshake, one read goroutine) instead of the full Go client.
	Raw bool
	// SkipNegotiation opens the WebSocket without negotiating first, as
	// the official clients' skipNegotiation option does (WebSockets only).
	SkipNegotiation bool
	// Bare connects bare gorilla WebSockets to the bare endpoint
	// ([BarePath]) on the URL's host instead of SignalR connections: the
	// baseline that SignalR's figures are quoted against. Broadcast and
	// echo only (and connect: dial and upgrade).
	Bare bool
	// Concurrency bounds the connection attempts in flight. Default 256.
	Concurrency int
	// GroupSize is the number of members per group (group scenario).
	// Default 10.
	GroupSize int
	// Senders is how many of the clients send (broadcast, group). Default 1.
	Senders int
	// InFlight is the number of echo invocations each client keeps
	// outstanding. Default 1.
	InFlight int
	// Drain bounds the wait for outstanding deliveries after the sending
	// stops. Default 5 s.
	Drain time.Duration
	// PID, when not 0, is the server process whose resident memory the
	// connect scenario reads before and after connecting.
	PID int
	// Progress, when set, is called about once a second with a one-line
	// status.
	Progress func(line string)
}

// Scenario names.
const (
	ScenarioConnect   = "connect"
	ScenarioBroadcast = "broadcast"
	ScenarioGroup     = "group"
	ScenarioEcho      = "echo"
)

// maxClients bounds a run: one source address has ~28 000 loopback ports.
const maxClients = 25_000

// maxDuration bounds a run in time.
const maxDuration = time.Hour

func (c Config) withDefaults() (Config, error) {
	if len(c.urls()) == 0 {
		return c, errors.New("loadtest: no URL")
	}
	if c.Clients <= 0 {
		c.Clients = 100
	}
	if c.Duration <= 0 {
		c.Duration = 5 * time.Second
	}
	if c.PayloadSize <= 0 {
		c.PayloadSize = 32
	}
	c.PayloadSize = max(c.PayloadSize, minPayload)
	if c.Transport == "" {
		c.Transport = "websockets"
	}
	if c.Protocol == "" {
		c.Protocol = "json"
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 256
	}
	if c.GroupSize <= 0 {
		c.GroupSize = 10
	}
	if c.Senders <= 0 {
		c.Senders = 1
	}
	if c.InFlight <= 0 {
		c.InFlight = 1
	}
	if c.Drain <= 0 {
		c.Drain = 5 * time.Second
	}
	switch {
	case c.Clients > maxClients:
		return c, fmt.Errorf("loadtest: at most %d clients", maxClients)
	case c.Duration > maxDuration:
		return c, fmt.Errorf("loadtest: at most %v", maxDuration)
	case c.Senders > c.Clients:
		return c, errors.New("loadtest: more senders than clients")
	case c.Rate < 0:
		return c, errors.New("loadtest: negative rate")
	}
	if _, err := c.transport(); err != nil {
		return c, err
	}
	if _, err := c.protocol(); err != nil {
		return c, err
	}
	if c.Raw && c.Transport != "websockets" {
		return c, errors.New("loadtest: raw connections use WebSockets only")
	}
	if c.SkipNegotiation && (c.Bare || c.Transport != "websockets") {
		return c, errors.New("loadtest: skipping negotiation takes SignalR over WebSockets")
	}
	if c.Bare && (c.Raw || c.Transport != "websockets") {
		return c, errors.New("loadtest: bare connections are WebSockets without SignalR: not raw, no other transport")
	}
	return c, nil
}

// urls returns the hub URLs of URL.
func (c Config) urls() []string {
	var us []string
	for _, u := range strings.Split(c.URL, ",") {
		if u = strings.TrimSpace(u); u != "" {
			us = append(us, u)
		}
	}
	return us
}

func (c Config) transport() (client.TransportType, error) {
	switch strings.ToLower(c.Transport) {
	case "websockets", "ws":
		return client.WebSockets, nil
	case "sse", "serversentevents":
		return client.ServerSentEvents, nil
	case "longpolling", "lp":
		return client.LongPolling, nil
	}
	return 0, fmt.Errorf("loadtest: unknown transport %q (websockets, sse, longpolling)", c.Transport)
}

func (c Config) protocol() (protocol.HubProtocol, error) {
	switch strings.ToLower(c.Protocol) {
	case "json":
		return protocol.NewJSON(), nil
	case "messagepack", "msgpack":
		return protocol.NewMessagePack(), nil
	}
	return nil, fmt.Errorf("loadtest: unknown protocol %q (json, messagepack)", c.Protocol)
}
