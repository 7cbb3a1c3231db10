#!/usr/bin/env bash
# Runs the chat as a cluster on this machine: NODES chat servers (default
# 3) on 127.0.0.1:PORT, PORT+1, ... (CHAT_PORT, default 8081) that act as
# one, sharing
#   - a Redis backplane: CHAT_REDIS, or a redis-server started here on a
#     free port (never 6379) and stopped with the cluster;
#   - a PostgreSQL database: CHAT_DB, or the database chat_cluster on
#     127.0.0.1:5432 (user postgres), created when missing;
#   - a data folder (signing key, shared files): CHAT_DATA, default
#     ./data-cluster.
# Open one server in one browser and another in a second browser, sign in
# as two people and talk. Ctrl-C stops everything this script started.
#
#   scripts/cluster.sh [NODES]
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=${1:-3}
port=${CHAT_PORT:-8081}
scripts/deps.sh redis-server
go build -o bin/chat ./cmd/chat

pids=()
stop() { [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null || true; }
trap stop EXIT
trap 'exit 130' INT TERM

# listening PORT waits until something accepts connections on the port.
listening() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "cluster.sh: nothing listens on port $1" >&2
  return 1
}

db=${CHAT_DB:-}
if [ -z "$db" ]; then
  admin='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
  if [ "$(psql "$admin" -tAc "SELECT 1 FROM pg_database WHERE datname = 'chat_cluster'")" != 1 ]; then
    psql "$admin" -qc 'CREATE DATABASE chat_cluster'
  fi
  db='postgres://postgres@127.0.0.1:5432/chat_cluster?sslmode=disable'
fi

redis=${CHAT_REDIS:-}
if [ -z "$redis" ]; then
  rport=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
  redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --loglevel warning &
  pids+=($!)
  listening "$rport"
  redis="redis://127.0.0.1:$rport"
fi

data=${CHAT_DATA:-./data-cluster}
for i in $(seq 0 $((nodes - 1))); do
  # One after the other: the first migrates the database and makes the
  # signing key, which the others then share.
  bin/chat -addr "127.0.0.1:$((port + i))" -data "$data" -db "$db" -redis "$redis" &
  pids+=($!)
  listening $((port + i))
done
echo "== chat cluster of $nodes servers (Redis $redis, database $db, data $data):"
for i in $(seq 0 $((nodes - 1))); do echo "   http://127.0.0.1:$((port + i))"; done
wait -n
