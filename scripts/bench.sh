#!/usr/bin/env bash
# Measures the figures of BENCHMARKS.md: the go test benchmarks of the
# protocol, dispatch and fan-out, then each load scenario three times, each
# time against a fresh `signalr-load serve` (Go keeps memory it once used,
# so a server is never reused between runs), and prints the median of every
# figure. connect-10k, broadcast-1k-10hz, broadcast-1k-max and echo-50 are
# also run over bare WebSockets (-bare: the same server's /bare endpoint,
# no SignalR), and each of our medians is printed next to the bare one
# with the ratio ours/bare. Everything runs on 127.0.0.1 and stops by
# itself.
#
# Then broadcast to 1 000 clients spread over 1, 2 and 3 `serve -redis`
# processes sharing a redis-server of the script's own (a free port, never
# 6379), beside one server with the in-memory lifetime manager, all in
# this run: deliveries/s, p50/p99 latency (also per server: the senders'
# and the others, across Redis) and the CPU Redis and the servers used.
#
#   scripts/bench.sh                        everything
#   BENCH_GO=0 scripts/bench.sh             no go test benchmarks
#   BENCH_GO=0 BENCH_LOAD=0 scripts/bench.sh  only the Redis backplane
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_OUT:-bench-results}
mkdir -p "$out"
go build -o bin/signalr-load ./cmd/signalr-load

if [ "${BENCH_GO:-1}" != "0" ]; then
  echo "== go test -bench (protocol, dispatch, fan-out, transport)"
  go test -run '^$' -bench . -benchmem -count 3 ./protocol/ . ./transport/ | tee "$out/go-bench.txt" | grep -E '^Benchmark'
fi

# medians(FILE) is the median of every figure over the JSON lines of FILE.
medians='
  const medians = (file) => {
    const rows = require("fs").readFileSync(file, "utf8").split("\n").filter(Boolean).map(JSON.parse);
    if (rows.length === 0) return { runs: 0 };
    const med = (f) => { const v = rows.map(f).filter((x) => x !== undefined).sort((a, b) => a - b); return v[Math.floor(v.length / 2)]; };
    const r = {
      runs: rows.length,
      failures: Math.max(...rows.map((x) => x.connect_failures + x.errors + x.dropped)),
      delivery_ratio: med((x) => x.delivery_ratio),
      per_sec: med((x) => x.per_sec),
      p50_ms: med((x) => x.latency && x.latency.p50_ms),
      p99_ms: med((x) => x.latency && x.latency.p99_ms),
      connect_seconds: med((x) => x.connect_seconds),
      same_server_p50_ms: med((x) => x.latency_by_server && x.latency_by_server[0] && x.latency_by_server[0].p50_ms),
      other_servers_p50_ms: med((x) => x.latency_by_server && Math.max(...x.latency_by_server.slice(1).map((l) => l ? l.p50_ms : NaN))),
      redis_cpu_pct: med((x) => x.redis_cpu_pct),
      servers_cpu_pct: med((x) => x.servers_cpu_pct),
      server_bytes_per_conn: med((x) => x.server_memory && x.server_memory.bytes_per_conn_vs_baseline),
    };
    for (const k of Object.keys(r)) if (r[k] === undefined || Number.isNaN(r[k])) delete r[k];
    return r;
  };
'

# scenario NAME ARGS...: three runs, each against a fresh server; the JSON
# summary lines go to $out/NAME.jsonl.
scenario() {
  local name=$1; shift
  : > "$out/$name.jsonl"
  for run in 1 2 3; do
    # Port 0: the system picks a free port, which the server prints.
    bin/signalr-load serve -addr 127.0.0.1:0 -for 5m > "$out/serve.log" 2>&1 &
    local pid=$! url=""
    for _ in $(seq 50); do
      url=$(grep -o 'http://127.0.0.1:[0-9]*/hub' "$out/serve.log" | head -1) && break
      sleep 0.1
    done
    sleep 0.5 # let the new server settle before measuring it
    # A failed run is reported and left out of the medians; the rest of
    # the measurement goes on.
    if ! bin/signalr-load "$@" -url "$url" -pid "$pid" > "$out/run.json" 2> "$out/run.err"; then
      echo "$name run $run failed: $(tail -1 "$out/run.err")" >&2
    fi
    grep -h '^{' "$out/run.json" | tail -1 >> "$out/$name.jsonl" || true
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  done
  node -e "$medians"'
    console.log(process.argv[2].padEnd(28), JSON.stringify(medians(process.argv[1])));
  ' "$out/$name.jsonl" "$name"
}

