# Shell helpers the benchmark scripts share (sourced, not run). The sourcing script sets
# `bench_name` (its prefix in messages) first.

log() { printf '[%s] %s\n' "$bench_name" "$*" >&2; }

# need_number OPTION VALUE...: exits 2 unless VALUE is a positive number.
need_number() { { [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+(\.[0-9]+)?$ ]]; } || { log "$1 needs a positive number"; exit 2; }; }

# stop_pid PID NAME: SIGTERM, wait up to 20 s, then SIGKILL.
stop_pid() {
  local pid="$1" name="$2"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  log "stopping $name"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# run COMMAND...: runs it in the background and waits for it, so that Ctrl-C or SIGTERM
# reach the caller's trap at once (bash runs traps only between foreground commands).
# `child_pid` names it meanwhile, for the trap to stop.
child_pid=""
run() {
  "$@" &
  child_pid=$!
  local status=0
  wait "$child_pid" || status=$?
  child_pid=""
  return "$status"
}

# setup_unless_skipped: runs scripts/setup.sh unless CALLBRIDGE_SKIP_SETUP=1.
setup_unless_skipped() {
  if [ "${CALLBRIDGE_SKIP_SETUP:-0}" != "1" ]; then
    "$root/scripts/setup.sh"
  fi
}

# free_port: a TCP port free on 127.0.0.1 now (asks the OS through $py).
free_port() { "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# compile_load_tool NAME [LINKER ARGS...]: compiles tools/bench/NAME.c into
# $scratch/loadgen/NAME when there is no binary yet or NAME.c or bench_common.h is newer;
# sets `loadgen` to the binary.
compile_load_tool() {
  local name="$1"; shift
  local source="$root/tools/bench/$name.c"
  loadgen="$scratch/loadgen/$name"
  mkdir -p "$(dirname "$loadgen")"
  if [ ! -x "$loadgen" ] || [ "$source" -nt "$loadgen" ] || [ "$root/tools/bench/bench_common.h" -nt "$loadgen" ]; then
    log "compiling the load tool (tools/bench/$name.c)"
    gcc -O2 -Wall -Wextra -o "$loadgen" "$source" "$@"
  fi
}

# start_broker BROKER_BIN TANSU LOG: starts callbridge-broker on a free port, its output
# appended to LOG, and waits up to 30 s for its ready file `$ready`; sets `broker_pid`,
# `brokers` (HOST:PORT) and `tansu_pid`. Exits 1 when the broker does not start.
start_broker() {
  local broker_bin="$1" tansu="$2" broker_log="$3"
  rm -f "$ready"
  "$broker_bin" --port 0 --tansu "$tansu" --ready-file "$ready" --log-level warning >>"$broker_log" 2>&1 &
  broker_pid=$!
  for _ in $(seq 1 300); do
    [ -s "$ready" ] && break
    kill -0 "$broker_pid" 2>/dev/null || { log "the broker failed to start:"; tail -n 20 "$broker_log" >&2; exit 1; }
    sleep 0.1
  done
  [ -s "$ready" ] || { log "the broker did not become ready within 30 s"; exit 1; }
  brokers="$(head -n1 "$ready")"
  tansu_pid="$(pgrep -P "$broker_pid" | head -n1 || true)"
}
