#!/usr/bin/env python3
"""Subscribers over Engine.IO long-polling or Server-Sent Events, for the Bridge benchmark's
transport phases (scripts/bench-bridge.sh --phases "polling sse").

  bridge_transports_load.py --bridge-port B --ingest-port I --transport polling|sse
      [--clients 1000] [--rooms 50] [--rate 100] [--warmup 3] [--duration 15] [--drain 10]

--clients subscribers, spread over --rooms client rooms, each on its own HTTP connection(s)
(asyncio, raw HTTP/1.1): `polling` does what socket.io-client does with
`transports: ["polling"]` (handshake, CONNECT in a POST, then one long GET after another,
answering pings); `sse` holds one `GET /events` stream. Once all have their snapshot, signed
`generic` webhooks go to Ingest at --rate per second (call k started, then ended, clientId of
room k mod --rooms), open loop, over 32 keep-alive connections. For the webhooks sent inside
the --duration window after --warmup, it reports the frames delivered per second, the
end-to-end latency (webhook written -> event read by the subscriber) p50/p90/p99/max, and
whether every subscriber got every event of its room exactly once (within --drain seconds).
Prints one JSON object. Secrets: BRIDGE_JWT_SECRET and GENERIC_WEBHOOK_SECRET (env).
`bridge_transports_load.py --summary RESULT.json` prints a results-table row of one.
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import sys
import time

import jwt

SEPARATOR = "\x1e"


def token(secret: str, client_id: str) -> str:
    return jwt.encode({"role": "client", "clientId": client_id, "exp": int(time.time()) + 3600}, secret, algorithm="HS256")


async def http(reader, writer, method: str, path: str, body: bytes = b"", headers: str = "") -> tuple[int, bytes]:
    """One request on a keep-alive connection; returns the status and body (Content-Length or chunked)."""
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n{headers}\r\n".encode() + body)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    fields = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    length = int(fields.get("content-length", "0"))
    return status, (await reader.readexactly(length) if length else b"")


class Results:
    def __init__(self, rooms: int):
        self.sent: dict[str, float] = {}  # "<callId>/<kind>" -> send time
        self.window: set[str] = set()
        self.room_of: dict[str, int] = {}
        self.received: dict[int, dict[str, int]] = {}  # subscriber -> key -> count
        self.latencies: list[float] = []
        self.frames_in_window = 0
        self.ready = 0
        self.errors: list[str] = []
        self.rooms = rooms

    def got(self, subscriber: int, call_id: str, kind: str) -> None:
        key = f"{call_id}/{kind}"
        counts = self.received.setdefault(subscriber, {})
        counts[key] = counts.get(key, 0) + 1
        if key in self.window:
            self.frames_in_window += 1
            self.latencies.append(time.monotonic() - self.sent[key])


async def polling_client(number: int, port: int, path_token: str, results: Results, ready: asyncio.Event, stop: asyncio.Event):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    post_reader, post_writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        status, body = await http(reader, writer, "GET", "/socket.io/?EIO=4&transport=polling")
        assert status == 200, body[:200]
        sid = json.loads(body[1:])["sid"]
        path = f"/socket.io/?EIO=4&transport=polling&sid={sid}"
        status, _ = await http(post_reader, post_writer, "POST", path, ("40" + json.dumps({"token": path_token})).encode(),
                               "Content-Type: text/plain;charset=UTF-8\r\n")
        assert status == 200
        snapshot = False
        while not stop.is_set():
            status, body = await http(reader, writer, "GET", path)
            if status != 200:
                results.errors.append(f"poll {status}: {body[:200]!r}")
                return
            for packet in body.decode().split(SEPARATOR):
                if packet == "2":
                    await http(post_reader, post_writer, "POST", path, b"3", "Content-Type: text/plain;charset=UTF-8\r\n")
                elif packet.startswith('42["calls:snapshot"') and not snapshot:
                    snapshot = True
                    results.ready += 1
                    if results.ready == ready_target[0]:
                        ready.set()
                elif packet.startswith('42["call:'):
                    name, data = json.loads(packet[2:])[:2]
                    results.got(number, data["callId"], name[5:])
    finally:
        writer.close()
        post_writer.close()


async def sse_client(number: int, port: int, path_token: str, results: Results, ready: asyncio.Event, stop: asyncio.Event):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    try:
        writer.write(f"GET /events?token={path_token} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        assert b" 200 " in head.split(b"\r\n")[0], head[:200]
        event = None
        while not stop.is_set():
            line = await reader.readline()
            if not line:
                return
            text = line.decode().rstrip("\r\n")
            # Chunk-size lines of the chunked body are hex numbers; SSE lines have a field name.
            if text.startswith("event: "):
                event = text[7:]
            elif text.startswith("data: ") and event:
                if event == "snapshot":
                    results.ready += 1
                    if results.ready == ready_target[0]:
                        ready.set()
                else:
                    cloud = json.loads(text[6:])["event"]
                    results.got(number, cloud["subject"], "started" if event == "call.started" else "ended")
                event = None
    finally:
        writer.close()


ready_target = [0]


async def send_webhooks(args, results: Results, secret: str) -> None:
    total = int((args.warmup + args.duration) * args.rate)
    connections = [await asyncio.open_connection("127.0.0.1", args.ingest_port) for _ in range(32)]
    idle: asyncio.Queue = asyncio.Queue()
    for connection in connections:
        idle.put_nowait(connection)
    start = time.monotonic()
    window = (start + args.warmup, start + args.warmup + args.duration)
    tag = os.urandom(4).hex()

    async def send(n: int, due: float) -> None:
        reader, writer = await idle.get()
        try:
            call, kind = f"tl-{tag}-{n // 2}", ("started" if n % 2 == 0 else "ended")
            client = f"tl-room-{(n // 2) % args.rooms}"
            body = json.dumps({"type": f"call.{kind}", "callId": call, "clientId": client, "from": "+14155554321",
                               "to": "+14155551212"}, separators=(",", ":")).encode()
            stamp = str(int(time.time()))
            signature = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
            key = f"{call}/{kind}"
            results.sent[key] = time.monotonic()
            if window[0] <= due < window[1]:
                results.window.add(key)
            results.room_of[key] = (n // 2) % args.rooms
            status, answer = await http(reader, writer, "POST", "/webhooks/generic", body,
                                        f"Content-Type: application/json\r\nX-Signature: t={stamp},v1={signature}\r\n")
            if status != 202:
                results.errors.append(f"webhook {status}: {answer[:200]!r}")
        finally:
            idle.put_nowait((reader, writer))

    tasks = []
    for n in range(total):
        due = start + n / args.rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(n, due)))
    await asyncio.gather(*tasks)
    for _, writer in connections:
        writer.close()


async def run(args) -> dict:
    jwt_secret = os.environ.get("BRIDGE_JWT_SECRET")
    webhook_secret = os.environ.get("GENERIC_WEBHOOK_SECRET")
    if not jwt_secret or not webhook_secret:
        sys.exit("BRIDGE_JWT_SECRET and GENERIC_WEBHOOK_SECRET must be set")
    results = Results(args.rooms)
    ready, stop = asyncio.Event(), asyncio.Event()
    ready_target[0] = args.clients
    client = polling_client if args.transport == "polling" else sse_client
    room_of_subscriber = {n: n % args.rooms for n in range(args.clients)}
    started = time.monotonic()
    subscribers = []
    for n in range(args.clients):
        subscribers.append(asyncio.create_task(client(n, args.bridge_port, token(jwt_secret, f"tl-room-{room_of_subscriber[n]}"),
                                                      results, ready, stop)))
        if n % 100 == 99:
            await asyncio.sleep(0.05)
    await asyncio.wait_for(ready.wait(), timeout=120)
    connect_seconds = time.monotonic() - started
    print(f"[transports-load] {args.clients} {args.transport} subscribers ready in {connect_seconds:.1f} s", file=sys.stderr)
    await send_webhooks(args, results, webhook_secret)
    expected = {n: {k for k in results.window if results.room_of[k] == room_of_subscriber[n]} for n in range(args.clients)}
    deadline = time.monotonic() + args.drain
    while time.monotonic() < deadline:
        if all(expected[n] <= set(results.received.get(n, {})) for n in range(args.clients)):
            break
        await asyncio.sleep(0.2)
    stop.set()
    for task in subscribers:
        task.cancel()
    missing = sum(len(expected[n] - set(results.received.get(n, {}))) for n in range(args.clients))
    duplicates = sum(c - 1 for counts in results.received.values() for c in counts.values() if c > 1)
    latencies = sorted(results.latencies)

    def percentile(p: float) -> float:
        return round(1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 2) if latencies else None

    return {"transport": args.transport, "clients": args.clients, "rooms": args.rooms, "rate": args.rate,
            "connect_seconds": round(connect_seconds, 2), "frames_in_window": results.frames_in_window,
            "frames_per_second": round(results.frames_in_window / args.duration),
            "expected_frames": sum(len(e) for e in expected.values()),
            "latency_ms": {"p50": percentile(0.50), "p90": percentile(0.90), "p99": percentile(0.99), "max": percentile(1.0)},
            "missing": missing, "duplicates": duplicates, "errors": results.errors[:5], "error_count": len(results.errors)}


def summary(path: str) -> str:
    r = json.load(open(path))
    lat = r["latency_ms"]
    return (f"| {r['transport']} | {r['clients']} over {r['rooms']} rooms | {r['rate']:.0f} | {r['frames_per_second']:,} | "
            f"{lat['p50']} / {lat['p90']} / {lat['p99']} / {lat['max']} | missing {r['missing']}, doubled {r['duplicates']}, "
            f"errors {r['error_count']} | {r['connect_seconds']} s |")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--summary":
        print(summary(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bridge-port", type=int, required=True)
    parser.add_argument("--ingest-port", type=int, required=True)
    parser.add_argument("--transport", choices=["polling", "sse"], required=True)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--rate", type=float, default=100.0, help="webhooks per second")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--drain", type=float, default=10.0)
    args = parser.parse_args()
    if args.clients < 1 or args.rooms < 1 or args.rate <= 0 or args.duration <= 0:
        parser.error("--clients, --rooms, --rate and --duration must be positive")
    print(json.dumps(run_with_limits(args), indent=1))


def run_with_limits(args) -> dict:
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return asyncio.run(run(args))


if __name__ == "__main__":
    main()
