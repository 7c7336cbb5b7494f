"""Clients for the Bridge system tests: dashboard tokens (PyJWT), a /ws JSON client
(websocket-client), a raw-socket WebSocket client for stuck subscribers and handshake
checks, generic webhooks posted to Ingest, CloudEvents produced straight to Kafka, and
Prometheus text parsing."""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import socket
import struct
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import jwt
import requests
import websocket

import signing
from conftest import BRIDGE_JWT_SECRET, TOPIC
from harness import BRIDGE_MESSAGES_SCHEMA as BRIDGE_MESSAGES
from harness import (CALL_EVENT_SCHEMA, CONTRACT_VIOLATIONS, Bridge, Broker, ContractViolation, check_against, contract_problems,
                     temp_dir)

# Full test numbers: only their masked forms may ever leave Ingest.
FROM_NUMBER = "+14155554321"
TO_NUMBER = "+14155551212"
FROM_MASKED = "***4321"
TO_MASKED = "***1212"

# Every token minted here, so a log scan can look for all of them.
MINTED_TOKENS: list[str] = []


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# ---------------------------------------------------------------- tokens


def token(role: str | None = "admin", client_id: str | None = None, expires_in: int | None = 600,
          secret: str = BRIDGE_JWT_SECRET, algorithm: str = "HS256", **claims) -> str:
    payload: dict = dict(claims)
    if role is not None:
        payload["role"] = role
    if client_id is not None:
        payload["clientId"] = client_id
    if expires_in is not None:
        payload["exp"] = int(time.time()) + expires_in
    minted = jwt.encode(payload, secret, algorithm=algorithm)
    MINTED_TOKENS.append(minted)
    return minted


def admin_token(**kwargs) -> str:
    return token("admin", **kwargs)


def client_token(client_id: str, **kwargs) -> str:
    return token("client", client_id=client_id, **kwargs)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(payload: dict) -> str:
    """`alg: none`, no signature (what a forger sends)."""
    header = {"alg": "none", "typ": "JWT"}
    minted = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(payload).encode())}."
    MINTED_TOKENS.append(minted)
    return minted


# ---------------------------------------------------------------- webhooks to Ingest


def generic_body(kind: str, call_id: str, client_id: str, *, timestamp: int | None = None,
                 from_: str | None = FROM_NUMBER, to: str | None = TO_NUMBER, **fields) -> bytes:
    """A generic-provider webhook body: kind is "started" or "ended"."""
    document: dict = {"type": f"call.{kind}", "callId": call_id, "clientId": client_id}
    if timestamp is not None:
        document["timestamp"] = timestamp
    if from_ is not None:
        document["from"] = from_
    if to is not None:
        document["to"] = to
    document.update(fields)
    return signing.compact(document)


def post_body(ingest, body: bytes) -> str:
    """Posts a generic webhook to Ingest (signed as the generic provider); returns the eventId."""
    response = requests.post(ingest.url + "/webhooks/generic", data=body, headers=signing.generic(body), timeout=15)
    assert response.status_code == 202, f"Ingest answered {response.status_code}: {response.text}"
    return response.json()["eventId"]


def post_call(ingest, kind: str, call_id: str, client_id: str, **fields) -> str:
    return post_body(ingest, generic_body(kind, call_id, client_id, **fields))


# ---------------------------------------------------------------- CloudEvents straight to Kafka


def event_id() -> str:
    """A random id in the form of Ingest's (an RFC 9562 version 8 UUID, EventIdentifier.swift)."""
    raw = bytearray(uuid.uuid4().bytes)
    raw[6] = (raw[6] & 0x0F) | 0x80
    raw[8] = (raw[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(raw)))


def cloud_event(kind: str, call_id: str, client_id: str, *, pad: int = 0, when: float | None = None) -> dict:
    """A call event shaped as Ingest writes it (masked numbers, an id of its form), for producing
    directly; it conforms to docs/schema/call-event.schema.json (test_contract_documents checks)
    unless `client_id` is not a client id (tests make such impostors on purpose)."""
    now = time.time() if when is None else when
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"
    data: dict = {"callId": call_id, "clientId": client_id, "provider": "generic", "direction": "inbound",
                  "from": FROM_MASKED, "to": TO_MASKED, "startedAt": stamp}
    if kind == "ended":
        data.update({"endedAt": stamp, "durationSeconds": 0, "endReason": "completed" + ("." * pad)})
    return {"specversion": "1.0", "id": event_id(), "source": "callbridge/ingest/generic",
            "type": f"call.{kind}", "time": stamp, "subject": call_id,
            "datacontenttype": "application/json", "data": data}


