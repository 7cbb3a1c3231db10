#!/usr/bin/env bash
# Runs every test of the project: go vet, the Go tests with the race
# detector, each fuzz target for a bounded time, and the tests that drive the
# official SignalR clients from npm. Exits non-zero on any failure.
#
#   FUZZTIME=15s   how long each fuzz target runs (0 skips fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -count=1 -timeout 20m ./...

fuzztime="${FUZZTIME:-15s}"
if [ "$fuzztime" != "0" ]; then
  # Every Fuzz function in the tree, found rather than listed, so a new
  # target cannot be forgotten.
  grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r file; do
    dir=$(dirname "$file")
    for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | cut -d' ' -f2); do
      echo "== fuzz $dir $target ($fuzztime)"
      go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$dir"
    done
  done
fi

if compgen -G "interop/test/*.test.*" >/dev/null; then
  echo "== node --test (official clients)"
  go build -o bin/testserver ./cmd/testserver
  (cd interop && node --test --test-concurrency=1 test/)
fi
echo "== all tests passed"
