#!/usr/bin/env bash
# Bridge fan-out benchmark (issue 4): WebSocket subscribers held by tools/bench/bridge_load.c
# while signed webhooks flow through ONE Ingest and ONE embedded broker (release builds, all
# started here), against the Bridge and, in the same run and on the same broker, against the
# Python team's choice: python-socketio (`socketio.Server`, gunicorn + gevent) scaled over
# --py-procs processes with its KafkaManager (tools/bench/socketio_kafka_server.py).
#
#   scripts/bench-bridge.sh                 # every phase, both servers (about 7 minutes)
#   scripts/bench-bridge.sh --profile       # also: perf profile of the Bridge at max throughput
#   scripts/bench-bridge.sh --only bridge   # skip the python-socketio phases (or: --only python)
#
# Phases, each against a freshly started broker, Ingest and server (one server runs at a time):
#   idle:    --idle-conns N (10,000) idle subscribers; RSS of the server before connecting and
#            once all are connected and settled; per connection = delta / N. Bridge: /ws and
#            Socket.IO; python: Socket.IO.
#   latency: --lat-admin A (10) admin + --lat-clients C (990) client subscribers over 50 client
#            rooms, --lat-rate R (1,000) webhooks/s, --warmup S (3) + --duration S (15):
#            end-to-end latency (webhook written -> frame read) p50/p90/p99/max of every frame.
#            Bridge: Socket.IO and /ws; python: Socket.IO.
#   max:     --max-admin N (2,000) admin subscribers; steps of --max-rates "R1 R2 ..." (250 500
#            750 1000) webhooks/s, i.e. N x R frames/s offered, --max-duration S (8) each after a
#            2 s warm-up, a fresh server per step, stopping after the first step that does not
#            deliver every frame; frames/s delivered in each window. The Bridge's figure is its
#            best step that delivered everything. Bridge: Socket.IO and /ws; python: Socket.IO,
#            same N, at the rate of the Bridge's best Socket.IO step.
#   transports: --transport-clients N (1,000) subscribers over 50 client rooms on Engine.IO
#            long-polling, then on Server-Sent Events (tools/bench/bridge_transports_load.py),
#            --transport-rate R (100) webhooks/s, --warmup S + --duration S: frames/s delivered
#            and end-to-end latency p50/p90/p99/max. Bridge only.
#   share:   the Bridge's own share of the latency (issue 11): at each of --share-rates "R1 ..."
#            (300 500 1000) webhooks/s, the latency phase's subscribers (Socket.IO) and, beside
#            the Bridge, a plain librdkafka consumer of the same topic; each frame's receive
#            time minus that consumer's time for the same event (matched by webhook), with both
#            end-to-end latencies of the same run (bridge_report.py share). A second plain
#            consumer gives the method's floor (what two plain consumers differ by), and two
#            scrapes of the Bridge's /metrics its own time per event (callbridge_bridge_fanout_seconds).
#            Bridge only.
#            With --sched-profile, then once more at the highest share rate with `perf sched
#            record -a` over 5 s of the window: how long each thread's wake-ups waited for a
#            core, per process and thread (bridge_report.py sched; the own share of that run,
#            taken under perf, is kept apart as sched-*-figures.json).
# Every load phase checks that each subscriber got every event of its room (202 from Ingest),
# waiting up to --drain S (20) after the window; CPU and RSS of every process over the window.
# Options: --only bridge|python, --phases "idle latency max transports share" (a subset; share is off by
# default: --phases "share" runs it alone), --share-rates "R1 ..." (300 500 1000), --py-procs N (2, one
# per core), --profile (perf record -g of a fresh Bridge for 6 s at the highest Socket.IO max
# step reached, after the measured phases; needs perf), --sched-profile (see share; needs perf), --partitions N (24: the topic Ingest
# creates; Tansu lists every stored batch of a partition on each fetch that has data, so more
# partitions keep fetches short; Ingest's own default is 6), --fetch-wait-ms N (the Bridge's
# --kafka-fetch-max-wait-ms; default: the Bridge's default), --probe (during each latency
# phase, also read the topic with a plain librdkafka consumer as a reference for the Kafka
# part of the path; it is a second consumer fetching from the same broker, so it is off by
# default). Environment: SCRATCH (SwiftPM scratch
# path, default .build-bench-bridge), BENCH_OUT (default run/bench-bridge),
# CALLBRIDGE_SKIP_SETUP=1 skips scripts/setup.sh, BRIDGE_BIN_DIR / INGEST_BIN_DIR use ready-built
# binaries (Bridge; Ingest and callbridge-broker) instead of building, TANSU_BIN (default
# .venv/bin/tansu).
#
# Targets (on this 2-core machine): >= 500,000 frames/s delivered; p99 end-to-end < 15 ms at
# 1,000 events/s with 1,000 subscribers; <= 10 KB per idle connection; >= 20x the python-socketio
# server's delivered rate (same protocol, same subscribers and rate, same run). Exit status 0
# when every phase ran (targets met or not), else non-zero.