def produce_events(producer, topic: str, events: list[dict]) -> None:
    for event in events:
        while True:
            try:
                producer.produce(topic, key=event["subject"].encode(), value=json.dumps(event, separators=(",", ":")).encode(),
                                 headers=[("content-type", b"application/cloudevents+json")])
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    remaining = producer.flush(30)
    assert remaining == 0, f"{remaining} records not delivered"


def create_topic(bootstrap: str, topic: str, partitions: int = 6) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    for future in futures.values():
        try:
            future.result(15)
        except Exception as error:  # noqa: BLE001 - an existing topic is fine
            if "exist" not in str(error).lower():
                raise


@contextmanager
def bridge_on_own_broker(name: str, partitions: int, extra_args: list[str], check_exit: bool = False) -> Iterator[tuple[Broker, Bridge]]:
    """A Bridge on a broker of its own, with TOPIC created (`partitions`): for tests whose
    thousands of events must not slow the session broker's start-up replays or reach its
    topic. Stops both afterwards; with `check_exit`, the Bridge must exit 0 on SIGTERM."""
    workdir = temp_dir(f"callbridge-{name}-")
    broker = Broker(workdir).start()
    bridge = None
    try:
        create_topic(broker.bootstrap, TOPIC, partitions=partitions)
        bridge = Bridge(broker, workdir, BRIDGE_JWT_SECRET, extra_args=extra_args).start()
        yield broker, bridge
    finally:
        if bridge is not None:
            status = bridge.stop()
            if check_exit:
                assert status == 0, bridge.log()[-2000:]
        broker.stop()


# ---------------------------------------------------------------- metrics


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)')


def metric(text: str, name: str, **labels: str) -> float | None:
    """Sum of the samples of `name` whose labels include `labels`; None when there is none."""
    total = None
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(3) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total = (total or 0.0) + float(match.group(4))
    return total


# ---------------------------------------------------------------- the /ws JSON client


class Closed(Exception):
    def __init__(self, code: int | None, reason: str = ""):
        super().__init__(f"closed with {code} {reason!r}")
        self.code = code
        self.reason = reason


