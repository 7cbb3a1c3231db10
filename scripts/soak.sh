#!/usr/bin/env bash
# A bounded soak of the chat: a fresh `chat` server (SQLite in a temporary
# folder, profiling endpoint on) under cmd/chat-soak for SOAK_TIME
# (default 10m): people connecting, talking, dropping and reconnecting,
# slow consumers and malformed input. It prints RSS, goroutines and file
# descriptors over time and fails if any keeps growing or a message is
# lost. Not part of `make test`; its last result is in BENCHMARKS.md.
#
#   scripts/soak.sh                 10 minutes
#   SOAK_TIME=3m scripts/soak.sh    shorter
#   SOAK_DB=postgres://... scripts/soak.sh   against PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/.."
time=${SOAK_TIME:-10m}
go build -o bin/chat ./cmd/chat
go build -o bin/chat-soak ./cmd/chat-soak
data=$(mktemp -d)
log="$data/chat.log"
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT

# Free loopback ports: the kernel picks them.
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
addr=127.0.0.1:$(port)
debug=127.0.0.1:$(port)
args=(-addr "$addr" -data "$data" -debug-addr "$debug")
[ -n "${SOAK_DB:-}" ] && args+=(-db "$SOAK_DB")
bin/chat "${args[@]}" >"$log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  grep -q "listening on" "$log" && break
  sleep 0.1
done
grep -q "listening on" "$log" || { cat "$log"; exit 1; }
echo "soak: chat pid $pid on $addr (profiles on $debug) for $time ($(git rev-parse --short HEAD))"
bin/chat-soak -url "http://$addr" -debug "http://$debug" -pid "$pid" -duration "$time" ${SOAK_ARGS:-}
