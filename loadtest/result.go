package loadtest

// Result is the summary of one run, printed as one JSON line.
type Result struct {
	Scenario  string `json:"scenario"`
	URL       string `json:"url"`
	Transport string `json:"transport"`
	Protocol  string `json:"protocol"`
	Raw       bool   `json:"raw"`
	Bare      bool   `json:"bare"`
	// SkipNegotiation: the clients opened their WebSockets without
	// negotiating.
	SkipNegotiation bool    `json:"skip_negotiation,omitempty"`
	Clients         int     `json:"clients"`
	Rate            float64 `json:"rate,omitempty"`
	Payload         int     `json:"payload_bytes"`

	// Connected is how many connections opened; ConnectFailures how many
	// did not; Dropped how many ended before the run did.
	Connected       int     `json:"connected"`
	ConnectFailures int     `json:"connect_failures"`
	Dropped         int64   `json:"dropped"`
	ConnectSeconds  float64 `json:"connect_seconds"`
	ConnectPerSec   float64 `json:"connects_per_sec"`

	// Seconds is the measured window: sending plus draining.
	Seconds float64 `json:"seconds,omitempty"`
	// Sent counts messages sent (broadcast, group) or invocations started
	// (echo); Expected the deliveries or completions they should produce;
	// Received those that arrived; Errors the sends or invocations that
	// failed.
	Sent          int64    `json:"sent,omitempty"`
	Expected      int64    `json:"expected,omitempty"`
	Received      int64    `json:"received,omitempty"`
	Errors        int64    `json:"errors"`
	DeliveryRatio float64  `json:"delivery_ratio,omitempty"`
	PerSecond     float64  `json:"per_sec,omitempty"`
	Latency       *Latency `json:"latency,omitempty"`
	// LatencyByServer splits Latency by the server of the recipient when
	// the run spread its connections over several (Config.URL): the
	// first is the senders' server, the others are across a backplane.
	LatencyByServer []*Latency `json:"latency_by_server,omitempty"`

	Server *ServerMemory `json:"server_memory,omitempty"`
	Load   LoadCost      `json:"load_side"`
}

// ServerMemory is the server's resident memory around the connect phase.
type ServerMemory struct {
	PID int `json:"pid"`
	// RSSStart is read when the run starts, RSSBaseline right before the
	// bulk of the connections opens (after a few warm-up connections),
	// RSSAfter once they are all open and the hold time has passed.
	RSSStart    int64 `json:"rss_start_bytes"`
	RSSBaseline int64 `json:"rss_baseline_bytes"`
	RSSAfter    int64 `json:"rss_after_bytes"`
	// PerConn divides the growth since the start, PerConnBaseline the
	// growth since the baseline, by the connections open.
	PerConn         int64 `json:"bytes_per_conn"`
	PerConnBaseline int64 `json:"bytes_per_conn_vs_baseline"`
}

// LoadCost is what the connections cost the load generator itself.
type LoadCost struct {
	Goroutines     int     `json:"goroutines"`
	HeapPerConn    int64   `json:"heap_bytes_per_conn"`
	StackPerConn   int64   `json:"stack_bytes_per_conn"`
	GoroutinesConn float64 `json:"goroutines_per_conn"`
}
