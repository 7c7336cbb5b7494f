#!/usr/bin/env bash
# Sets up the machine (scripts/setup.sh), builds CallBridge in release mode and runs the
# whole system locally: the embedded Kafka-compatible broker (Tansu), then Ingest and
# Bridge against it, then the traffic simulator (callbridge-sim) at a gentle rate, so the
# dashboard shows live calls at once. Ctrl-C stops everything, leaving no process behind.
#
#   scripts/run.sh                        # broker, Ingest, Bridge and the simulator
#   scripts/run.sh --no-sim               # without the simulator (send your own webhooks)
#   scripts/run.sh --kafka HOST:PORT,...  # Ingest and Bridge on an existing Kafka, no embedded broker
#   scripts/run.sh --sim-rate 10 -- --providers twilio=3,vapi=1   # after --: more callbridge-sim flags
#
# Options:
#   --no-sim              do not start the simulator
#   --kafka BROKERS       bootstrap servers of an existing Kafka (Ingest creates its topics there)
#   --sim-rate R          the simulator's webhooks per second (default 2)
#   --sim-clients N       how many clients (clientIds) its calls belong to (default 20)
#   --sim-time-scale F    simulated time runs F times faster: calls last minutes / F (default 10)
#   -h, --help            this help
#
# Ports: BROKER_PORT (default 9092), INGEST_PORT (8080), BRIDGE_PORT (8081).
# CALLBRIDGE_BIN=DIR runs the binaries in DIR without setup or build (the tests use the debug
# build); CALLBRIDGE_RUN_DIR moves run/ (the broker's ready file, the development secrets).
# It prints the dashboard's URL with a development admin token.
# Secrets: taken from the environment when set; otherwise development secrets for all five
# providers are generated once into run/dev-secrets.env (not committed), so you can sign test
# webhooks against the local system: TWILIO_AUTH_TOKEN, VAPI_SECRET, RETELL_API_KEY,
# GENERIC_WEBHOOK_SECRET, CALLER_HASH_KEY, BRIDGE_JWT_SECRET, and for Telnyx an Ed25519 key
# pair: Ingest gets the public key (TELNYX_PUBLIC_KEY), the simulator the private key
# (TELNYX_PRIVATE_KEY). A provider whose secret the simulator lacks is left out of its calls.
set -euo pipefail

usage() { sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; }

sim=1
kafka=""
sim_rate=2
sim_clients=20
sim_time_scale=10
sim_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --no-sim) sim=0 ;;
    --kafka)
      [ $# -ge 2 ] && [ -n "$2" ] || { echo "run.sh: --kafka needs the brokers, e.g. --kafka kafka1:9092,kafka2:9092" >&2; exit 2; }
      kafka="$2"; shift ;;
    --kafka=*) kafka="${1#--kafka=}" ;;
    --sim-rate|--sim-clients|--sim-time-scale)
      [ $# -ge 2 ] || { echo "run.sh: $1 needs a value (see --help)" >&2; exit 2; }
      case "$1" in
        --sim-rate) sim_rate="$2" ;;
        --sim-clients) sim_clients="$2" ;;
        --sim-time-scale) sim_time_scale="$2" ;;
      esac
      shift ;;
    --) shift; sim_args=("$@"); break ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ -n "${CALLBRIDGE_BIN:-}" ]; then
  bin="$CALLBRIDGE_BIN"
  echo "[run] using the binaries in $bin as they are (CALLBRIDGE_BIN: no setup, no build)" >&2
else
  "$root/scripts/setup.sh"
  echo "[run] building (release)" >&2
  swift build -c release
  bin="$(swift build -c release --show-bin-path)"
fi

state="${CALLBRIDGE_RUN_DIR:-$root/run}"
mkdir -p "$state"
rm -f "$state/broker.ready"

