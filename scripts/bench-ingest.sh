#!/usr/bin/env bash
# Ingest load benchmark (issue 3): signed webhooks over keep-alive HTTP/1.1 connections to
# ONE Ingest (release build) publishing to ONE embedded broker, both started here, then the
# raw produce rate of the same broker in the same run.
#
#   scripts/bench-ingest.sh                 # max throughput 15 s, 5,000/s for 20 s, raw produce
#   scripts/bench-ingest.sh --profile       # also: perf profile of Ingest under load, after the phases
#
# Phases (each request is a pre-signed `generic` webhook with its own callId):
#   1. max throughput: --connections N (128) connections, closed loop (each sends its next
#      request when the previous answer is in), --warmup S (3) then --duration S (15).
#   2. fixed rate: --rate R (5000) requests/s, open loop on --rate-connections N (64),
#      --warmup S then --rate-duration S (20); latency from each request's scheduled time.
#   3. raw produce rate of the same broker (Ingest idle): kafka-benchmark (window 20,000 and
#      window N, the phase-1 connection count) and tools/bench/kafka_baseline.py, 200,000
#      records of --message-size B (512, about one call event), throughput phase only.
# Options: --pool N (250,000) signed requests for phase 1 (cycled if more are sent),
# --healthz (also GET /healthz at max throughput: the HTTP server alone), --profile
# (needs perf: `apt-get install linux-perf`). Environment: SCRATCH (SwiftPM scratch path,
# default .build-bench-ingest), BENCH_OUT (results, default run/bench-ingest),
# CALLBRIDGE_SKIP_SETUP=1 skips scripts/setup.sh.
#
# Targets: >= 20,000 webhooks/s accepted (202 after Kafka's acknowledgement); p99 < 20 ms at
# 5,000/s. Exit status 0 when every phase ran (targets met or not), else non-zero.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bench_name=bench-ingest
# shellcheck source=lib/bench-common.sh
. "$root/scripts/lib/bench-common.sh"

connections=128
duration=15
warmup=3
rate=5000
rate_connections=64
rate_duration=20
pool=250000
message_size=512
profile=0
healthz=0
while [ $# -gt 0 ]; do
  case "$1" in
    --connections) need_number "$@"; connections="$2"; shift 2 ;;
    --duration) need_number "$@"; duration="$2"; shift 2 ;;
    --warmup) need_number "$@"; warmup="$2"; shift 2 ;;
    --rate) need_number "$@"; rate="$2"; shift 2 ;;
    --rate-connections) need_number "$@"; rate_connections="$2"; shift 2 ;;
    --rate-duration) need_number "$@"; rate_duration="$2"; shift 2 ;;
    --pool) need_number "$@"; pool="$2"; shift 2 ;;
    --message-size) need_number "$@"; message_size="$2"; shift 2 ;;
    --profile) profile=1; shift ;;
    --healthz) healthz=1; shift ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) log "unknown option $1 (see --help)"; exit 2 ;;
  esac
done

setup_unless_skipped
py="$root/.venv/bin/python"
if [ "$profile" = 1 ] && ! command -v perf >/dev/null; then
  log "--profile needs perf: apt-get install linux-perf"; exit 2
fi

# One build at a time, all into the same scratch path.
scratch="${SCRATCH:-$root/.build-bench-ingest}"
for product in Ingest callbridge-broker kafka-benchmark; do
  log "building $product (release, scratch path $scratch)"
  swift build -c release --product "$product" --scratch-path "$scratch"
done
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)"
compile_load_tool ingest_load

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="${BENCH_OUT:-$root/run/bench-ingest}/$stamp"
mkdir -p "$out"
ready="$out/broker.ready"

