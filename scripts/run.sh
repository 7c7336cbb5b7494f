#!/usr/bin/env bash
# Sets up the machine (scripts/setup.sh), builds CallBridge in release mode and runs the
# whole system locally: the embedded Kafka-compatible broker (Tansu), then Ingest and
# Bridge against it. Ctrl-C stops everything.
#
# Ports: BROKER_PORT (default 9092), INGEST_PORT (8080), BRIDGE_PORT (8081).
# It prints the dashboard's URL with a development admin token.
# Secrets: taken from the environment when set (TWILIO_AUTH_TOKEN, VAPI_SECRET,
# RETELL_API_KEY, GENERIC_WEBHOOK_SECRET, CALLER_HASH_KEY, ...); otherwise development
# secrets are generated once into run/dev-secrets.env (not committed) and printed, so
# you can sign test webhooks against the local system.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/scripts/setup.sh"

echo "[run] building (release)" >&2
swift build -c release
bin="$(swift build -c release --show-bin-path)"

state="$root/run"
mkdir -p "$state"
rm -f "$state/broker.ready"

pids=()
# Stops in reverse order of start (Bridge, Ingest, then the broker they use), each drained
# before the next, so no service is left talking to a broker that is gone.
cleanup() {
  trap - EXIT INT TERM
  local index
  for ((index = ${#pids[@]} - 1; index >= 0; index--)); do
    kill -TERM "${pids[index]}" 2>/dev/null || true
    wait "${pids[index]}" 2>/dev/null || true
  done
}
trap cleanup EXIT INT TERM

broker_port="${BROKER_PORT:-9092}"
"$bin/callbridge-broker" --port "$broker_port" --tansu "$root/.venv/bin/tansu" --ready-file "$state/broker.ready" &
pids+=($!)
for _ in $(seq 1 100); do
  [ -s "$state/broker.ready" ] && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "[run] the broker failed to start" >&2; exit 1; }
  sleep 0.1
done
[ -s "$state/broker.ready" ] || { echo "[run] the broker did not become ready" >&2; exit 1; }
export KAFKA_BROKERS="$(cat "$state/broker.ready")"
echo "[run] broker ready on $KAFKA_BROKERS" >&2

# Development secrets: random, made once per checkout, never committed.
secrets="$state/dev-secrets.env"
if [ ! -f "$secrets" ]; then
  umask 077
  {
    for name in TWILIO_AUTH_TOKEN VAPI_SECRET RETELL_API_KEY GENERIC_WEBHOOK_SECRET CALLER_HASH_KEY BRIDGE_JWT_SECRET; do
      # 36 random bytes: 48 characters, above the 32 bytes an HS256 key needs.
      echo "$name=dev-$(head -c 36 /dev/urandom | base64 | tr '+/' '-_')"
    done
  } >"$secrets"
fi
set -a
# shellcheck disable=SC1090
. "$secrets"
set +a
# Files made by older versions had a shorter token key than HS256 allows: replace it.
if [ "${#BRIDGE_JWT_SECRET}" -lt 32 ]; then
  BRIDGE_JWT_SECRET="dev-$(head -c 36 /dev/urandom | base64 | tr '+/' '-_')"
  sed -i '/^BRIDGE_JWT_SECRET=/d' "$secrets"
  echo "BRIDGE_JWT_SECRET=$BRIDGE_JWT_SECRET" >>"$secrets"
  export BRIDGE_JWT_SECRET
fi

# Waits (up to 30 s) for the service just started, the last of $pids, to answer /readyz.
wait_ready() {
  local name="$1" port="$2"
  for _ in $(seq 1 150); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "[run] $name failed to start" >&2; exit 1; }
    sleep 0.2
  done
  echo "[run] $name did not become ready" >&2
  exit 1
}

ingest_port="${INGEST_PORT:-8080}"
PORT="$ingest_port" "$bin/Ingest" &
pids+=($!)
wait_ready Ingest "$ingest_port"
echo "[run] Ingest on http://127.0.0.1:$ingest_port (POST /webhooks/{twilio,vapi,retell,telnyx,generic})" >&2
echo "[run] development secrets are in $secrets" >&2

bridge_port="${BRIDGE_PORT:-8081}"
PORT="$bridge_port" "$bin/Bridge" &
pids+=($!)
wait_ready Bridge "$bridge_port"
# A development admin token (12 h), so the dashboard can be opened at once.
admin_token="$("$root/.venv/bin/python" -c 'import os, time, jwt; print(jwt.encode({"role": "admin", "exp": int(time.time()) + 43200}, os.environ["BRIDGE_JWT_SECRET"], algorithm="HS256"))')"
echo "[run] Bridge on http://127.0.0.1:$bridge_port (WebSocket /ws, Socket.IO /socket.io/)" >&2
echo "[run] dashboard: http://127.0.0.1:$bridge_port/?token=$admin_token" >&2

echo "[run] everything is up; Ctrl-C to stop" >&2
wait -n "${pids[@]}"
