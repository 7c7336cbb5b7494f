#!/usr/bin/env bash
# Kafka client benchmark (issue 2): produce throughput (acks=all) and produce-to-consume
# latency at a fixed rate of the Swift wrapper (kafka-benchmark, Sources/KafkaBenchmark),
# next to the same figures from a plain librdkafka client (confluent-kafka,
# tools/bench/kafka_baseline.py), both against ONE embedded broker started here.
#
#   scripts/bench-kafka.sh                    # 3 rounds; 200,000 x 200 B; 1,000 msg/s for 10 s
#   scripts/bench-kafka.sh --rounds 1 --messages 500000 --duration 30
#
# --rounds N (default 3): each round runs both benchmarks, one after the other, and the
# one that goes first alternates (the broker keeps every record in memory, and the
# machine may be busy); the ratios use the median of each figure over the rounds.
# Each round also measures the Swift wrapper's send(contentsOf:) (batches of 100),
# throughput only, shown as an extra row (the targets apply to send(_:)).
# Passed to both benchmarks: --messages N, --message-size BYTES, --rate N,
# --duration SECONDS, --partitions N. Environment: SCRATCH (SwiftPM scratch path, default
# .build-bench), BENCH_OUT (folder for the JSON results, default run/bench),
# CALLBRIDGE_SKIP_SETUP=1 skips scripts/setup.sh.
#
# Targets: Swift throughput >= 70 % of the baseline's, Swift p50 latency <= 1.5 x the
# baseline's. Exit status 0 when both benchmarks ran (targets met or not), else non-zero.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

log() { printf '[bench] %s\n' "$*" >&2; }

bench_args=()
rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds)
      { [ $# -ge 2 ] && [ "$2" -ge 1 ] 2>/dev/null; } || { log "--rounds needs a positive number"; exit 2; }
      rounds="$2"; shift 2 ;;
    --messages|--message-size|--rate|--duration|--partitions)
      [ $# -ge 2 ] || { log "$1 needs a value"; exit 2; }
      bench_args+=("$1" "$2"); shift 2 ;;
    -h|--help)
      sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) log "unknown option $1 (see --help)"; exit 2 ;;
  esac
done

if [ "${CALLBRIDGE_SKIP_SETUP:-0}" != "1" ]; then
  "$root/scripts/setup.sh"
fi

scratch="${SCRATCH:-$root/.build-bench}"
log "building kafka-benchmark (release, scratch path $scratch)"
swift build -c release --product kafka-benchmark --scratch-path "$scratch"
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)"
# The project's broker launcher, built into the same scratch path if this checkout has it.
if swift build -c release --product callbridge-broker --scratch-path "$scratch" >/dev/null 2>&1; then
  launcher="$bin/callbridge-broker"
else
  launcher=""
  log "callbridge-broker did not build; kafka-benchmark will host the broker"
fi

out="${BENCH_OUT:-$root/run/bench}"
mkdir -p "$out"
ready="$out/broker.ready"
rm -f "$ready"

broker_pid=""
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$broker_pid" ] && kill -0 "$broker_pid" 2>/dev/null; then
    log "stopping the broker"
    kill -TERM "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
  fi
  rm -f "$ready"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

if [ -n "$launcher" ] && "$launcher" --help 2>&1 | grep -q -- '--ready-file'; then
  log "starting the broker (callbridge-broker)"
  "$launcher" --port 0 --tansu "$root/.venv/bin/tansu" --ready-file "$ready" --log-level warning &
else
  log "starting the broker (kafka-benchmark --serve-broker)"
  TANSU_BIN="$root/.venv/bin/tansu" "$bin/kafka-benchmark" --serve-broker --ready-file "$ready" &
fi
broker_pid=$!
for _ in $(seq 1 200); do
  [ -s "$ready" ] && break
  kill -0 "$broker_pid" 2>/dev/null || { log "the broker failed to start"; exit 1; }
  sleep 0.1
done
[ -s "$ready" ] || { log "the broker did not become ready within 20 s"; exit 1; }
brokers="$(head -n1 "$ready")"
log "broker ready on $brokers"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
results=()
batch_results=()
run_swift() {
  log "round $1/$rounds: Swift wrapper (kafka-benchmark)"
  "$bin/kafka-benchmark" --brokers "$brokers" --json ${bench_args[@]+"${bench_args[@]}"} >"$out/swift-$stamp-$1.json"
}
run_swift_batch() {
  log "round $1/$rounds: Swift wrapper, send(contentsOf:) in batches of 100 (throughput only)"
  "$bin/kafka-benchmark" --brokers "$brokers" --json --phase throughput --batch-size 100 \
    ${bench_args[@]+"${bench_args[@]}"} >"$out/swift-batch-$stamp-$1.json"
}
run_baseline() {
  log "round $1/$rounds: plain librdkafka (confluent-kafka)"
  "$root/.venv/bin/python" "$root/tools/bench/kafka_baseline.py" --brokers "$brokers" --json \
    ${bench_args[@]+"${bench_args[@]}"} >"$out/baseline-$stamp-$1.json"
}
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then
    run_swift "$round"; run_baseline "$round"; run_swift_batch "$round"
  else
    run_swift_batch "$round"; run_baseline "$round"; run_swift "$round"
  fi
  results+=("$out/swift-$stamp-$round.json" "$out/baseline-$stamp-$round.json")
  batch_results+=(--batch "$out/swift-batch-$stamp-$round.json")
done

"$root/.venv/bin/python" "$root/tools/bench/kafka_compare.py" \
  --swift-librdkafka "$(pkg-config --modversion rdkafka 2>/dev/null || echo '?')" "${batch_results[@]}" "${results[@]}"
log "results: $out/{swift,swift-batch,baseline}-$stamp-*.json"