broker_pid=""
ingest_pid=""
cleanup() {
  trap - EXIT INT TERM
  stop_pid "$child_pid" "the running phase"
  stop_pid "$ingest_pid" "Ingest"
  stop_pid "$broker_pid" "the broker"
  rm -f "$ready" "$out"/pool-*.bin
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM


log "load before the run: $(uptime)"

log "starting the broker (callbridge-broker)"
start_broker "$bin/callbridge-broker" "$root/.venv/bin/tansu" "$out/broker.log"
log "broker ready on $brokers (tansu pid ${tansu_pid:-?})"

# Ingest as the integration tests start it (Tests/Integration/harness.py, conftest.py): the
# same test-only secrets, inherited *_SECRET/*_TOKEN/*_KEY variables removed; LOG_LEVEL
# warning (the tests use debug, which logs every accepted webhook); PUBLISH_TIMEOUT_MS default.
port="$(free_port)"
export GENERIC_WEBHOOK_SECRET="generic-test-secret-xyz"
ingest_env=(TWILIO_AUTH_TOKEN=twilio-test-auth-token-0123456789 VAPI_SECRET=vapi-test-secret-abcdef
            RETELL_API_KEY=key_retell_test_0123 GENERIC_WEBHOOK_SECRET="$GENERIC_WEBHOOK_SECRET"
            CALLER_HASH_KEY=caller-hash-test-key PUBLIC_BASE_URL=https://hooks.example.com
            PORT="$port" KAFKA_BROKERS="$brokers" LOG_LEVEL=warning)
unset_env=(-u PUBLISH_TIMEOUT_MS)
for name in $(compgen -e); do
  case "$name" in *_SECRET|*_TOKEN|*_KEY) unset_env+=(-u "$name") ;; esac
done
log "starting Ingest on 127.0.0.1:$port"
env "${unset_env[@]}" "${ingest_env[@]}" "$bin/Ingest" >"$out/ingest.log" 2>&1 &
ingest_pid=$!
ready_url="http://127.0.0.1:$port/readyz"
for _ in $(seq 1 300); do
  kill -0 "$ingest_pid" 2>/dev/null || { log "Ingest exited:"; cat "$out/ingest.log" >&2; exit 1; }
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$ready_url" || true)" = "200" ] && break
  sleep 0.1
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$ready_url" || true)" = "200" ] || { log "Ingest not ready within 30 s"; exit 1; }
log "Ingest ready (pid $ingest_pid)"

watch=(--watch "ingest=$ingest_pid")
[ -n "$tansu_pid" ] && watch+=(--watch "tansu=$tansu_pid")
snapshot() { # CPU used so far by every process, and Ingest's metrics
  "$py" "$root/tools/bench/ingest_report.py" procs >"$out/procs-$1.json"
  curl -s "http://127.0.0.1:$port/metrics" >"$out/metrics-$1.txt" || true
}
make_pool() { # file count tag [kind]
  "$py" "$root/tools/bench/ingest_requests.py" --out "$1" --count "$2" --port "$port" --tag "$stamp-$3" --kind "${4:-generic}"
}

log "phase 1/3: max throughput, $connections connections, closed loop, ${warmup} s warm-up + ${duration} s"
make_pool "$out/pool-max.bin" "$pool" max
snapshot max-before
run "$loadgen" --port "$port" --requests "$out/pool-max.bin" --connections "$connections" \
  --warmup "$warmup" --duration "$duration" --label max-throughput "${watch[@]}" >"$out/max.json"
snapshot max-after
rm -f "$out/pool-max.bin"

log "phase 2/3: fixed rate $rate/s, $rate_connections connections, open loop, ${warmup} s warm-up + ${rate_duration} s"
rate_pool="$("$py" -c "import math; print(math.ceil($rate * ($warmup + $rate_duration)) + 1000)")"
make_pool "$out/pool-rate.bin" "$rate_pool" rate
snapshot rate-before
run "$loadgen" --port "$port" --requests "$out/pool-rate.bin" --connections "$rate_connections" --rate "$rate" \
  --warmup "$warmup" --duration "$rate_duration" --label fixed-rate --trace "$out/rate-trace.csv" "${watch[@]}" \
  >"$out/rate.json"
