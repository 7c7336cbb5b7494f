#!/usr/bin/env python3
"""The Python team's Bridge, for the fan-out benchmark (scripts/bench-bridge.sh).

What a Python team would build with the tools the python-socketio documentation
recommends: a `socketio.Server` (the sync server: python-socketio's `KafkaManager` works
with `socketio.Server` only, not `AsyncServer`), deployed as its docs describe for
production, under gunicorn with one gevent worker per process
(`gunicorn -k gevent -w 1`), WebSocket through simple-websocket, and scaled over
processes with `socketio.KafkaManager` on the same broker: every emit goes through the
manager's Kafka channel topic, and every server process delivers it to its own clients.

Each process also consumes `calls.lifecycle.v1` (kafka-python, one consumer group shared
by all processes, so each event is consumed once and fanned out to every process through
the manager) and emits `call:started` / `call:ended` to the rooms `admin` and
`client:{clientId}`, with the payload of the Bridge's Socket.IO endpoint: the event's
`data` plus `timestamp` (the event's `time`) and `eventId`. A Socket.IO CONNECT must carry
`{"token": …}`: an HS256 JWT (PyJWT, key BRIDGE_JWT_SECRET) with `exp` and
`role` admin, or role client with `clientId`; the socket then enters its token's room and
receives `calls:snapshot` {room, activeCalls, recentCalls}. Otherwise it is refused with
`44{"message": …}`.

Run (one process; start several on different ports to scale):

  BRIDGE_JWT_SECRET=… KAFKA_BROKERS=127.0.0.1:9092 \\
    gunicorn -k gevent -w 1 --worker-connections 20000 -b 127.0.0.1:8090 \\
      --chdir tools/bench socketio_kafka_server:app

Environment: KAFKA_BROKERS (127.0.0.1:9092), CALLS_TOPIC (calls.lifecycle.v1),
SOCKETIO_CHANNEL (socketio, the manager's topic), CONSUMER_GROUP
(socketio-bridge), FETCH_MAX_WAIT_MS (5, both consumers), BRIDGE_JWT_SECRET (required),
SOCKETIO_BENCH_DEBUG=1 (log every 5 s how long records waited to be consumed and emitted). GET /healthz answers 200; GET /readyz 200
once the calls consumer has its partitions and positions.

`python socketio_kafka_server.py --create-topics` creates the manager's channel topic (one
partition, so emits keep their order) and the calls topic if missing, then exits: run it
once before the servers (kafka-python's consumer would otherwise only notice a topic
created later at its next metadata refresh, 5 minutes by default).
"""

try:  # gunicorn's gevent worker has patched already; when imported otherwise, patch here
    from gevent import monkey

    if not monkey.is_module_patched("socket"):
        monkey.patch_all()
except ImportError:  # pragma: no cover - only --create-topics works without gevent
    pass

import json
import logging
import os
import sys
import time
from collections import OrderedDict

import jwt
import kafka
import socketio

BROKERS = os.environ.get("KAFKA_BROKERS", "127.0.0.1:9092")
CALLS_TOPIC = os.environ.get("CALLS_TOPIC", "calls.lifecycle.v1")
CHANNEL = os.environ.get("SOCKETIO_CHANNEL", "socketio")
GROUP = os.environ.get("CONSUMER_GROUP", "socketio-bridge")
# The Bridge's consumer waits at most 5 ms per fetch (its --kafka-fetch-max-wait-ms default);
# kafka-python's default is 500 ms, and the embedded broker (Tansu) does not answer a fetch as
# soon as records arrive, so the default would add hundreds of milliseconds to events here.
# Same setting as the Bridge.
FETCH_MAX_WAIT_MS = int(os.environ.get("FETCH_MAX_WAIT_MS", "5"))
RECENT = 20
DEBUG = os.environ.get("SOCKETIO_BENCH_DEBUG") == "1"  # logs consume and emit delays every 5 s

log = logging.getLogger("socketio-kafka-server")


def create_topics():
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(bootstrap_servers=BROKERS.split(","))
    try:
        existing = set(admin.list_topics())
        wanted = [NewTopic(CHANNEL, num_partitions=1, replication_factor=1)]
        if CALLS_TOPIC not in existing:
            wanted.append(NewTopic(CALLS_TOPIC, num_partitions=3, replication_factor=1))
        for topic in wanted:
            if topic.name in existing:
                continue
            try:
                admin.create_topics([topic])
                print(f"[socketio-server] created topic {topic.name}", file=sys.stderr)
            except TopicAlreadyExistsError:
                pass
    finally:
        admin.close()


class Rooms:
    """What `calls:snapshot` reports per room: active calls and the 20 most recent ended."""

    def __init__(self):
        self.active = {}  # room -> OrderedDict callId -> entry
        self.recent = {}  # room -> list of entries, newest first

    def apply(self, room, name, payload):
        active = self.active.setdefault(room, OrderedDict())
        call_id = payload.get("callId")
        if name == "call:started":
            active[call_id] = payload
        else:
            entry = dict(active.pop(call_id, {}))
            entry.update(payload)
            recent = self.recent.setdefault(room, [])
            recent.insert(0, entry)
            del recent[RECENT:]

    def snapshot(self, room):
        return {"room": room, "activeCalls": list(reversed(self.active.get(room, {}).values())),
                "recentCalls": list(self.recent.get(room, []))}