set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bench_name=bench-bridge
# shellcheck source=lib/bench-common.sh
. "$root/scripts/lib/bench-common.sh"

idle_conns=10000
lat_admin=10
lat_clients=990
lat_rate=1000
max_admin=2000
max_rates="250 500 750 1000"
max_duration=8
warmup=3
duration=15
drain=20
py_procs=2
only=""
phases="idle latency max transports"
transport_clients=1000
transport_rate=100
share_rates="300 500 1000"
profile=0
sched_profile=0
probe=0
partitions=24
fetch_wait=""
while [ $# -gt 0 ]; do
  case "$1" in
    --idle-conns) need_number "$@"; idle_conns="$2"; shift 2 ;;
    --lat-admin) need_number "$@"; lat_admin="$2"; shift 2 ;;
    --lat-clients) need_number "$@"; lat_clients="$2"; shift 2 ;;
    --lat-rate) need_number "$@"; lat_rate="$2"; shift 2 ;;
    --max-admin) need_number "$@"; max_admin="$2"; shift 2 ;;
    --max-rates) [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+( [0-9]+)*$ ]] || { log "--max-rates needs numbers, e.g. \"250 500\""; exit 2; }; max_rates="$2"; shift 2 ;;
    --max-duration) need_number "$@"; max_duration="$2"; shift 2 ;;
    --warmup) need_number "$@"; warmup="$2"; shift 2 ;;
    --duration) need_number "$@"; duration="$2"; shift 2 ;;
    --drain) need_number "$@"; drain="$2"; shift 2 ;;
    --py-procs) need_number "$@"; py_procs="$2"; shift 2 ;;
    --only) [ $# -ge 2 ] && [[ "$2" =~ ^(bridge|python)$ ]] || { log "--only needs bridge or python"; exit 2; }; only="$2"; shift 2 ;;
    --phases) [ $# -ge 2 ] && [[ "$2" =~ ^(idle|latency|max|transports|share)( (idle|latency|max|transports|share))*$ ]] || { log "--phases needs idle, latency, max, transports and/or share"; exit 2; }; phases="$2"; shift 2 ;;
    --share-rates) [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+( [0-9]+)*$ ]] || { log "--share-rates needs numbers, e.g. \"300 1000\""; exit 2; }; share_rates="$2"; shift 2 ;;
    --transport-clients) need_number "$@"; transport_clients="$2"; shift 2 ;;
    --transport-rate) need_number "$@"; transport_rate="$2"; shift 2 ;;
    --profile) profile=1; shift ;;
    --sched-profile) sched_profile=1; shift ;;
    --probe) probe=1; shift ;;
    --partitions) need_number "$@"; partitions="$2"; shift 2 ;;
    --fetch-wait-ms) need_number "$@"; fetch_wait="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^$/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) log "unknown option $1 (see --help)"; exit 2 ;;
  esac
done