snapshot rate-after
rm -f "$out/pool-rate.bin"

log "phase 3/3: raw produce rate of the same broker ($message_size B records)"
run "$bin/kafka-benchmark" --brokers "$brokers" --phase throughput --message-size "$message_size" --json \
  >"$out/produce-swift.json"
run "$bin/kafka-benchmark" --brokers "$brokers" --phase throughput --message-size "$message_size" \
  --window "$connections" --json >"$out/produce-swift-window.json"
run "$py" "$root/tools/bench/kafka_baseline.py" --brokers "$brokers" --phase throughput \
  --message-size "$message_size" --json >"$out/produce-baseline.json"

extra=()
if [ "$healthz" = 1 ]; then
  log "diagnostic: GET /healthz at max throughput ($connections connections, ${duration} s)"
  make_pool "$out/pool-healthz.bin" 1000 healthz healthz
  snapshot healthz-before
  run "$loadgen" --port "$port" --requests "$out/pool-healthz.bin" --connections "$connections" \
    --warmup "$warmup" --duration "$duration" --expect 200 --label healthz "${watch[@]}" >"$out/healthz.json"
  snapshot healthz-after
  extra+=(--healthz "$out/healthz.json")
fi

log "load after the run: $(uptime)"
log "checking that every 202 is on calls.lifecycle.v1 (reading the topic)"
run "$py" "$root/tools/bench/ingest_report.py" count --brokers "$brokers" --topic calls.lifecycle.v1 \
  --prefix "bench-$stamp-max-" --prefix "bench-$stamp-rate-" >"$out/records.json"
procs=("$out/procs-max-before.json" "$out/procs-max-after.json" "$out/procs-rate-before.json" "$out/procs-rate-after.json")
[ "$healthz" = 1 ] && procs+=("$out/procs-healthz-before.json" "$out/procs-healthz-after.json")
"$py" "$root/tools/bench/ingest_report.py" summary --max "$out/max.json" --rate "$out/rate.json" \
  --swift "$out/produce-swift.json" --swift-window "$out/produce-swift-window.json" \
  --baseline "$out/produce-baseline.json" --records "$out/records.json" \
  --record-prefixes "bench-$stamp-max-" "bench-$stamp-rate-" --procs "${procs[@]}" \
  --metrics "$out/metrics-max-before.txt" "$out/metrics-max-after.txt" \
            "$out/metrics-rate-before.txt" "$out/metrics-rate-after.txt" --trace "$out/rate-trace.csv" \
  --ours "$ingest_pid" "$broker_pid" ${tansu_pid:+"$tansu_pid"} \
  ${extra[@]+"${extra[@]}"} --out "$out/summary.json" | tee "$out/summary.md"

if [ "$profile" = 1 ]; then
  # After the measured phases, so that perf's own cost does not touch the figures above.
  log "profile: perf record (dwarf call graphs, 499 Hz) of Ingest for 6 s at max throughput"
  make_pool "$out/pool-profile.bin" "$pool" profile
  "$loadgen" --port "$port" --requests "$out/pool-profile.bin" --connections "$connections" \
    --warmup 2 --duration 8 --label profile "${watch[@]}" >"$out/profile-load.json" 2>/dev/null &
  child_pid=$!
  sleep 2
  perf record -F 499 --call-graph dwarf,16384 -p "$ingest_pid" -o "$out/perf.data" -- sleep 6 2>"$out/perf.log" >/dev/null
  wait "$child_pid" || true
  child_pid=""
  rm -f "$out/pool-profile.bin"
  perf script -F comm,tid,ip,sym,dso -i "$out/perf.data" 2>/dev/null | swift demangle --simplified \
    | "$py" "$root/tools/bench/ingest_profile.py" --top 15 | tee "$out/profile.txt"
fi
log "results: $out"
