#!/usr/bin/env bash
# Runs every onmqtt test, the integration tests against real brokers
# included. It installs Mosquitto and nats-server with apt-get when they
# are missing and the script runs as root; the embedded broker needs
# nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin:/sbin"

missing=()
command -v mosquitto >/dev/null 2>&1 || missing+=(mosquitto)
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "missing broker binaries: run 'sudo apt-get install ${missing[*]}'," >&2
    echo "or set ONMQTT_REQUIRE_MOSQUITTO=0 to skip the tests that need them" >&2
  fi
fi
export ONMQTT_REQUIRE_MOSQUITTO="${ONMQTT_REQUIRE_MOSQUITTO:-1}"

go test -race -count=1 "$@" ./...
(cd bench && go test -race -count=1 -run . "$@" ./...)