setup_unless_skipped
py="$root/.venv/bin/python"
gunicorn="$root/.venv/bin/gunicorn"
tansu="${TANSU_BIN:-$root/.venv/bin/tansu}"
if { [ "$profile" = 1 ] || [ "$sched_profile" = 1 ]; } && ! command -v perf >/dev/null; then
  log "--profile and --sched-profile need perf: apt-get install linux-perf"; exit 2
fi
[ "$only" = bridge ] || [ -x "$gunicorn" ] || { log "gunicorn missing from .venv (tools/requirements.txt; run scripts/setup.sh)"; exit 2; }

# Many sockets: the load tool and each server hold up to --idle-conns descriptors.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((idle_conns + 1000)) ]; then
  log "ulimit -n is $(ulimit -n): too low for --idle-conns $idle_conns"; exit 2
fi

# Binaries: built here (release, one scratch path), or ready-built ones.
scratch="${SCRATCH:-$root/.build-bench-bridge}"
if [ "$only" = python ]; then
  bridge_bin=""
elif [ -n "${BRIDGE_BIN_DIR:-}" ]; then
  bridge_bin="$BRIDGE_BIN_DIR/Bridge"
else
  log "building Bridge (release, scratch path $scratch)"
  swift build -c release --product Bridge --scratch-path "$scratch"
  bridge_bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/Bridge"
fi
if [ -n "${INGEST_BIN_DIR:-}" ]; then
  ingest_bin="$INGEST_BIN_DIR/Ingest"; broker_bin="$INGEST_BIN_DIR/callbridge-broker"
else
  for product in Ingest callbridge-broker; do
    log "building $product (release, scratch path $scratch)"
    swift build -c release --product "$product" --scratch-path "$scratch"
  done
  bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)"
  ingest_bin="$bin/Ingest"; broker_bin="$bin/callbridge-broker"
fi
for b in $bridge_bin "$ingest_bin" "$broker_bin"; do
  [ -x "$b" ] || { log "missing binary $b"; exit 2; }
done
compile_load_tool bridge_load -lcrypto

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="${BENCH_OUT:-$root/run/bench-bridge}/$stamp"
mkdir -p "$out"
ready="$out/broker.ready"

broker_pid=""
ingest_pid=""
server_pids=()
stop_servers() {
  local pid
  for pid in ${server_pids[@]+"${server_pids[@]}"}; do stop_pid "$pid" "server $pid"; done
  server_pids=()
}
cleanup() {
  trap - EXIT INT TERM
  stop_pid "$child_pid" "the running phase"
  stop_servers
  stop_pid "$ingest_pid" "Ingest"
  stop_pid "$broker_pid" "the broker"
  rm -f "$ready"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

wait_ready() { # url pid name
  local url="$1" pid="$2" name="$3"
  for _ in $(seq 1 1200); do
    kill -0 "$pid" 2>/dev/null || { log "$name exited"; return 1; }
    [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$url" || true)" = "200" ] && return 0
    sleep 0.1
  done
  log "$name not ready within 120 s"; return 1
}

log "load before the run: $(uptime)"
uptime >"$out/uptime-before.txt"

export GENERIC_WEBHOOK_SECRET="generic-test-secret-xyz"
export BRIDGE_JWT_SECRET="bridge-bench-jwt-secret-0123456789abcdef"
unset_env=(-u PUBLISH_TIMEOUT_MS)
for name in $(compgen -e); do
  case "$name" in *_SECRET|*_TOKEN|*_KEY) [ "$name" = BRIDGE_JWT_SECRET ] || [ "$name" = GENERIC_WEBHOOK_SECRET ] || unset_env+=(-u "$name") ;; esac
done

