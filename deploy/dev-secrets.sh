#!/usr/bin/env bash
# Makes random development secrets for deploy/compose.yaml in deploy/secrets/ (not committed),
# one file per secret; files that exist are kept. For a real deployment, put the providers'
# values in the same files instead (leave out a provider you do not use: drop its secret and
# flag from compose.yaml and it answers 404). Telnyx signs with Ed25519: a key pair is made,
# Ingest gets the public key (base64 of its 32 bytes), the simulator the private key (PEM).
#
#   deploy/dev-secrets.sh
set -euo pipefail

case "${1:-}" in
  -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/secrets"
# Compose bind-mounts secret files with the host's owner and mode, and the containers run as
# uid 10001: the files must be readable by all, so the folder is what keeps them private.
mkdir -p "$dir"
chmod 700 "$dir"

for name in twilio_auth_token vapi_secret retell_api_key generic_webhook_secret caller_hash_key bridge_jwt_secret; do
  if [ ! -s "$dir/$name" ]; then
    # 36 random bytes: 48 characters, above the 32 bytes the Bridge's HS256 key needs.
    rm -f "$dir/$name"
    head -c 36 /dev/urandom | base64 | tr '+/' '-_' >"$dir/$name"
    echo "made $dir/$name" >&2
  fi
done
if [ ! -s "$dir/telnyx_private_key.pem" ] || [ ! -s "$dir/telnyx_public_key" ]; then
  rm -f "$dir/telnyx_private_key.pem" "$dir/telnyx_public_key"
  openssl genpkey -algorithm ed25519 -out "$dir/telnyx_private_key.pem"
  # The DER public key ends with the raw 32-byte key.
  openssl pkey -in "$dir/telnyx_private_key.pem" -pubout -outform DER | tail -c 32 | base64 >"$dir/telnyx_public_key"
  echo "made $dir/telnyx_private_key.pem and $dir/telnyx_public_key" >&2
fi
chmod 444 "$dir"/*
