#!/usr/bin/env bash
# Runs every test of the project: go vet, the Go tests with the race
# detector, each fuzz target for a bounded time, and the tests that drive the
# official SignalR clients from npm. Exits non-zero on any failure.
#
#   FUZZTIME=15s   how long each fuzz target runs (0 skips fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."

# sqlite3 lets a browser test age a message in the chat's database; the
# emoji font lets Chromium draw the reactions in the screenshots.
scripts/deps.sh chromium redis-server sqlite3 emoji-font

# The chat store's tests need PostgreSQL: use the one on 5432 if it runs,
# else start a throwaway cluster on a free port for this run.
if [ -z "${CHAT_TEST_POSTGRES:-}" ] && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  scripts/deps.sh postgresql
  pgbin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
  pgdir=$(mktemp -d /tmp/chat-pg.XXXXXX)
  pgport=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  # PostgreSQL refuses to run as root: the cluster belongs to "postgres".
  as_pg=(); [ "$(id -u)" -eq 0 ] && { chown postgres "$pgdir"; as_pg=(runuser -u postgres --); }
  echo "== starting a throwaway PostgreSQL on 127.0.0.1:$pgport"
  "${as_pg[@]}" "$pgbin/initdb" -D "$pgdir/data" -U postgres --auth=trust -E UTF8 >/dev/null
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $pgport -k $pgdir -c fsync=off" start >/dev/null
  trap '"${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null; rm -rf "$pgdir"' EXIT
  export CHAT_TEST_POSTGRES="postgres://postgres@127.0.0.1:$pgport/postgres?sslmode=disable"
fi

echo "== go vet"
go vet ./...

# staticcheck, pinned: a newer release may add checks, which is a change to
# make on purpose, not one that arrives by itself.
echo "== staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

echo "== go test -race"
go test -race -count=1 -timeout 20m ./...

fuzztime="${FUZZTIME:-15s}"

# fuzz_one fuzzes one target. Go 1.26's fuzzing coordinator can report
# "context deadline exceeded" when -fuzztime ends while a worker is
# mid-call (golang/go#75804, fixed in Go 1.27): no input failed and none
# is written. Such a run is tried once more; a run that found a failing
# input (Go writes it under testdata/fuzz/) always fails.
fuzz_one() {
  local dir=$1 target=$2 out
  for try in 1 2; do
    if out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$dir" 2>&1); then
      echo "$out" | tail -n 3
      return 0
    fi
    echo "$out"
    if grep -q 'Failing input written' <<<"$out" || ! grep -q 'context deadline exceeded' <<<"$out" || [ "$try" = 2 ]; then
      return 1
    fi
    echo "== fuzz $dir $target: the coordinator's deadline race (golang/go#75804), no failing input; once more"
  done
}
if [ "$fuzztime" != "0" ]; then
  # Every Fuzz function in the tree, found rather than listed, so a new
  # target cannot be forgotten.
  grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r file; do
    dir=$(dirname "$file")
    for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | cut -d' ' -f2); do
      echo "== fuzz $dir $target ($fuzztime)"
      fuzz_one "$dir" "$target"
    done
  done
fi

if compgen -G "interop/test/*.test.*" >/dev/null; then
  echo "== node --test (official clients)"
  go build -o bin/testserver ./cmd/testserver
  go build -o bin/chat ./cmd/chat
  (cd interop && node --test --test-concurrency=1 test/*.test.mjs)
fi
echo "== all tests passed"
