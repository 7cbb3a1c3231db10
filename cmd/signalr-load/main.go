// Command signalr-load serves a benchmark hub and puts SignalR servers
// under load.
//
//	signalr-load serve [-addr 127.0.0.1:5000] [-for 30m] [-redis redis://host:port]
//	signalr-load connect   -url URL [-clients N] [-rate R] [-duration D] [-pid PID] [-raw|-bare]
//	signalr-load broadcast -url URL [-clients N] [-rate R] [-duration D] [-size B] [-raw|-bare]
//	signalr-load group     -url URL [-clients N] [-group-size G] [-rate R] [-duration D]
//	signalr-load echo      -url URL [-clients N] [-inflight K] [-duration D] [-raw|-bare]
//	signalr-load flood     -url URL [-sockets N] [-hold D] [-pid PID]
//	signalr-load keepalive -url URL [-conns N] [-hold D] [-probe-url URL] [-probe-body JSON]
//
// Common flags: -transport websockets|sse|longpolling, -protocol
// json|messagepack, -raw (light WebSocket connections instead of the full
// Go client), -bare (the baseline: plain WebSockets to /bare on the URL's
// host, no SignalR). "serve" hosts the hub at /hub with the library's
// default options, and the bare WebSocket endpoint at /bare (gorilla
// WebSockets, a message starting with 'E' echoed, one starting with 'B'
// sent to every bare connection), and prints the hub's URL; with -redis,
// several serve processes share the Redis backplane as one hub. "flood"
// opens N WebSockets that never read while one healthy client times its
// invocations (defaults for the ASP.NET sample chat hub at /chatHub);
// "keepalive" opens N idle keep-alive connections while a fresh client
// times requests on new connections. A scenario's -url may list several
// hub URLs separated by commas: the connections are spread over them in
// turn (the senders on the first). A scenario prints a progress line every
// second when stdout is a terminal, and one JSON summary line at the end.
// Every run is bounded: -clients ≤ 25 000, -duration ≤ 1 h, and serve
// stops after -for.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/internal/telemetry"
	"github.com/signalr-go/signalr/loadtest"
	"github.com/signalr-go/signalr/redis"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "signalr-load:", err)
		os.Exit(1)
	}
}

const usage = `usage: signalr-load serve|connect|broadcast|group|echo|flood|keepalive [flags]
run "signalr-load COMMAND -h" for the flags of a command`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd, args := args[0], args[1:]
	if _, err := loadtest.RaiseFileLimit(); err != nil {
		fmt.Fprintln(stderr, "signalr-load: warning:", err)
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, stderr)
	case "flood":
		return flood(ctx, args, stdout, stderr)
	case "keepalive":
		return keepAlive(ctx, args, stdout, stderr)
	case loadtest.ScenarioConnect, loadtest.ScenarioBroadcast, loadtest.ScenarioGroup, loadtest.ScenarioEcho:
		return scenario(ctx, cmd, args, stdout, stderr)
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

// serve hosts the benchmark hub until interrupted or -for has passed.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:5000", "listen address")
	limit := fs.Duration("for", 30*time.Minute, "stop after this long")
	verbose := fs.Bool("v", false, "log the library's diagnostics")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole serve run to this file")
	redisURL := fs.String("redis", "", "Redis `URL` of a backplane shared with other serve processes (redis://host:port)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	tel, err := telemetry.Setup(ctx, "signalr-load")
	if err != nil {
		return err
	}
	defer tel.Shutdown(context.WithoutCancel(ctx))
	opts := signalr.Options{Logger: logger}
	if *redisURL != "" {
		bp, err := openBackplane(ctx, *redisURL, logger)
		if err != nil {
			return err
		}
		defer bp.Close() // after the hub's shutdown
		opts.LifetimeManager = bp.Hub(loadtest.HubName, nil)
	}
	var started atomic.Pointer[loadtest.Server] // ready once set, until it drains
	wrap := func(h http.Handler) http.Handler {
		return telemetry.Handler(h, tel, func() bool { s := started.Load(); return s != nil && !s.Draining() })
	}
	srv, err := loadtest.ServeWith(*addr, opts, wrap)
	if err != nil {
		return err
	}
	started.Store(srv)
	fmt.Fprintf(stdout, "listening on %s (pid %d), bare WebSockets on %s\n", srv.URL, os.Getpid(), srv.BareURL)
	ctx, cancel := context.WithTimeout(ctx, *limit)
	defer cancel()
	<-ctx.Done()
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	return srv.Close(sctx)
}

// openBackplane connects to the Redis of a -redis URL.
func openBackplane(ctx context.Context, url string, logger *slog.Logger) (*redis.Backplane, error) {
	bp, err := redis.OpenURL(ctx, url, logger)
	if err != nil {
		return nil, fmt.Errorf("-redis: %w", err)
	}
	return bp, nil
}