# Each service runs as its own job in its own process group (monitor mode), so Ctrl-C
# reaches only this script, which then stops them in order: the simulator first (it hangs up
# its calls and prints its summary), then Bridge, Ingest, and the broker they use, each
# drained before the next. A whole group is signalled, so nothing a service started stays.
set -m
pids=()
sim_pid=""
# Stops the job whose group leader is $1: SIGTERM, up to $2 seconds, then SIGKILL.
stop_job() {
  local pid="$1" grace="$2"
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return; }
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((grace * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "[run] process $pid did not stop within ${grace}s; killing it" >&2
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  trap - EXIT INT TERM
  [ -n "$sim_pid" ] && stop_job "$sim_pid" 15
  local index
  for ((index = ${#pids[@]} - 1; index >= 0; index--)); do
    stop_job "${pids[index]}" 30
  done
}
trap cleanup EXIT
trap 'echo "[run] stopping" >&2; exit 130' INT
trap 'echo "[run] stopping" >&2; exit 143' TERM

if [ -n "$kafka" ]; then
  export KAFKA_BROKERS="$kafka"
  echo "[run] using the Kafka at $KAFKA_BROKERS (no embedded broker)" >&2
else
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
fi

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
# Telnyx signs with Ed25519: a key pair, base64 of the raw 32-byte keys (files made by older
# versions have none: it is added). Made with the project's Python (cryptography), else openssl.
if ! grep -q '^TELNYX_PRIVATE_KEY=' "$secrets"; then
  pair="$("$root/.venv/bin/python" - 2>/dev/null <<'PY' || true
import base64
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
key = Ed25519PrivateKey.generate()
raw = serialization.Encoding.Raw
seed = key.private_bytes(raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
public = key.public_key().public_bytes(raw, serialization.PublicFormat.Raw)
print("TELNYX_PRIVATE_KEY=" + base64.b64encode(seed).decode())
print("TELNYX_PUBLIC_KEY=" + base64.b64encode(public).decode())
PY
)"
  if [ -z "$pair" ]; then
    pem="$(openssl genpkey -algorithm ed25519)"
    # The DER of a PKCS #8 Ed25519 key ends with the 32-byte seed, a public key's DER with the key.
    pair="TELNYX_PRIVATE_KEY=$(printf '%s\n' "$pem" | openssl pkey -outform DER | tail -c 32 | base64)
TELNYX_PUBLIC_KEY=$(printf '%s\n' "$pem" | openssl pkey -pubout -outform DER | tail -c 32 | base64)"
  fi
  sed -i '/^TELNYX_PUBLIC_KEY=/d' "$secrets"
  printf '%s\n' "$pair" >>"$secrets"
fi
# Values already in the environment win over the file's (a provider's real secret, say).
declare -A given=()
for name in TWILIO_AUTH_TOKEN VAPI_SECRET RETELL_API_KEY GENERIC_WEBHOOK_SECRET CALLER_HASH_KEY BRIDGE_JWT_SECRET \
  TELNYX_PUBLIC_KEY TELNYX_PRIVATE_KEY; do
  if [ -n "${!name:-}" ]; then given[$name]="${!name}"; fi
done
set -a
# shellcheck disable=SC1090
. "$secrets"
set +a
for name in "${!given[@]}"; do export "$name=${given[$name]}"; done
# A Telnyx public key from the environment without its private half: the simulator cannot
# sign for it, so it leaves Telnyx out rather than sending webhooks Ingest must refuse.
if [ -n "${given[TELNYX_PUBLIC_KEY]:-}" ] && [ -z "${given[TELNYX_PRIVATE_KEY]:-}" ]; then
  unset TELNYX_PRIVATE_KEY
fi
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

# Each process gets only the secrets it uses: the Telnyx private key is the simulator's alone.
ingest_port="${INGEST_PORT:-8080}"
PORT="$ingest_port" env -u TELNYX_PRIVATE_KEY -u BRIDGE_JWT_SECRET "$bin/Ingest" &
pids+=($!)
wait_ready Ingest "$ingest_port"
echo "[run] Ingest on http://127.0.0.1:$ingest_port (POST /webhooks/{twilio,vapi,retell,telnyx,generic})" >&2
echo "[run] development secrets are in $secrets" >&2

bridge_port="${BRIDGE_PORT:-8081}"
PORT="$bridge_port" env -u TELNYX_PRIVATE_KEY -u TWILIO_AUTH_TOKEN -u VAPI_SECRET -u RETELL_API_KEY \
  -u GENERIC_WEBHOOK_SECRET -u CALLER_HASH_KEY "$bin/Bridge" &
pids+=($!)
wait_ready Bridge "$bridge_port"
# A development admin token (12 h), so the dashboard can be opened at once.
admin_token="$("$root/.venv/bin/python" -c 'import os, time, jwt; print(jwt.encode({"role": "admin", "exp": int(time.time()) + 43200}, os.environ["BRIDGE_JWT_SECRET"], algorithm="HS256"))')"
echo "[run] Bridge on http://127.0.0.1:$bridge_port (WebSocket /ws, Socket.IO /socket.io/)" >&2
echo "[run] dashboard: http://127.0.0.1:$bridge_port/?token=$admin_token" >&2

if [ "$sim" = 1 ]; then
  # Started once Ingest answers /readyz. Its exit does not stop the services (its summary
  # says what went wrong); Ctrl-C makes it hang up its calls and print the summary.
  env -u CALLER_HASH_KEY -u BRIDGE_JWT_SECRET "$bin/callbridge-sim" --url "http://127.0.0.1:$ingest_port" \
    --rate "$sim_rate" --clients "$sim_clients" --time-scale "$sim_time_scale" "${sim_args[@]}" &
  sim_pid=$!
  echo "[run] simulator: $sim_rate webhooks/s for $sim_clients clients, calls $sim_time_scale× faster than real time (--no-sim to go without)" >&2
fi

echo "[run] everything is up; Ctrl-C to stop" >&2
# Returns when a service exits (not the simulator), which ends the run; or on Ctrl-C.
status=0
wait -n "${pids[@]}" || status=$?
echo "[run] a service exited (status $status); stopping the rest" >&2
exit 1
