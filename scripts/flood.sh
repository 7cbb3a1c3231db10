#!/usr/bin/env bash
# Floods a fresh chat server (free loopback port, empty data folder) and
# prints the JSON summary.
#
#   scripts/flood.sh [CHAT_BINARY] [N] [extra chat flags...]
#
# FLOOD=sockets (the default): N WebSockets to /chatHub (the ASP.NET
# sample hub, which tells every connection about every arrival) that never
# read, while a healthy client times its invocations: the server's largest
# RSS and the healthy client's latency.
# FLOOD=keepalive: N idle keep-alive connections (each GETs / once) while
# a fresh client signs in again and again on new connections: how many
# sign-ins failed, how long they took, how many idle connections the
# server closed.
#
# CHAT_BINARY defaults to bin/chat (built from this tree), N to 10000.
# Both processes raise their open-file limit to the hard limit;
# SERVER_NOFILE=N lowers the server's (soft and hard) to N, to exhaust it
# with fewer connections than the load process may open.
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
( ulimit -n "${SERVER_NOFILE:-$(ulimit -Hn)}"; exec "$chat" -addr 127.0.0.1:0 -data "$data" "$@" ) >"$log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  addr=$(sed -n 's/^chat: listening on \(http:[^ ]*\)$/\1/p' "$log")
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { cat "$log" >&2; exit 1; }
( while kill -0 "$pid" 2>/dev/null; do grep -E '^(VmRSS|Threads)' /proc/$pid/status | tr '\n' ' '; echo; sleep 1; done ) > "${FLOOD_TRACE:-/dev/null}" 2>&1 &
if [ "${FLOOD:-sockets}" = keepalive ]; then
  bin/signalr-load keepalive -url "$addr/" -conns "$sockets" -hold "${FLOOD_HOLD:-10s}" \
    -probe-url "$addr/api/login" -probe-body '{"name":"newcomer","password":"pw"}'
  echo "server: $(grep -c "closed idle keep-alive" "$log" || true) shedding log lines, $(grep -c "too many open files" "$log" || true) accept errors (EMFILE)" >&2
else
  bin/signalr-load flood -url "$addr/chatHub" -sockets "$sockets" -pid "$pid" -hold "${FLOOD_HOLD:-10s}"
  echo "server shed events: $(grep -c "slowest consumers" "$log" || true)" >&2
fi
if [ -n "${FLOOD_LOG:-}" ]; then cp "$log" "$FLOOD_LOG"; fi