# compare NAME BARE: our medians next to the bare WebSocket baseline's,
# measured in this run, and their ratio, always ours/bare: for per_sec
# higher is better (1 = as fast as bare WebSockets), for times, latencies
# and bytes lower is better (1 = as cheap as bare WebSockets).
compare() {
  node -e "$medians"'
    const ours = medians(process.argv[1]), bare = medians(process.argv[2]);
    const better = { per_sec: "higher is better" };
    const parts = [];
    const round = (x) => Number(x.toPrecision(4));
    // A delivery scenario connects too, but that is not what it measures.
    const keys = ours.per_sec === undefined ? ["connect_seconds", "server_bytes_per_conn"] : ["per_sec", "p50_ms", "p99_ms"];
    for (const k of keys) {
      if (ours[k] === undefined || bare[k] === undefined) continue;
      const ratio = bare[k] > 0 ? (ours[k] / bare[k]).toFixed(2) : "n/a";
      parts.push(`${k} ${round(ours[k])} vs ${round(bare[k])} = ${ratio}x (${better[k] || "lower is better"})`);
    }
    console.log(process.argv[3].padEnd(28), "ours vs bare, ratio ours/bare:", parts.join("; "));
  ' "$out/$1.jsonl" "$out/$2.jsonl" "$1"
}

if [ "${BENCH_LOAD:-1}" != "0" ]; then
echo "== load scenarios, median of 3 (JSON lines in $out/)"
# "raw" clients are light SignalR connections (negotiate, WebSocket,
# handshake, one read goroutine), the counterpart of the bare clients;
# the others use the full Go client of package client.
scenario connect-10k-json connect -clients 10000 -duration 3s
scenario connect-10k-raw-json connect -clients 10000 -duration 3s -raw
scenario connect-10k-raw-skipneg-json connect -clients 10000 -duration 3s -raw -skip-negotiation
scenario broadcast-1k-10hz-json broadcast -clients 1000 -rate 10 -duration 5s
scenario broadcast-1k-10hz-raw-json broadcast -clients 1000 -rate 10 -duration 5s -raw
scenario broadcast-1k-max-json broadcast -clients 1000 -rate 400 -duration 5s -raw
scenario broadcast-1k-max-msgpack broadcast -clients 1000 -rate 400 -duration 5s -raw -protocol messagepack
scenario echo-50-json echo -clients 50 -duration 5s
scenario echo-50-msgpack echo -clients 50 -duration 5s -protocol messagepack
scenario echo-50-raw-json echo -clients 50 -duration 5s -raw
scenario echo-50-raw-msgpack echo -clients 50 -duration 5s -raw -protocol messagepack

# The baseline: the same scenarios over bare WebSockets (gorilla, no
# SignalR) against the /bare endpoint of the same server binary.
scenario connect-10k-bare connect -clients 10000 -duration 3s -bare
scenario broadcast-1k-10hz-bare broadcast -clients 1000 -rate 10 -duration 5s -bare
scenario broadcast-1k-max-bare broadcast -clients 1000 -rate 400 -duration 5s -bare
scenario echo-50-bare echo -clients 50 -duration 5s -bare

echo "== against bare WebSockets measured in this run (ratio = ours/bare)"
compare connect-10k-json connect-10k-bare
compare connect-10k-raw-json connect-10k-bare
compare connect-10k-raw-skipneg-json connect-10k-bare
compare broadcast-1k-10hz-json broadcast-1k-10hz-bare
compare broadcast-1k-10hz-raw-json broadcast-1k-10hz-bare
compare broadcast-1k-max-json broadcast-1k-max-bare
compare broadcast-1k-max-msgpack broadcast-1k-max-bare
compare echo-50-json echo-50-bare
compare echo-50-msgpack echo-50-bare
compare echo-50-raw-json echo-50-bare
compare echo-50-raw-msgpack echo-50-bare
fi

