#!/usr/bin/env bash
# The test command: installs the tools the end-to-end tests drive (openssl,
# the aws CLI, nats-server) when they are missing, then runs every test with
# the race detector and every fuzz target briefly.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v openssl >/dev/null || need+=(openssl)
command -v aws >/dev/null || need+=(awscli)
command -v nats-server >/dev/null || need+=(nats-server)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
  echo "gofmt needed:" $unformatted >&2
  exit 1
fi
go test -race -count=1 ./...
bash scripts/fuzz.sh