class WsClient:
    """A /ws client on websocket-client. Answers pings, keeps every JSON message it read
    in `received`, raises `Closed(code)` when the server closes."""

    def __init__(self, base_url: str, token: str | None = None, since: str | None = None, path: str = "/ws",
                 headers: list[str] | None = None, timeout: float = 10):
        query = []
        if token is not None:
            query.append("token=" + quote(token, safe=""))
        if since is not None:
            query.append("since=" + quote(since, safe=""))
        self.url = base_url + path + ("?" + "&".join(query) if query else "")
        self.ws = websocket.create_connection(self.url, header=headers or [], timeout=timeout)
        self.received: list[dict] = []
        self.close_code: int | None = None

    def __enter__(self) -> "WsClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def send_json(self, message) -> None:
        self.ws.send(json.dumps(message))

    def send_text(self, text: str) -> None:
        self.ws.send(text)

    def send_binary(self, data: bytes) -> None:
        self.ws.send_binary(data)

    def recv(self, timeout: float = 10) -> dict:
        """The next JSON message (text frame)."""
        if self.close_code is not None:
            raise Closed(self.close_code)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no message within {timeout}s")
            self.ws.settimeout(left)
            try:
                opcode, data = self.ws.recv_data_frame(control_frame=True)
            except websocket.WebSocketTimeoutException as error:
                raise TimeoutError(f"no message within {timeout}s") from error
            except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError) as error:
                self.close_code = self.close_code or -1
                raise Closed(None, f"connection lost: {error}") from error
            payload = data.data if hasattr(data, "data") else data
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                self.close_code = code
                raise Closed(code, payload[2:].decode(errors="replace"))
            if opcode == websocket.ABNF.OPCODE_TEXT:
                text = payload.decode() if isinstance(payload, (bytes, bytearray)) else payload
                message = json.loads(text)
                self.received.append(message)
                check_plain_message(message)
                return message
            if opcode == websocket.ABNF.OPCODE_BINARY:
                raise AssertionError(f"the server sent a binary frame: {payload!r}"[:300])
            # ping/pong: answered by websocket-client; keep reading

    def next(self, type_: str, timeout: float = 10, room: str | None = None) -> dict:
        """The next message of this type (and room), skipping others (e.g. live events of other tests)."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.recv(max(0.01, deadline - time.monotonic()))
            if message.get("type") == type_ and (room is None or message.get("room") == room):
                return message

    def until(self, predicate, timeout: float = 10) -> list[dict]:
        """Reads until `predicate(message)` holds; returns every message read, the matching one last."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            message = self.recv(max(0.01, deadline - time.monotonic()))
            seen.append(message)
            if predicate(message):
                return seen

    def events_for(self, call_ids, count: int, timeout: float = 15, settle: float = 0.0) -> list[dict]:
        """Event frames whose call is one of `call_ids`, until `count` of them were read
        (then `settle` seconds more, to catch extras)."""
        call_ids = set(call_ids)
        found = []
        deadline = time.monotonic() + timeout
        while len(found) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{len(found)} of {count} events arrived within {timeout}s: "
                                   f"{[(f['event']['type'], f['event']['subject']) for f in found]}")
            message = self.recv(left)
            if message.get("type") == "event" and event_call_id(message) in call_ids:
                found.append(message)
        settle_until = time.monotonic() + settle
        while time.monotonic() < settle_until:
            try:
                message = self.recv(max(0.01, settle_until - time.monotonic()))
            except TimeoutError:
                break
            if message.get("type") == "event" and event_call_id(message) in call_ids:
                found.append(message)
        return found

    def drain(self, seconds: float) -> list[dict]:
        """Whatever arrives within `seconds`."""
        out = []
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return out
            try:
                out.append(self.recv(left))
            except TimeoutError:
                return out

    def wait_close(self, timeout: float = 10) -> int | None:
        """Reads (and discards) until the server's close frame; returns its code."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.recv(max(0.01, deadline - time.monotonic()))
            except Closed as closed:
                return closed.code

    def close(self) -> None:
        try:
            self.ws.close(timeout=1)
        except Exception:  # noqa: BLE001 - already gone
            pass


def event_call_id(frame: dict) -> str | None:
    event = frame.get("event") or {}
    return (event.get("data") or {}).get("callId") or event.get("subject")


# ---------------------------------------------------------------- what subscribers receive, against docs/schema/
#
# Every message the tests read from the Bridge goes through one of these (the schemas and
# the checker are in harness.py, which also checks the Kafka records Ingest published).


def _violation(message: str) -> None:
    CONTRACT_VIOLATIONS.append(message)
    raise ContractViolation(message)


def _check_event_in_room(event: dict, room: str, what: str) -> None:
    """What the schema cannot say of an event it accepted: the subject is the call id, and an
    event of a client room is that client's."""
    if event["subject"] != event["data"]["callId"]:
        _violation(f"{what}: subject {event['subject']!r} is not data.callId {event['data']['callId']!r}")
    if room != "admin" and room != "client:" + event["data"]["clientId"]:
        _violation(f"{what}: an event of client {event['data']['clientId']!r} in room {room!r}")


@functools.lru_cache(maxsize=100_000)
def _call_entry_problems(entry_json: str) -> tuple[str, ...]:
    return tuple(contract_problems(json.loads(entry_json), CALL_EVENT_SCHEMA + "#/$defs/callDetails"))


def _without_snapshot_calls(snapshot, what: str):
    """Checks the entries of a snapshot's `activeCalls` and `recentCalls` (each distinct entry
    once: an admin room's snapshots repeat thousands of them) and returns the snapshot with
    both lists emptied, for the schema check of the rest."""
    if not isinstance(snapshot, dict):
        return snapshot
    rest = dict(snapshot)
    for key in ("activeCalls", "recentCalls"):
        calls = snapshot.get(key)
        if not isinstance(calls, list):
            continue
        for index, entry in enumerate(calls):
            problems = _call_entry_problems(json.dumps(entry))
            if problems:
                _violation(f"{what}: {key}/{index} does not conform to docs/schema/{CALL_EVENT_SCHEMA}#/$defs/callDetails: "
                           f"{list(problems)}; got {json.dumps(entry)[:1000]}")
        if key == "recentCalls" and len(calls) > 20:
            _violation(f"{what}: {len(calls)} recentCalls, more than 20")
        rest[key] = []
    return rest


