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
