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
#   scripts/bench.sh            everything
#   BENCH_GO=0 scripts/bench.sh only the load scenarios
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