# A fresh broker and Ingest for every phase: Tansu keeps the topic in memory and serves
# fetches more slowly as a partition grows (see "Ingest (issue 3)", Caveats), so a phase run
# after others would pay for their records.
stack_n=0
start_stack() {
  stack_n=$((stack_n + 1))
  start_broker "$broker_bin" "$tansu" "$out/broker.log"
  # Ingest as in scripts/bench-ingest.sh: the integration tests' test-only secrets, inherited
  # *_SECRET/*_TOKEN/*_KEY variables removed, LOG_LEVEL warning.
  ingest_port="$(free_port)"
  env "${unset_env[@]}" -u BRIDGE_JWT_SECRET TWILIO_AUTH_TOKEN=twilio-test-auth-token-0123456789 \
    VAPI_SECRET=vapi-test-secret-abcdef RETELL_API_KEY=key_retell_test_0123 \
    GENERIC_WEBHOOK_SECRET="$GENERIC_WEBHOOK_SECRET" CALLER_HASH_KEY=caller-hash-test-key \
    PUBLIC_BASE_URL=https://hooks.example.com PORT="$ingest_port" KAFKA_BROKERS="$brokers" LOG_LEVEL=warning \
    TOPIC_PARTITIONS="$partitions" "$ingest_bin" >>"$out/ingest.log" 2>&1 &
  ingest_pid=$!
  wait_ready "http://127.0.0.1:$ingest_port/readyz" "$ingest_pid" Ingest || { tail -n 20 "$out/ingest.log" >&2; exit 1; }
  # The topic exists from here on (Ingest creates it); the python server's consumers need it
  # and the manager's channel topic before they start.
  KAFKA_BROKERS="$brokers" "$py" "$root/tools/bench/socketio_kafka_server.py" --create-topics 2>/dev/null
  watch_common=(--watch "ingest=$ingest_pid")
  [ -n "$tansu_pid" ] && watch_common+=(--watch "tansu=$tansu_pid")
  log "broker on $brokers (tansu pid ${tansu_pid:-?}), Ingest on $ingest_port (pid $ingest_pid)"
}
stop_stack() {
  stop_pid "$ingest_pid" "Ingest"
  stop_pid "$broker_pid" "the broker"
  ingest_pid=""; broker_pid=""
}

server_port=""
server_watch=()
server_kind=""
start_bridge() {
  server_port="$(free_port)"
  env "${unset_env[@]}" BRIDGE_JWT_SECRET="$BRIDGE_JWT_SECRET" KAFKA_BROKERS="$brokers" PORT="$server_port" \
    LOG_LEVEL=warning REPLAY_WINDOW_SECONDS="${BRIDGE_REPLAY_WINDOW_SECONDS:-60}" \
    ${fetch_wait:+KAFKA_FETCH_MAX_WAIT_MS="$fetch_wait"} "$bridge_bin" >>"$out/bridge.log" 2>&1 &
  server_pids=("$!")
  wait_ready "http://127.0.0.1:$server_port/readyz" "${server_pids[0]}" Bridge || { tail -n 30 "$out/bridge.log" >&2; exit 1; }
  server_watch=(--watch "bridge=${server_pids[0]}")
  server_kind=bridge
  log "Bridge ready on $server_port (pid ${server_pids[0]})"
}
py_group=0
start_python() {
  local ports=() i port pid worker
  py_group=$((py_group + 1))
  server_pids=()
  server_watch=()
  for i in $(seq 1 "$py_procs"); do
    port="$(free_port)"
    # One gevent worker per gunicorn (python-socketio's documented deployment); the processes
    # share one consumer group for calls.lifecycle.v1 (fresh per start, so from the end) and
    # fan out through the KafkaManager's channel topic.
    env "${unset_env[@]}" BRIDGE_JWT_SECRET="$BRIDGE_JWT_SECRET" KAFKA_BROKERS="$brokers" \
      CONSUMER_GROUP="socketio-bench-$stamp-$py_group" \
      "$gunicorn" -k gevent -w 1 --worker-connections $((idle_conns + 1000)) -b "127.0.0.1:$port" \
      --log-level warning --chdir "$root/tools/bench" socketio_kafka_server:app >>"$out/python-$i.log" 2>&1 &
    pid=$!
    server_pids+=("$pid")
    ports+=("$port")
  done
  for i in "${!server_pids[@]}"; do
    wait_ready "http://127.0.0.1:${ports[$i]}/readyz" "${server_pids[$i]}" "python-socketio $((i + 1))" \
      || { tail -n 30 "$out/python-$((i + 1)).log" >&2; exit 1; }
    worker="$(pgrep -P "${server_pids[$i]}" | head -n1)"
    server_watch+=(--watch "py$((i + 1))=$worker" --watch "py$((i + 1))master=${server_pids[$i]}")
  done
  sleep 1 # the consumer group settles: every process has its partitions
  server_port="$(IFS=,; echo "${ports[*]}")"
  server_kind=python
  log "python-socketio ready on $server_port (gunicorn pids ${server_pids[*]})"
}
start_server() { if [ "$1" = bridge ]; then start_bridge; else start_python; fi; }

