#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer (swiftc -sanitize=fuzzer) of every provider's
# verifier and parser (Ingest) and of the parsers of what clients and Kafka send (Bridge).
#
#   scripts/fuzz.sh                          # every target for 15 s (what scripts/test.sh runs)
#   scripts/fuzz.sh --seconds 600            # longer
#   scripts/fuzz.sh --seconds 60 generic plain   # some targets only
#   scripts/fuzz.sh --keep ...               # also add what the run found to the corpus
#
# Targets: Ingest's twilio vapi retell telnyx generic; the Bridge's plain (a /ws message),
# socketio (an Engine.IO/Socket.IO packet), position (a `since`), target (a request path
# and query), event (a record of the calls topic), json (any document, read by the
# services' JSON reader and by Foundation's JSONSerialization, which must agree but for
# the documented differences: WireFormats' JSONDifferential).
# The fuzzing build lives in .build-fuzz (every module instrumented, -DCALLBRIDGE_FUZZ
# swaps each executable's command for libFuzzer's main). Seeds are in Tests/Fuzz/corpus/<target>;
# a run reads them and writes what it finds to a scratch copy. A crash, trap, leak of
# time (10 s per input) or memory (2 GiB) fails the run; its input is kept in run/fuzz/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }
seconds=15
keep=0
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="${2:?--seconds needs a number}"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: --seconds takes a whole number, not '$seconds'" >&2; exit 2; }

ingest_targets=(twilio vapi retell telnyx generic)
bridge_targets=(plain socketio position target event json)
[ ${#targets[@]} -gt 0 ] || targets=("${ingest_targets[@]}" "${bridge_targets[@]}")

scratch="$root/.build-fuzz"
flags=(--scratch-path "$scratch" -Xswiftc -sanitize=fuzzer -Xswiftc -DCALLBRIDGE_FUZZ)
for product in Ingest Bridge; do
  echo "[fuzz] building $product with libFuzzer (scratch path .build-fuzz)" >&2
  swift build "${flags[@]}" --product "$product" >&2
done
bin="$(swift build "${flags[@]}" --show-bin-path)"

out="$root/run/fuzz"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
failed=()
passed=0
for target in "${targets[@]}"; do
  case " ${ingest_targets[*]} " in
    *" $target "*) binary="$bin/Ingest" ;;
    *) case " ${bridge_targets[*]} " in
         *" $target "*) binary="$bin/Bridge" ;;
         *) echo "fuzz.sh: unknown target '$target' (see --help)" >&2; exit 2 ;;
       esac ;;
  esac
  corpus="$root/Tests/Fuzz/corpus/$target"
  mkdir -p "$work/$target" "$corpus"
  log="$work/$target.log"
  echo "[fuzz] $target: ${seconds} s" >&2
  if CALLBRIDGE_FUZZ_TARGET="$target" SWIFT_BACKTRACE=enable=no "$binary" \
       -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$out/$target-" "$work/$target" "$corpus" >"$log" 2>&1; then
    passed=$((passed + 1))
    runs="$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')"
    cov="$(grep -E '^#[0-9]+' "$log" | tail -n1 | grep -oE 'cov: [0-9]+' || true)"
    echo "[fuzz] $target: ${runs:-?} inputs, ${cov:-cov: ?}, $(ls "$work/$target" | wc -l) new corpus entries" >&2
    if [ "$keep" = 1 ]; then
      CALLBRIDGE_FUZZ_TARGET="$target" SWIFT_BACKTRACE=enable=no "$binary" -merge=1 "$corpus" "$work/$target" >/dev/null 2>&1
    fi
  else
    failed+=("$target")
    echo "[fuzz] $target FAILED: $(grep -m1 -E 'ERROR|Fatal error|deadly signal' "$log" || echo 'see the log')" >&2
    cp "$log" "$out/$target.log"
    tail -n 40 "$log" >&2
  fi
done

echo "fuzz: ${passed} passed, ${#failed[@]} failed${failed:+ (${failed[*]})}"
[ ${#failed[@]} -eq 0 ]
