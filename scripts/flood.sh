#!/usr/bin/env bash
# Floods the chat's /chatHub (the ASP.NET sample hub, which tells every
# connection about every arrival) with WebSockets that never read, while a
# healthy client times its invocations, and prints the JSON summary: the
# server's largest RSS and the healthy client's latency. Each run starts a
# fresh chat server on a free loopback port with an empty data folder.
#
#   scripts/flood.sh [CHAT_BINARY] [SOCKETS] [extra chat flags...]
#
# CHAT_BINARY defaults to bin/chat (built from this tree), SOCKETS to
# 10000. Both processes raise their open-file limit to the hard limit.
set -euo pipefail
cd "$(dirname "$0")/.."
chat=${1:-bin/chat}
sockets=${2:-10000}
shift $(( $# > 2 ? 2 : $# ))
if [ "$chat" = bin/chat ]; then go build -o bin/chat ./cmd/chat; fi
go build -o bin/signalr-load ./cmd/signalr-load
data=$(mktemp -d)
log=$(mktemp)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$data" "$log"' EXIT
ulimit -n "$(ulimit -Hn)"
"$chat" -addr 127.0.0.1:0 -data "$data" "$@" >"$log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  addr=$(sed -n 's/^chat: listening on \(http:[^ ]*\)$/\1/p' "$log")
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { cat "$log" >&2; exit 1; }
( while kill -0 "$pid" 2>/dev/null; do grep -E '^(VmRSS|Threads)' /proc/$pid/status | tr '\n' ' '; echo; sleep 1; done ) > "${FLOOD_TRACE:-/dev/null}" 2>&1 &
bin/signalr-load flood -url "$addr/chatHub" -sockets "$sockets" -pid "$pid" -hold "${FLOOD_HOLD:-10s}"
echo "server shed events: $(grep -c "slowest consumers" "$log" || true)" >&2
if [ -n "${FLOOD_LOG:-}" ]; then cp "$log" "$FLOOD_LOG"; fi
