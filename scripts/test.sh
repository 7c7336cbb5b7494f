#!/usr/bin/env bash
# Sets up the machine (scripts/setup.sh) and runs every test:
#  1. the linters of the deployment files in deploy/ (scripts/lint-deploy.sh: hadolint,
#     yamllint, the Compose specification's schema, kubernetes-validate; a few seconds),
#     and of the Swift code's formatting (scripts/format.sh --check: swift-format with
#     .swift-format; a few seconds);
#  2. the Swift tests (unit tests of pure logic; Kafka client integration tests, each
#     starting its own embedded broker on a free port);
#  3. coverage-guided fuzzing of the providers' verifiers and parsers and of the Bridge's
#     parsers, 15 s a target (scripts/fuzz.sh; FUZZ_SECONDS to change, 0 to skip);
#  4. the system tests in Tests/Integration (pytest): real Ingest and Bridge processes,
#     a real broker, real HTTP/WebSocket clients and the providers' own SDKs, the fast
#     fault and attack scenarios of tools/reliability (scripts/reliability.sh runs them at
#     full size, with the soak and the connect storm), and the deployment files checked
#     against the binaries' --help.
#
#   scripts/test.sh                 # everything
#   scripts/test.sh --filter Kafka  # extra arguments go to `swift test` (system tests still run)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/scripts/setup.sh"
export TANSU_BIN="$root/.venv/bin/tansu"

echo "[test] deployment files (scripts/lint-deploy.sh)" >&2
"$root/scripts/lint-deploy.sh"

echo "[test] formatting (scripts/format.sh --check)" >&2
"$root/scripts/format.sh" --check

echo "[test] building (debug, with tests)" >&2
swift build --build-tests

echo "[test] swift test" >&2
swift test --skip-build "$@"

fuzz_seconds="${FUZZ_SECONDS:-15}"
if [ "$fuzz_seconds" != "0" ]; then
  echo "[test] fuzzing (scripts/fuzz.sh --seconds $fuzz_seconds)" >&2
  "$root/scripts/fuzz.sh" --seconds "$fuzz_seconds"
fi

echo "[test] system tests (pytest)" >&2
CALLBRIDGE_BIN="$(swift build --show-bin-path)" "$root/.venv/bin/python" -m pytest -q -p no:cacheprovider "$root/Tests/Integration"
