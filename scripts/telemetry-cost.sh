#!/usr/bin/env bash
# Measures what the OpenTelemetry instrumentation costs (BENCHMARKS.md,
# "What the instrumentation costs"): one test binary, ROUNDS alternating
# rounds of the echo, broadcast and dispatch benchmarks and of the
# per-invocation benchmark, each with no provider ("off"), the metrics SDK
# ("metrics"), metrics plus traces sampled at 1 % by the tracer's sampler
# ("traces1%") and by Options.TraceFilter ("filter1%"); then
# benchstat compares each mode with "off", the same benchmarks in the same
# run. Run it on an otherwise idle machine: the echo varies by a third
# from one round to the next on a busy one.
#
#   ROUNDS=20 scripts/telemetry-cost.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-20}
out=${BENCH_OUT:-bench-results}/telemetry
mkdir -p "$out"
rm -f "$out"/*.txt
go test -c -o "$out/signalr.test" .
benchstat() { go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da "$@"; }

for i in $(seq "$rounds"); do
  echo "== round $i of $rounds"
  "$out/signalr.test" -test.run '^$' -test.benchmem -test.benchtime 20000x \
    -test.bench 'Telemetry/(WebSocketEcho|Broadcast)/(json|1000)/(off|metrics|traces1%|filter1%)$' >>"$out/raw.txt"
  "$out/signalr.test" -test.run '^$' -test.benchmem -test.benchtime 200000x \
    -test.bench 'Telemetry/DispatchRoundTrip/json/(off|metrics|traces1%|filter1%)$' >>"$out/raw.txt"
  for call in 'TelemetryCall' 'TelemetryCall/answer'; do
    "$out/signalr.test" -test.run '^$' -test.benchmem -test.benchtime 200000x \
      -test.bench "$call/(off|metrics|traces1%|filter1%)\$" >>"$out/raw.txt"
  done
done

# One file per mode, the mode taken out of the names, so that benchstat
# sets the modes side by side.
for mode in off metrics 'traces1%' 'filter1%'; do
  grep -E "^Benchmark.*/${mode}-[0-9]+ " "$out/raw.txt" | sed -E "s#/${mode}-([0-9]+) #-\\1 #" >"$out/$mode.txt"
done
cd "$out" && benchstat off.txt metrics.txt 'traces1%.txt' 'filter1%.txt'
