#!/usr/bin/env bash
# Sign-in latency of a healthy person while attackers brute-force another
# account's password (cmd/chat-authbench), against a fresh chat server.
#
#   scripts/authbench.sh [chat-authbench flags]
#   CHAT_BIN=/path/to/older/chat scripts/authbench.sh   the same against another build
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/chat-authbench ./cmd/chat-authbench
bin=${CHAT_BIN:-}
if [ -z "$bin" ]; then
  go build -o bin/chat ./cmd/chat
  bin=bin/chat
fi
data=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
addr=127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" -addr "$addr" -data "$data" >"$data/chat.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$data/chat.log" && break; sleep 0.1; done
bin/chat-authbench -url "http://$addr" "$@"
