#!/usr/bin/env bash
# Hot-path benchmarks (ordo-one/benchmark, Benchmarks/): each provider's webhook accepted by
# Ingest (signature check and body parsing), the call event encoded and decoded, the
# Bridge's plain and Socket.IO event frames, and an event applied to rooms with subscribers.
# Each run is checked against the p90 thresholds checked in under Benchmarks/Thresholds, with
# the margins of Benchmarks/HotPathBenchmarkSupport (allocations exact to half an allocation
# per operation, wall clock +50 %); see docs/benchmarks.md. Run it on a quiet machine:
# under load the wall clock of the longest samples grows by more than the margin.
#
#   scripts/bench-hotpaths.sh                    # run, check against the thresholds
#   scripts/bench-hotpaths.sh --update           # run, write the thresholds anew (review, commit)
#   scripts/bench-hotpaths.sh --target IngestBenchmarks --filter 'accept.*'
#                                                # other options go to `swift package benchmark`
#
# Release build in .build-bench-hotpaths (the benchmark targets exist only with
# CALLBRIDGE_BENCHMARKS set, which this script sets). Exit status: 0 within the thresholds
# (also when some got better: the message says so, --update records it), 1 a regression or a
# failure.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

operation=check
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --update) operation=update; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) extra+=("$1"); shift ;;
  esac
done

load="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)"
if awk -v load="$load" 'BEGIN { exit !(load > 1.0) }'; then
  echo "bench-hotpaths: warning: load average $load; wall-clock figures are only comparable on a quiet machine" >&2
fi

export CALLBRIDGE_BENCHMARKS=1
package=(swift package --scratch-path "$root/.build-bench-hotpaths")
thresholds=(--path "$root/Benchmarks/Thresholds" "${extra[@]}")

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if [ "$operation" = update ]; then
  "${package[@]}" --allow-writing-to-package-directory benchmark thresholds update "${thresholds[@]}" 2>&1 | tee "$log"
  # The plugin writes the others' thresholds and exits 0 when a benchmark failed.
  if grep -q 'benchmarks failed' "$log"; then
    echo "bench-hotpaths: FAILED: a benchmark did not run; fix it before recording thresholds" >&2
    exit 1
  fi
  echo "bench-hotpaths: thresholds written to Benchmarks/Thresholds; review the diff and commit it"
  exit 0
fi

if "${package[@]}" benchmark thresholds check "${thresholds[@]}" 2>&1 | tee "$log"; then
  # The plugin checks only the benchmarks it finds a threshold file for: each must have one.
  checked="$(grep -m1 '^Checking \[' "$log" | grep -oE '"[^"]+"' | tr -d '"' || true)"
  [ -n "$checked" ] || { echo "bench-hotpaths: FAILED: no benchmark was checked" >&2; exit 1; }
  missing=0
  for benchmark in $checked; do
    file="Benchmarks/Thresholds/${benchmark%%:*}.${benchmark#*:}.p90.json"
    [ -f "$file" ] || { echo "bench-hotpaths: FAILED: no thresholds for $benchmark ($file): run --update" >&2; missing=1; }
  done
  [ "$missing" = 0 ] || exit 1
  echo "bench-hotpaths: every benchmark within its thresholds"
elif grep -q 'benchmarkThresholdImprovement' "$log" && ! grep -q 'benchmarkThresholdRegression' "$log"; then
  echo "bench-hotpaths: within the thresholds, some better than them: scripts/bench-hotpaths.sh --update records it"
else
  echo "bench-hotpaths: FAILED (a regression past its threshold, or a benchmark that did not run)" >&2
  exit 1
fi