secret = os.environ.get("BRIDGE_JWT_SECRET", "")
ready = False
rooms = Rooms()


def room_of(token):
    """The token's room, or raises ConnectionRefusedError."""
    if not token or not isinstance(token, str):
        raise socketio.exceptions.ConnectionRefusedError("missing token")
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp"]})
    except jwt.PyJWTError as error:
        raise socketio.exceptions.ConnectionRefusedError(f"invalid token: {error}")
    if claims.get("role") == "admin":
        return "admin"
    if claims.get("role") == "client" and isinstance(claims.get("clientId"), str) and claims["clientId"]:
        return f"client:{claims['clientId']}"
    raise socketio.exceptions.ConnectionRefusedError("invalid token: no role")


class KafkaManager(socketio.KafkaManager):
    """python-socketio's KafkaManager with one fix and one setting.

    The fix: since python-socketio 5.16.1 ("use configured JSON module in managers") it publishes
    `json.dumps(...)`, a str, and kafka-python's producer refuses anything but bytes
    ("Unsupported type for serialized value: <class 'str'>"), so every emit fails. Encoding to
    UTF-8 is the fix python-socketio made for the same bug in its AioPika manager (issue 1513);
    the publishing is otherwise the library's own (send, then flush, per emit).

    The setting: its channel consumer gets fetch_max_wait_ms like the Bridge's consumer (see
    FETCH_MAX_WAIT_MS), so that the comparison is not about a broker quirk."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.consumer.close()
        self.consumer = kafka.KafkaConsumer(self.channel, bootstrap_servers=self.kafka_urls,
                                            fetch_max_wait_ms=FETCH_MAX_WAIT_MS)

    def _publish(self, data):
        self.producer.send(self.channel, value=self.json.dumps(data).encode())
        self.producer.flush()


def build():
    mgr = KafkaManager(f"kafka://{BROKERS.split(',')[0]}", channel=CHANNEL)
    sio = socketio.Server(async_mode="gevent", client_manager=mgr)

    def send_snapshot(sid, room):
        sio.emit("calls:snapshot", rooms.snapshot(room), to=sid)

    @sio.event
    def connect(sid, environ, auth):
        room = room_of((auth or {}).get("token") if isinstance(auth, dict) else None)
        sio.enter_room(sid, room)
        # After the handler returns, so that the CONNECT answer goes first.
        sio.start_background_task(send_snapshot, sid, room)

    def consume():
        global ready
        lags, done, last = [], [], [time.time()]
        consumer = kafka.KafkaConsumer(
            CALLS_TOPIC, bootstrap_servers=BROKERS.split(","), group_id=GROUP,
            auto_offset_reset="latest", enable_auto_commit=True, fetch_max_wait_ms=FETCH_MAX_WAIT_MS)
        while True:
            batches = consumer.poll(timeout_ms=100)
            if not ready and consumer.assignment():
                for tp in consumer.assignment():
                    consumer.position(tp)
                ready = True
                log.warning("consuming %s (partitions %s)", CALLS_TOPIC,
                            sorted(tp.partition for tp in consumer.assignment()))
            for records in batches.values():
                for record in records:
                    if DEBUG:
                        lags.append(time.time() * 1000 - record.timestamp)
                    try:
                        event = json.loads(record.value)
                        data = event["data"]
                        name = {"call.started": "call:started", "call.ended": "call:ended"}[event["type"]]
                    except (ValueError, KeyError, TypeError):
                        continue
                    payload = dict(data)
                    payload["timestamp"] = event.get("time")
                    payload["eventId"] = event.get("id")
                    targets = ["admin"]
                    if data.get("clientId"):
                        targets.append(f"client:{data['clientId']}")
                    for room in targets:
                        rooms.apply(room, name, payload)
                        sio.emit(name, payload, room=room)
                    if DEBUG:
                        done.append(time.time() * 1000 - record.timestamp)
            if DEBUG and time.time() - last[0] > 5 and lags:
                lags.sort()
                done.sort()
                log.warning("last 5 s: %d records; record timestamp -> consumed p50 %.1f ms max %.1f ms; "
                            "-> emitted p50 %.1f ms max %.1f ms", len(lags), lags[len(lags) // 2], lags[-1],
                            done[len(done) // 2], done[-1])
                lags.clear()
                done.clear()
                last[0] = time.time()

    sio.start_background_task(consume)

    def other(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/healthz" or (path == "/readyz" and ready):
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"status":"ok"}']
        if path == "/readyz":
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"status":"starting"}']
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"error":"not found"}']

    return socketio.WSGIApp(sio, other)


if __name__ == "__main__":
    if sys.argv[1:] == ["--create-topics"]:
        create_topics()
        sys.exit(0)
    print(__doc__)
    sys.exit(0 if sys.argv[1:] in (["--help"], ["-h"]) else 2)

if not secret:
    raise SystemExit("BRIDGE_JWT_SECRET must be set")
logging.basicConfig(level=logging.WARNING, format="[socketio-server %(process)d] %(message)s")
app = build()