snapshot() { "$py" "$root/tools/bench/ingest_report.py" procs >"$out/procs-$1.json"; }

idle_phase() { # server protocol
  local server="$1" protocol="$2" name="idle-$1-$2"
  start_stack
  start_server "$server"
  log "phase $name: $idle_conns idle subscribers ($protocol)"
  snapshot "$name-before"
  run "$loadgen" --port "$server_port" --protocol "$protocol" --admin $((idle_conns / 10)) \
    --clients $((idle_conns - idle_conns / 10)) --hold 5 --settle 3 --label "$name" \
    "${server_watch[@]}" >"$out/$name.json" || { log "phase $name failed"; stop_servers; stop_stack; return 1; }
  snapshot "$name-after"
  stop_servers
  stop_stack
}

load_phase() { # server protocol kind(latency|max|share|sched) [rate]: prints nothing; result in $out/<name>.json
  local server="$1" protocol="$2" kind="$3" name admin clients rate tag dur warm
  local share_args=() sched_pid="" control_pid="" scrape_pid=""
  if [ "$kind" = latency ]; then
    admin="$lat_admin"; clients="$lat_clients"; rate="$lat_rate"; dur="$duration"; warm="$warmup"; name="latency-$server-$protocol"
  elif [ "$kind" = share ] || [ "$kind" = sched ]; then
    admin="$lat_admin"; clients="$lat_clients"; rate="$4"; dur="$duration"; warm="$warmup"; name="$kind-$server-$protocol-$rate"
    share_args=(--frame-times "$out/frames-$name.bin")
  else
    admin="$max_admin"; clients=0; rate="$4"; dur="$max_duration"; warm=2; name="max-$server-$protocol-$rate"
  fi
  tag="$stamp-$name"
  start_stack
  start_server "$server"
  log "phase $name: $admin admin + $clients client subscribers ($protocol), $rate webhooks/s, ${warm} s + ${dur} s"
  snapshot "$name-before"
  local status=0 probe_pid=""
  if [ "$kind" = share ] || [ "$kind" = sched ] || { [ "$kind" = latency ] && [ "$probe" = 1 ]; }; then
    # Reference: what a plain librdkafka consumer of the same topic sees (Kafka's part of the path).
    local probe_events=()
    [ "$kind" != latency ] && probe_events=(--events-out "$out/probe-events-$name.json" --call-prefix "bench-$tag-")
    "$py" "$root/tools/bench/bridge_report.py" kafka-probe --brokers "$brokers" --skip $((warm + 2)) --fetch-wait-ms "${fetch_wait:-5}" \
      --seconds "$("$py" -c "print($warm + $dur + 8)")" --out "$out/probe-$name.json" "${probe_events[@]}" 2>>"$out/probe.log" &
    probe_pid=$!
  fi
  if [ "$kind" = share ] || [ "$kind" = sched ]; then
    # The control: a second plain consumer, so that the figure has its floor beside it.
    "$py" "$root/tools/bench/bridge_report.py" kafka-probe --brokers "$brokers" --skip $((warm + 2)) --fetch-wait-ms "${fetch_wait:-5}" \
      --seconds "$("$py" -c "print($warm + $dur + 8)")" --out "$out/control-$name.json" \
      --events-out "$out/control-events-$name.json" --call-prefix "bench-$tag-" 2>>"$out/probe.log" &
    control_pid=$!
    # The Bridge's own histograms at the window's start and end.
    ( sleep "$warm"; curl -s -m 5 "http://127.0.0.1:$server_port/metrics" >"$out/metrics-before-$name.txt"
      sleep "$dur"; curl -s -m 5 "http://127.0.0.1:$server_port/metrics" >"$out/metrics-after-$name.txt" ) &
    scrape_pid=$!
  fi
  if [ "$kind" = sched ]; then
    # 5 s of every scheduler event on every core, from 3 s into the measured window.
    ( sleep "$("$py" -c "print($warm + 3)")"; perf sched record -a -o "$out/$name.perf" -- sleep 5 ) >>"$out/perf.log" 2>&1 &
    sched_pid=$!
  fi
  run "$loadgen" --port "$server_port" --protocol "$protocol" --admin "$admin" --clients "$clients" \
    --ingest-port "$ingest_port" --tag "$tag" --rate "$rate" \
    --warmup "$warm" --duration "$dur" --drain "$drain" --label "$name" "${share_args[@]}" \
    "${watch_common[@]}" "${server_watch[@]}" >"$out/$name.json" || status=$?
  [ -n "$probe_pid" ] && { wait "$probe_pid" || true; }
  [ -n "$control_pid" ] && { wait "$control_pid" || true; }
  [ -n "$scrape_pid" ] && { wait "$scrape_pid" || true; }
  if [ -n "$sched_pid" ]; then
    wait "$sched_pid" || true
    local labels=(--process "bridge=${server_pids[0]}" --process "ingest=$ingest_pid" --process-comm "load=bridge_load")
    [ -n "$tansu_pid" ] && labels+=(--process "tansu=$tansu_pid")
    [ -n "$probe_pid" ] && labels+=(--process "plain-consumer=$probe_pid")
    [ -n "$control_pid" ] && labels+=(--process "second-plain-consumer=$control_pid")
    perf sched timehist -i "$out/$name.perf" >"$out/$name-timehist.txt" 2>>"$out/perf.log" \
      && "$py" "$root/tools/bench/bridge_report.py" sched --timehist "$out/$name-timehist.txt" "${labels[@]}" \
        --out "$out/sched-profile.json" >"$out/sched-profile.md" || status=1
    rm -f "$out/$name.perf" "$out/$name-timehist.txt"
  fi
  if { [ "$kind" = share ] || [ "$kind" = sched ]; } && [ "$status" = 0 ]; then
    "$py" "$root/tools/bench/bridge_report.py" share --frames "$out/frames-$name.bin" \
      --probe-events "$out/probe-events-$name.json" --control-events "$out/control-events-$name.json" \
      --metrics-before "$out/metrics-before-$name.txt" --metrics-after "$out/metrics-after-$name.txt" \
      --out "$out/$name-figures.json" >/dev/null || status=$?
    rm -f "$out/frames-$name.bin"
  fi
  snapshot "$name-after"
  stop_servers
  stop_stack
  [ "$status" = 0 ] || { log "phase $name failed"; return 1; }
}

