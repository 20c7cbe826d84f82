#!/usr/bin/env bash
# Quick start 1: installs what is missing, builds, and runs the demo — an embedded broker, the
# sample camera published by a server, and a client calling it — printing every call.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh build -- vnir-demo
exec build/samples/vnir/vnir-demo "$@"