# free_port prints a loopback port that is free now.
free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# cpu_ticks PID... prints the CPU time (user + system, in clock ticks) of
# the processes.
cpu_ticks() {
  local sum=0 pid
  for pid in "$@"; do
    sum=$((sum + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$sum"
}

# cluster NAME NODES ARGS...: three runs, each with a fresh redis-server
# and NODES fresh `serve -redis` processes, the connections spread over
# them; NODES=0 is one server with the in-memory lifetime manager. Each
# JSON line gets the CPU Redis and the servers used during the scenario,
# in % of one core.
cluster() {
  local name=$1 nodes=$2; shift 2
  : > "$out/$name.jsonl"
  for run in 1 2 3; do
    local rport rpid="" pids=() urls=() n url redis_args=()
    if [ "$nodes" -gt 0 ]; then
      rport=$(free_port)
      redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --loglevel warning > "$out/redis.log" 2>&1 &
      rpid=$!
      for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$rport") 2>/dev/null && break; sleep 0.1; done
      redis_args=(-redis "redis://127.0.0.1:$rport")
    fi
    for n in $(seq "$(( nodes > 0 ? nodes : 1 ))"); do
      bin/signalr-load serve -addr 127.0.0.1:0 -for 5m "${redis_args[@]}" > "$out/serve-$n.log" 2>&1 &
      pids+=($!)
    done
    for n in $(seq "${#pids[@]}"); do
      url=""
      for _ in $(seq 50); do
        url=$(grep -o 'http://127.0.0.1:[0-9]*/hub' "$out/serve-$n.log" | head -1) && break
        sleep 0.1
      done
      urls+=("$url")
    done
    sleep 0.5
    local t0 r0=0 s0 t1 r1=0 s1
    t0=$(date +%s%N); s0=$(cpu_ticks "${pids[@]}"); [ -n "$rpid" ] && r0=$(cpu_ticks "$rpid")
    if ! bin/signalr-load "$@" -url "$(IFS=,; echo "${urls[*]}")" > "$out/run.json" 2> "$out/run.err"; then
      echo "$name run $run failed: $(tail -1 "$out/run.err")" >&2
    fi
    t1=$(date +%s%N); s1=$(cpu_ticks "${pids[@]}"); [ -n "$rpid" ] && r1=$(cpu_ticks "$rpid")
    grep -h '^{' "$out/run.json" | tail -1 | node -e '
      const [ticks, ns, r, s] = process.argv.slice(1).map(Number);
      const line = JSON.parse(require("fs").readFileSync(0, "utf8"));
      const pct = (t) => Number((100 * t / ticks / (ns / 1e9)).toFixed(1));
      if (r >= 0) line.redis_cpu_pct = pct(r);
      line.servers_cpu_pct = pct(s);
      console.log(JSON.stringify(line));
    ' "$(getconf CLK_TCK)" "$((t1 - t0))" "$([ -n "$rpid" ] && echo $((r1 - r0)) || echo -1)" "$((s1 - s0))" >> "$out/$name.jsonl" || true
    kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null || true
    if [ -n "$rpid" ]; then kill -9 "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null || true; fi
  done
  node -e "$medians"'
    console.log(process.argv[2].padEnd(28), JSON.stringify(medians(process.argv[1])));
  ' "$out/$name.jsonl" "$name"
}

# ratio A B KEY: A's median of KEY divided by B's.
ratio() {
  node -e "$medians"'
    const a = medians(process.argv[1])[process.argv[3]], b = medians(process.argv[2])[process.argv[3]];
    console.log(`${process.argv[4].padEnd(28)} ${process.argv[3]} ${a} vs ${b}: ${(a / b).toFixed(2)}x`);
  ' "$out/$1.jsonl" "$out/$2.jsonl" "$3" "$1"
}

if [ "${BENCH_CLUSTER:-1}" != "0" ]; then
  scripts/deps.sh redis-server
  echo "== broadcast to 1 000 clients over the Redis backplane, median of 3 (JSON lines in $out/)"
  # -raw: the light clients of broadcast-1k-max above, so that the load
  # generator leaves the servers and Redis as much of the two cores as it can.
  for rate in max 10hz; do
    r=$([ "$rate" = max ] && echo 400 || echo 10)
    cluster "memory-1node-$rate" 0 broadcast -clients "${BENCH_CLUSTER_CLIENTS:-1000}" -rate "$r" -duration 5s -raw
    for nodes in 1 2 3; do
      cluster "redis-${nodes}node-$rate" "$nodes" broadcast -clients "${BENCH_CLUSTER_CLIENTS:-1000}" -rate "$r" -duration 5s -raw
    done
  done
  echo "== through Redis against one in-memory server, measured in this run"
  for nodes in 1 2 3; do ratio "redis-${nodes}node-max" memory-1node-max per_sec; done
  for nodes in 2 3; do
    node -e "$medians"'
      const c = medians(process.argv[1]), m = medians(process.argv[2]);
      console.log(`${process.argv[3].padEnd(28)} p50 at 10/s: other servers ${c.other_servers_p50_ms} ms, senders’ server ${c.same_server_p50_ms} ms, in-memory single server ${m.p50_ms} ms: +${(c.other_servers_p50_ms - m.p50_ms).toFixed(2)} ms`);
    ' "$out/redis-${nodes}node-10hz.jsonl" "$out/memory-1node-10hz.jsonl" "redis-${nodes}node-10hz"
  done
fi
