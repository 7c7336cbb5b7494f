#!/usr/bin/env bash
# The fault, bad-input and load scenarios of tools/reliability at full size, each a program
# that starts its own broker, Ingest and Bridge processes on loopback, injects its fault,
# checks its invariants and prints its figures (the README's test command runs the fast ones
# with --quick). Figures belong in docs/reliability.md, with the date and the CPU.
#
#   scripts/reliability.sh                  # the fast scenarios at full size (about 5 minutes)
#   scripts/reliability.sh --long           # and the soak (30 min) and the connect storm
#   scripts/reliability.sh soak --minutes 5 # one scenario, with its own options (NAME --help)
#   scripts/reliability.sh --release ...    # against release builds (as deployed) instead of debug
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

fast=(ingest_kill broker_freeze broker_restart bridge_failover stuck_subscribers malformed_input)
long=(soak connect_storm)
case "${1:-}" in
  -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
configuration=debug
if [ "${1:-}" = "--release" ]; then configuration=release; shift; fi

"$root/scripts/setup.sh"
export TANSU_BIN="$root/.venv/bin/tansu"
echo "[reliability] building ($configuration)" >&2
swift build -c "$configuration" >&2
export CALLBRIDGE_BIN="$(swift build -c "$configuration" --show-bin-path)"
python="$root/.venv/bin/python"

if [ $# -gt 0 ] && [ "$1" != "--long" ]; then
  scenario="$1"; shift
  exec "$python" "$root/tools/reliability/$scenario.py" "$@"
fi
scenarios=("${fast[@]}")
[ "${1:-}" = "--long" ] && scenarios+=("${long[@]}")
passed=0
failed=()
for scenario in "${scenarios[@]}"; do
  echo "[reliability] $scenario" >&2
  if "$python" "$root/tools/reliability/$scenario.py"; then passed=$((passed + 1)); else failed+=("$scenario"); fi
done
echo "reliability: ${passed} passed, ${#failed[@]} failed${failed:+ (${failed[*]})}"
[ ${#failed[@]} -eq 0 ]
