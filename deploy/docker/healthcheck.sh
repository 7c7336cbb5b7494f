#!/usr/bin/env bash
# The images' HEALTHCHECK: GET /healthz on the service's own port must answer 200. bash's
# /dev/tcp does the request, so the image carries no HTTP client. The port is $PORT, which the
# image sets: change the port with PORT, not --port, or this checks the wrong one.
set -euo pipefail
exec 3<>"/dev/tcp/127.0.0.1/${PORT:?PORT is not set}"
printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
read -r -t 5 _ status _ <&3
[ "$status" = 200 ]