complete() { "$py" -c 'import json, sys; sys.exit(0 if json.load(open(sys.argv[1]))["delivery"]["complete"] else 1)' "$1"; }

max_steps() { # server protocol: steps up the rates until one does not deliver everything; sets best_rate
  local server="$1" protocol="$2" rate
  best_rate=""
  for rate in $max_rates; do
    last_rate="$rate"
    load_phase "$server" "$protocol" max "$rate" || return 1
    if complete "$out/max-$server-$protocol-$rate.json"; then
      best_rate="$rate"
    else
      log "max-$server-$protocol-$rate did not deliver every frame: no higher step"
      break
    fi
  done
  [ -n "$best_rate" ] || best_rate="${max_rates%% *}"
}

profile_bridge() {
  # After the measured window, on the same Bridge, so that perf's cost touches no figure.
  local tag="$stamp-profile"
  log "profile: perf record -g of the Bridge for 6 s at $profile_rate webhooks/s, $max_admin subscribers"
  "$loadgen" --port "$server_port" --protocol sio --admin "$max_admin" --clients 0 --ingest-port "$ingest_port" \
    --tag "$tag" --rate "$profile_rate" --warmup 2 --duration 8 --drain 10 \
    --label profile "${server_watch[@]}" >"$out/profile-load.json" 2>"$out/profile-load.log" &
  child_pid=$!
  sleep 4
  perf record -F 499 -g -p "${server_pids[0]}" -o "$out/perf.data" -- sleep 6 >"$out/perf.log" 2>&1 || true
  wait "$child_pid" || true
  child_pid=""
  # Flat profiles (self time by library, by symbol), and the call graphs in full for reading.
  { perf report -i "$out/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 8
    echo
    perf report -i "$out/perf.data" --no-children --sort symbol --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' \
      | swift demangle --simplified | sed 's/  *$//' | head -n 30
  } >"$out/profile.txt" || true
  perf report -i "$out/perf.data" --no-children --sort symbol --stdio 2>/dev/null | swift demangle --simplified \
    >"$out/profile-callgraph.txt" || true
}