_PLAIN_TYPES = {"snapshot": "plainSnapshot", "event": "plainEvent", "resumed": "plainResumed", "left": "plainLeft",
                "error": "plainError"}


def check_plain_message(message) -> None:
    """A message the Bridge sent on /ws (or the data of an SSE message)."""
    # The one branch of plainServerMessage its type selects (faster than trying all); the
    # union for anything else, so the error says what is wrong.
    kind = message.get("type") if isinstance(message, dict) else None
    branch = _PLAIN_TYPES.get(kind, "plainServerMessage") if isinstance(kind, str) else "plainServerMessage"
    rest = _without_snapshot_calls(message, "a /ws snapshot") if kind == "snapshot" else message
    check_against(rest, BRIDGE_MESSAGES + "#/$defs/" + branch, "a /ws message")
    if message["type"] == "event":
        _check_event_in_room(message["event"], message["room"], "the event of a /ws message")


def check_sse_message(message: dict) -> None:
    """A Server-Sent Events message as parsed into its fields (`id`, `event`, `data`)."""
    name, data = message.get("event"), json.loads(message.get("data", "null"))
    branch = {"snapshot": "plainSnapshot", "event": "plainEvent"}.get(data.get("type") if isinstance(data, dict) else None, "sseData")
    rest = _without_snapshot_calls(data, "an SSE snapshot") if branch == "plainSnapshot" else data
    check_against(rest, BRIDGE_MESSAGES + "#/$defs/" + branch, f"the data of an SSE {name!r} message")
    expected = "snapshot" if data["type"] == "snapshot" else data["event"]["type"]
    if name != expected:
        _violation(f"an SSE message named {name!r} carries a {expected!r}: {message}"[:1000])
    if data["type"] == "event":
        _check_event_in_room(data["event"], data["room"], "the event of an SSE message")
    ident = message.get("id", "")
    positions = dict(part.split("~", 1) for part in ident.split(",")) if "~" in ident else {data["room"]: ident}
    if positions.get(data["room"]) != data["position"]:
        _violation(f"an SSE message's id {ident!r} does not name its room's position {data['position']!r}")


_SOCKETIO_PAYLOADS = {"calls:snapshot": "socketIOSnapshot", "call:started": "socketIOStartedCall", "call:ended": "socketIOCall"}


def check_socketio_event(name: str, payload, offset) -> None:
    """The arguments of a Socket.IO event the Bridge emitted (`42[name, payload, offset]`)."""
    if name == "calls:snapshot":
        payload = _without_snapshot_calls(payload, "a Socket.IO calls:snapshot")
    branch = _SOCKETIO_PAYLOADS.get(name)
    if branch is None:  # not an event the Bridge emits: the union says so
        check_against([name, payload, offset], BRIDGE_MESSAGES + "#/$defs/socketIOEvent", f"a Socket.IO {name!r} event")
        return
    # The branch of socketIOEvent the name selects, argument by argument (clearer errors).
    check_against(payload, BRIDGE_MESSAGES + "#/$defs/" + branch, f"the payload of a Socket.IO {name!r} event")
    check_against(offset, BRIDGE_MESSAGES + "#/$defs/position", f"the offset of a Socket.IO {name!r} event")


def socketio_handler(name: str, sink):
    """A python-socketio handler of event `name` that checks the event, then calls
    `sink(name, payload, offset)`. It runs on the client's thread, where a raise is only
    logged: a violation is recorded in CONTRACT_VIOLATIONS and conftest fails the test."""
    def handle(payload=None, offset=None):
        try:
            check_socketio_event(name, payload, offset)
        except ContractViolation:
            pass  # recorded
        sink(name, payload, offset)
    return handle


