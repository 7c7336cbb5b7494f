#!/usr/bin/env bash
# Sets up the machine (scripts/setup.sh) and runs every test:
#  1. the Swift tests (unit tests of pure logic; Kafka client integration tests, each
#     starting its own embedded broker on a free port);
#  2. the system tests in Tests/Integration (pytest): real Ingest and Bridge processes,
#     a real broker, real HTTP/WebSocket clients and the providers' own SDKs.
#
#   scripts/test.sh                 # everything
#   scripts/test.sh --filter Kafka  # extra arguments go to `swift test` (system tests still run)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/scripts/setup.sh"
export TANSU_BIN="$root/.venv/bin/tansu"

echo "[test] building (debug, with tests)" >&2
swift build --build-tests

echo "[test] swift test" >&2
swift test --skip-build "$@"

echo "[test] system tests (pytest)" >&2
CALLBRIDGE_BIN="$(swift build --show-bin-path)" "$root/.venv/bin/python" -m pytest -q -p no:cacheprovider "$root/Tests/Integration"
