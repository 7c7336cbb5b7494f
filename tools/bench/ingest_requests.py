#!/usr/bin/env python3
"""Writes a pool of signed `generic` webhooks for the Ingest load generator (ingest_load.c).

  ingest_requests.py --out POOL --count 100000 --port 8080 --tag run1-max

Each request is a complete HTTP/1.1 request (keep-alive, Content-Length) to
POST /webhooks/generic, with a body like the integration tests' generic webhooks and
`X-Signature: t=<now>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, the secret taken
from GENERIC_WEBHOOK_SECRET. Every request has its own callId (`bench-<tag>-<n>`); even
numbers are `call.started`, odd ones `call.ended` (with duration and end reason), spread
over 50 clientIds. All carry the same timestamp `t` (the time the pool is written), so the
pool must be used within SIGNATURE_TOLERANCE_SECONDS (300 s by default).

File format: b"IGLP1\\n", a little-endian u32 count, then per request a little-endian u32
length and the request bytes. Signing happens here, before any timing starts.

--kind healthz writes GET /healthz requests instead: a diagnostic pool that measures the
HTTP server alone (no body, no signature, no Kafka).
"""

import argparse
import hashlib
import hmac
import json
import os
import struct
import sys
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="pool file to write")
    parser.add_argument("--count", type=int, default=100_000, help="requests in the pool")
    parser.add_argument("--port", type=int, required=True, help="Ingest's port (for the Host header)")
    parser.add_argument("--tag", default="bench", help="part of every callId, to keep runs and phases apart")
    parser.add_argument("--kind", choices=["generic", "healthz"], default="generic",
                        help="generic: signed webhooks (answered 202); healthz: GET /healthz (diagnostic)")
    args = parser.parse_args()
    secret = os.environ.get("GENERIC_WEBHOOK_SECRET")
    if not secret:
        parser.error("GENERIC_WEBHOOK_SECRET must be set (the secret Ingest was started with)")
    if args.count < 1:
        parser.error("--count must be positive")

    key = secret.encode()
    now = int(time.time())
    t = str(now).encode()
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    head = (f"POST /webhooks/generic HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\n"
            "User-Agent: callbridge-ingest-bench\r\nContent-Type: application/json\r\n").encode()
    sizes = 0
    bodies = 0
    with open(args.out + ".tmp", "wb") as out:
        out.write(b"IGLP1\n" + struct.pack("<I", args.count))
        for n in range(args.count):
            if args.kind == "healthz":
                request = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\nUser-Agent: callbridge-ingest-bench\r\n\r\n".encode()
                out.write(struct.pack("<I", len(request)) + request)
                sizes += len(request)
                continue
            call = {
                "type": "call.started" if n % 2 == 0 else "call.ended",
                "callId": f"bench-{args.tag}-{n}",
                "clientId": f"client-{n % 50}",
                "timestamp": iso,
                "from": f"+1415555{n % 10000:04d}",
                "to": "+14155550199",
                "direction": "inbound",
            }
            if n % 2:
                call["durationSeconds"] = 30 + n % 600
                call["endReason"] = "completed"
            body = json.dumps(call, separators=(",", ":")).encode()
            signature = hmac.new(key, t + b"." + body, hashlib.sha256).hexdigest()
            request = (head + b"Content-Length: " + str(len(body)).encode() + b"\r\nX-Signature: t=" + t +
                       b",v1=" + signature.encode() + b"\r\n\r\n" + body)
            out.write(struct.pack("<I", len(request)) + request)
            sizes += len(request)
            bodies += len(body)
    os.replace(args.out + ".tmp", args.out)
    what = {"generic": "signed generic webhooks", "healthz": "GET /healthz requests"}[args.kind]
    print(f"[ingest-requests] {args.count} {what} in {args.out}: "
          f"mean request {sizes / args.count:.0f} B, mean body {bodies / args.count:.0f} B, t={now}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
