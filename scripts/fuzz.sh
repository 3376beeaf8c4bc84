#!/usr/bin/env bash
# Runs every committed fuzz target briefly (FUZZTIME, default 100000
# executions each: 4-10 s per target on a 2-core machine). A count, not a
# duration: with a duration, Go 1.26's fuzz coordinator can fail a target
# with a bare "context deadline exceeded" as the time runs out, without any
# failing input (golang/go#75804, fixed in Go 1.27); a count has no deadline.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${FUZZTIME:-100000x}
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "fuzz $pkg $target ($t)"
    go test "$pkg" -run='^$' -fuzz="^${target}\$" -fuzztime="$t"
  done
done
