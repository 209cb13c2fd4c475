#!/usr/bin/env bash
# Runs every onmqtt test, the integration tests against real brokers
# included. It installs Mosquitto with apt-get when it is missing and the
# script runs as root; the embedded broker needs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin:/sbin"

if ! command -v mosquitto >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing mosquitto" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null
  else
    echo "mosquitto is not installed: run 'sudo apt-get install mosquitto'," >&2
    echo "or set ONMQTT_REQUIRE_MOSQUITTO=0 to skip the Mosquitto tests" >&2
  fi
fi
export ONMQTT_REQUIRE_MOSQUITTO="${ONMQTT_REQUIRE_MOSQUITTO:-1}"

go test -race -count=1 "$@" ./...
(cd bench && go test -race -count=1 -run . "$@" ./...)