transport_phase() { # polling|sse: result in $out/transport-<kind>.json
  local kind="$1" name="transport-$1"
  start_stack
  start_bridge
  log "phase $name: $transport_clients subscribers over 50 client rooms ($kind), $transport_rate webhooks/s, ${warmup} s + ${duration} s"
  run "$py" "$root/tools/bench/bridge_transports_load.py" --bridge-port "$server_port" --ingest-port "$ingest_port" \
    --transport "$kind" --clients "$transport_clients" --rooms 50 --rate "$transport_rate" --warmup "$warmup" \
    --duration "$duration" --drain "$drain" >"$out/$name.json" || { log "phase $name failed"; stop_servers; stop_stack; return 1; }
  stop_servers
  stop_stack
}

failed=0
best_rate="${max_rates%% *}"
last_rate="$best_rate"
want() { [[ " $phases " == *" $1 "* ]]; }
profile_rate="$last_rate"
if [ "$only" != python ]; then
  if want idle; then for p in ws sio; do idle_phase bridge "$p" || failed=1; done; fi
  if want latency; then for p in sio ws; do load_phase bridge "$p" latency || failed=1; done; fi
  if want max; then
    max_steps bridge sio || failed=1
    sio_best="$best_rate"
    profile_rate="$last_rate" # the highest step reached: at or past the Bridge's limit
    max_steps bridge ws || failed=1
    best_rate="$sio_best"
  fi
  if want transports; then for t in polling sse; do transport_phase "$t" || failed=1; done; fi
  if want share; then for r in $share_rates; do load_phase bridge sio share "$r" || failed=1; done; fi
  if [ "$sched_profile" = 1 ]; then load_phase bridge sio sched "${share_rates##* }" || failed=1; fi
  if [ "$profile" = 1 ]; then
    start_stack; start_server bridge; profile_bridge; stop_servers; stop_stack
  fi
fi
if [ "$only" != bridge ]; then
  if want idle; then idle_phase python sio || failed=1; fi
  if want latency; then load_phase python sio latency || failed=1; fi
  # The same subscribers and rate as the Bridge's best Socket.IO step (or the first step).
  if want max; then load_phase python sio max "$best_rate" || failed=1; fi
fi

log "load after the run: $(uptime)"
uptime >"$out/uptime-after.txt"
"$py" "$root/tools/bench/bridge_report.py" --dir "$out" --out "$out/summary.json" | tee "$out/summary.md"
for t in polling sse; do
  [ -f "$out/transport-$t.json" ] && "$py" "$root/tools/bench/bridge_transports_load.py" --summary "$out/transport-$t.json" | tee -a "$out/summary.md"
done
[ -f "$out/sched-profile.md" ] && { log "scheduler profile (perf sched, at ${share_rates##* } webhooks/s):"; cat "$out/sched-profile.md" >&2; }
[ -f "$out/profile.txt" ] && { log "profile of the Bridge (perf, symbols by self time):"; head -n 40 "$out/profile.txt" >&2; }
log "results: $out"
exit "$failed"