def check_socketio_packet(packet: str) -> str:
    """An Engine.IO packet the Bridge sent (WebSocket frame or one of a polling answer's
    packets); returns it."""
    kind = packet[:1]
    if kind == "0":
        check_against(json.loads(packet[1:]), BRIDGE_MESSAGES + "#/$defs/engineIOOpen", "an Engine.IO open packet")
    elif packet.startswith("40"):
        check_against(json.loads(packet[2:]), BRIDGE_MESSAGES + "#/$defs/socketIOConnected", "a Socket.IO CONNECT answer")
    elif packet.startswith("44"):
        body = packet[2:].split(",", 1)[1] if packet.startswith("44/") else packet[2:]
        check_against(json.loads(body), BRIDGE_MESSAGES + "#/$defs/socketIOConnectError", "a Socket.IO CONNECT_ERROR")
    elif packet.startswith("42"):
        arguments = json.loads(packet[2:])
        if isinstance(arguments, list) and len(arguments) == 3 and isinstance(arguments[0], str):
            check_socketio_event(*arguments)
        else:
            check_against(arguments, BRIDGE_MESSAGES + "#/$defs/socketIOEvent", "a Socket.IO event")
    elif not re.fullmatch(r"[1236]|3probe|41|43(/[^,]*,)?[0-9]+\[\]", packet):
        _violation(f"not a packet the Bridge sends: {packet[:300]!r}")
    return packet


def polled_packets(text: str) -> list[str]:
    """The packets of a long-polling answer (joined by \\x1e), each checked."""
    return [check_socketio_packet(packet) for packet in text.split("\x1e")]


# ---------------------------------------------------------------- raw sockets


class RawResponse:
    def __init__(self, status: int, headers: dict[str, str], body: bytes, sock: socket.socket, leftover: bytes):
        self.status = status
        self.headers = headers
        self.body = body
        self.sock = sock
        self.leftover = leftover


def raw_upgrade(host: str, port: int, path: str, headers: dict[str, str] | None = None,
                rcvbuf: int | None = None, timeout: float = 10) -> RawResponse:
    """Sends a WebSocket upgrade request by hand. With `rcvbuf`, SO_RCVBUF is set before
    connecting (so the TCP window stays small). Returns the status, headers, the body of
    a non-101 answer and the socket (still open)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(timeout)
    sock.connect((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode(errors="replace").split("\r\n")
    status = int(status_line.split()[1]) if len(status_line.split()) > 1 else 0
    parsed = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        parsed[name.strip().lower()] = value.strip()
    body = b""
    if status != 101:
        length = int(parsed.get("content-length", "0") or 0)
        body = rest
        try:
            while len(body) < length:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                body += chunk
        except socket.timeout:
            pass
        rest = b""
    return RawResponse(status, parsed, body, sock, rest)


def client_frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """A masked client frame."""
    mask = os.urandom(4)
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + masked


class FrameReader:
    """Parses the server's (unmasked) frames from a raw socket."""

    def __init__(self, sock: socket.socket, leftover: bytes = b""):
        self.sock = sock
        self.buffer = bytearray(leftover)
        self.eof = False

    def _fill(self, deadline: float) -> bool:
        left = deadline - time.monotonic()
        if left <= 0 or self.eof:
            return False
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(1 << 16)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            self.eof = True
            return False
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        return True

    def next_frame(self, deadline: float):
        """(opcode, payload) or None at EOF/deadline."""
        while True:
            frame = self._parse()
            if frame is not None:
                return frame
            if not self._fill(deadline):
                return None

    def _parse(self):
        b = self.buffer
        if len(b) < 2:
            return None
        opcode = b[0] & 0x0F
        masked = b[1] & 0x80
        n = b[1] & 0x7F
        pos = 2
        if n == 126:
            if len(b) < 4:
                return None
            n = struct.unpack("!H", bytes(b[2:4]))[0]
            pos = 4
        elif n == 127:
            if len(b) < 10:
                return None
            n = struct.unpack("!Q", bytes(b[2:10]))[0]
            pos = 10
        mask = None
        if masked:
            if len(b) < pos + 4:
                return None
            mask = bytes(b[pos:pos + 4])
            pos += 4
        if len(b) < pos + n:
            return None
        payload = bytes(b[pos:pos + n])
        if mask:
            payload = bytes(x ^ mask[i % 4] for i, x in enumerate(payload))
        del b[:pos + n]
        return opcode, payload