// scenario runs one load scenario and prints its summary.
func scenario(ctx context.Context, name string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loadtest.Config
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:5000/hub", "hub URL, or several separated by commas (connections spread over them in turn)")
	fs.IntVar(&cfg.Clients, "clients", 100, "connections (at most 25 000)")
	fs.Float64Var(&cfg.Rate, "rate", 0, "connect: connections/s; broadcast, group: messages/s (default 10); echo: invocations/s (0: closed loop)")
	fs.DurationVar(&cfg.Duration, "duration", 5*time.Second, "how long to send (connect: to hold the connections); at most 1h")
	fs.IntVar(&cfg.PayloadSize, "size", 32, "payload bytes (at least 16, the timestamp)")
	fs.StringVar(&cfg.Transport, "transport", "websockets", "websockets, sse or longpolling")
	fs.StringVar(&cfg.Protocol, "protocol", "json", "json or messagepack")
	fs.BoolVar(&cfg.Raw, "raw", false, "light raw WebSocket connections (negotiate, WebSocket, handshake) instead of the Go client")
	fs.BoolVar(&cfg.SkipNegotiation, "skip-negotiation", false, "open WebSockets without negotiating, like the official clients' skipNegotiation")
	fs.BoolVar(&cfg.Bare, "bare", false, "the baseline: bare WebSockets to /bare on the URL's host (no SignalR); connect, broadcast, echo")
	fs.IntVar(&cfg.Concurrency, "concurrency", 256, "connection attempts in flight")
	fs.IntVar(&cfg.GroupSize, "group-size", 10, "group: members per group")
	fs.IntVar(&cfg.Senders, "senders", 1, "broadcast, group: sending clients")
	fs.IntVar(&cfg.InFlight, "inflight", 1, "echo: invocations outstanding per client")
	fs.DurationVar(&cfg.Drain, "drain", 5*time.Second, "wait at most this long for deliveries after sending")
	fs.IntVar(&cfg.PID, "pid", 0, "connect: server process whose memory per connection to report")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the load side to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	if isTerminal(stdout) {
		cfg.Progress = func(line string) { fmt.Fprintf(stdout, "\r\033[K%s", line) }
	}
	res, err := loadtest.Run(ctx, name, cfg)
	if cfg.Progress != nil {
		fmt.Fprintln(stdout)
	}
	return printResult(stdout, res, err)
}

// flood runs the flood scenario and prints its summary.
func flood(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("flood", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loadtest.FloodConfig
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080/chatHub", "hub URL")
	fs.IntVar(&cfg.Sockets, "sockets", 1000, "non-reading WebSockets (at most 25 000)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 64, "connection attempts in flight")
	fs.DurationVar(&cfg.Hold, "hold", 10*time.Second, "how long to keep the flood open once complete")
	fs.DurationVar(&cfg.ProbeInterval, "probe-interval", 20*time.Millisecond, "how often the healthy client invokes")
	fs.StringVar(&cfg.ProbeMethod, "probe-method", "GetConnectionInfo", "hub method the healthy client invokes")
	fs.StringVar(&cfg.ProbeReply, "probe-reply", "ReceiveConnectionInfo", "client method whose arrival answers the probe")
	fs.IntVar(&cfg.PID, "pid", 0, "server process whose memory to sample")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res, err := loadtest.Flood(ctx, cfg)
	return printResult(stdout, res, err)
}

// keepAlive runs the keep-alive flood and prints its summary.
func keepAlive(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keepalive", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loadtest.KeepAliveConfig
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080/", "what each idle connection GETs once")
	fs.IntVar(&cfg.Conns, "conns", 1000, "idle keep-alive connections (at most 25 000)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 64, "connection attempts in flight")
	fs.DurationVar(&cfg.Hold, "hold", 10*time.Second, "how long to keep them open once all are")
	fs.StringVar(&cfg.ProbeURL, "probe-url", "", "what the fresh client requests (default -url)")
	fs.StringVar(&cfg.ProbeBody, "probe-body", "", "JSON the fresh client POSTs (default: it GETs)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res, err := loadtest.KeepAlive(ctx, cfg)
	return printResult(stdout, res, err)
}

// isTerminal reports whether w is a character device, i.e. a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// startCPUProfile profiles the process into path until stop is called;
// with no path it does nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("creating the CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting the CPU profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// printResult prints a run's result, if it has one, as JSON, and returns
// the run's error joined with the printing's.
func printResult[T any](stdout io.Writer, res *T, err error) error {
	if res != nil {
		if jerr := json.NewEncoder(stdout).Encode(res); jerr != nil {
			err = errors.Join(err, jerr)
		}
	}
	return err
}
