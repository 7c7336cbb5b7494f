"""Socket.IO v4 compatibility: python-socketio's own client (websocket transport, auth
payload) gets `calls:snapshot`, then `call:started`/`call:ended` of its room with masked
numbers; a bad token is a connect error."""

import json
import queue
import threading
import time

import pytest
import requests
import socketio
import websocket

from bridge_clients import (FROM_MASKED, TO_MASKED, FrameReader, WsClient, admin_token, check_socketio_packet, client_token,
                            metric, new_id, post_call, raw_upgrade, socketio_handler)
from conftest import BRIDGE_JWT_SECRET
from harness import Bridge


def connect(bridge, token: str, names=("calls:snapshot", "call:started", "call:ended"), transports=("websocket",)):
    """python-socketio's client; `transports=None` is its default (polling, then upgrade).
    Each event's last argument is the recovery offset (Socket.IO connection-state recovery).
    Every event is checked against docs/schema/ (bridge_clients.socketio_handler)."""
    sio = socketio.Client(reconnection=False)
    received: queue.Queue = queue.Queue()
    for name in names:
        sio.on(name, socketio_handler(name, lambda n, data, offset: received.put((n, data))))
    sio.connect(bridge.url, transports=list(transports) if transports else None, auth={"token": token}, wait_timeout=10)
    return sio, received


def take(received: queue.Queue, name: str, timeout: float = 10, call_id: str | None = None):
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no {name} (call {call_id}) within {timeout}s")
        got, data = received.get(timeout=left)
        if got == name and (call_id is None or (data or {}).get("callId") == call_id):
            return data


def test_socketio_client_gets_snapshot_then_its_rooms_calls(bridge, ingest):
    client_id = new_id("sio")
    call, other_call = new_id("sio-call"), new_id("sio-other")
    sio, received = connect(bridge, client_token(client_id))
    try:
        assert sio.connected
        first_name, snapshot = received.get(timeout=10)
        assert first_name == "calls:snapshot", f"first event after CONNECT: {first_name}"
        assert snapshot["room"] == f"client:{client_id}"
        assert snapshot["activeCalls"] == [] and snapshot["recentCalls"] == []

        metrics = bridge.metrics()
        assert (metric(metrics, "callbridge_bridge_connections", protocol="socketio") or 0) >= 1, "socketio connection not counted"

        post_call(ingest, "started", other_call, new_id("sio-elsewhere"))
        post_call(ingest, "started", call, client_id, timestamp=int(time.time()) - 5)
        post_call(ingest, "ended", call, client_id, durationSeconds=5, endReason="completed")
        started = take(received, "call:started", call_id=call)
        ended = take(received, "call:ended", call_id=call)
        for payload in (started, ended):
            assert payload["callId"] == call and payload["clientId"] == client_id
            assert payload["from"] == FROM_MASKED and payload["to"] == TO_MASKED
            assert isinstance(payload.get("timestamp"), str) and payload["timestamp"].endswith("Z")
            assert isinstance(payload.get("eventId"), str) and payload["eventId"]
        assert ended["endReason"] == "completed" and ended["durationSeconds"] == 5
        time.sleep(0.5)
        leftovers = []
        while not received.empty():
            leftovers.append(received.get())
        assert not [x for x in leftovers if (x[1] or {}).get("callId") == other_call], "another client's call leaked"
        assert not [x for x in leftovers if (x[1] or {}).get("callId") == call], f"duplicates: {leftovers}"
    finally:
        sio.disconnect()


def test_socketio_admin_sees_calls_and_snapshot_shows_them(bridge, ingest):
    client_id = new_id("sio-adm")
    call = new_id("sio-adm-call")
    sio, received = connect(bridge, admin_token())
    try:
        snapshot = take(received, "calls:snapshot")
        assert snapshot["room"] == "admin"
        post_call(ingest, "started", call, client_id)
        started = take(received, "call:started", call_id=call)
        assert started["clientId"] == client_id
    finally:
        sio.disconnect()
    # A new socket.io client of that client's room sees the call as active in its snapshot.
    sio, received = connect(bridge, client_token(client_id))
    try:
        snapshot = take(received, "calls:snapshot")
        assert [c["callId"] for c in snapshot["activeCalls"]] == [call]
    finally:
        sio.disconnect()


@pytest.mark.parametrize("bad", ["garbage", "expired", "other secret"])
def test_socketio_bad_token_is_a_connect_error(bridge, bad):
    token = {"garbage": "not-a-token", "expired": admin_token(expires_in=-60),
             "other secret": admin_token(secret="not-the-bridge-secret-0123-0123456789abcdef")}[bad]
    sio = socketio.Client(reconnection=False)
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            sio.connect(bridge.url, transports=["websocket"], auth={"token": token}, wait_timeout=10)
        assert not sio.connected
    finally:
        sio.disconnect()


def test_engineio_open_packet_and_namespaces(bridge):
    """The wire details docs/bridge.md documents, with a plain WebSocket client."""
    ws = websocket.create_connection(bridge.ws_url + "/socket.io/?EIO=4&transport=websocket", timeout=10)
    try:
        opening = check_socketio_packet(ws.recv())
        assert opening.startswith("0"), opening
        handshake = json.loads(opening[1:])
        assert isinstance(handshake.get("sid"), str) and handshake["sid"]
        assert handshake.get("upgrades") == []
        assert handshake.get("pingInterval") == 25000 and handshake.get("pingTimeout") == 20000
        assert handshake.get("maxPayload") == 4096
        ws.send("40/ns," + json.dumps({"token": admin_token()}))
        assert check_socketio_packet(ws.recv()) == '44/ns,{"message":"Invalid namespace"}'
        ws.send("40" + json.dumps({"token": admin_token(expires_in=-60)}))
        refused = check_socketio_packet(ws.recv())
        assert refused.startswith("44") and "message" in json.loads(refused[2:]), refused
        ws.send("40" + json.dumps({"token": client_token("acme")}))
        connected = check_socketio_packet(ws.recv())
        assert connected.startswith("40") and isinstance(json.loads(connected[2:]).get("sid"), str), connected
        snapshot = check_socketio_packet(ws.recv())
        assert snapshot.startswith("42"), snapshot
        name, payload, offset = json.loads(snapshot[2:])
        assert name == "calls:snapshot" and payload["room"] == "client:acme" and isinstance(offset, str)
    finally:
        ws.close()


def test_heartbeats_keep_answering_clients_and_close_silent_ones(broker, ingest, workdir):
    bridge = Bridge(broker, workdir, BRIDGE_JWT_SECRET,
                    extra_args=["--ping-interval-seconds", "1", "--ping-timeout-seconds", "1"]).start()
    try:
        # Engine.IO: the server pings "2"; a client answering "3" stays, one that does not is closed.
        answering = websocket.create_connection(bridge.ws_url + "/socket.io/?EIO=4&transport=websocket", timeout=10)
        silent = websocket.create_connection(bridge.ws_url + "/socket.io/?EIO=4&transport=websocket", timeout=10)
        for ws in (answering, silent):
            opening = json.loads(check_socketio_packet(ws.recv())[1:])
            assert opening["pingInterval"] == 1000 and opening["pingTimeout"] == 1000
            ws.send("40" + json.dumps({"token": admin_token()}))
            assert check_socketio_packet(ws.recv()).startswith("40")
        pings = 0
        deadline = time.monotonic() + 3.5
        while time.monotonic() < deadline:
            answering.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                packet = check_socketio_packet(answering.recv())
            except websocket.WebSocketTimeoutException:
                break
            if packet == "2":
                pings += 1
                answering.send("3")
        assert pings >= 2, f"{pings} Engine.IO pings in 3.5 s at a 1 s interval"
        assert answering.connected
        # The silent one was closed (a close frame, or the connection dropped) meanwhile.
        silent.settimeout(3)
        closed = False
        try:
            while True:
                opcode, _ = silent.recv_data(control_frame=True)
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    closed = True
                    break
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            closed = True
        except websocket.WebSocketTimeoutException:
            closed = False
        assert closed, "an Engine.IO client that never answered pings is still open"
        answering.close()

        # /ws: WebSocket pings; a raw client that never answers is closed, websocket-client (which
        # answers pings) is not.
        good = WsClient(bridge.ws_url, admin_token())
        good.next("snapshot")
        # websocket-client answers a ping when it reads: keep it reading meanwhile.
        good_reader = threading.Thread(target=good.drain, args=(4.0,))
        good_reader.start()
        raw = raw_upgrade("127.0.0.1", bridge.port, f"/ws?token={admin_token()}")
        assert raw.status == 101
        reader = FrameReader(raw.sock, raw.leftover)
        end = time.monotonic() + 6
        saw_ping = False
        while True:
            frame = reader.next_frame(end)
            if frame is None:
                break
            if frame[0] == 0x9:
                saw_ping = True
            if frame[0] == 0x8:
                break
        assert saw_ping, "no WebSocket ping within 6 s at a 1 s interval"
        assert reader.eof or frame is not None and frame[0] == 0x8, "a /ws client that never answered pings is still open"
        raw.sock.close()
        good_reader.join()
        assert good.close_code is None, f"a client answering pings was closed: {good.close_code}"
        good.close()
    finally:
        assert bridge.stop() == 0


def test_emit_with_ack_gets_an_empty_acknowledgement(bridge):
    """Client emits are not part of the API and are ignored, but one that asks for an
    acknowledgement (`emitWithAck`, python-socketio's `call`) gets an empty one instead of
    timing out."""
    sio, received = connect(bridge, admin_token())
    try:
        received.get(timeout=10)  # the snapshot
        assert sio.call("anything", {"x": 1}, timeout=5) is None  # an ack with no arguments
        sio.emit("fire-and-forget", {"x": 2})  # no ack asked: ignored, the socket stays
        assert sio.call("again", timeout=5) is None
        assert sio.connected
    finally:
        sio.disconnect()


def test_a_flood_of_emits_is_a_server_disconnect_not_a_bare_close(bridge):
    """Past the rate limit the server sends Socket.IO's DISCONNECT (41) before closing, so the
    client reports a server disconnect (and does not reconnect by itself)."""
    sio, received = connect(bridge, client_token(new_id("flood")))
    reasons: queue.Queue = queue.Queue()
    sio.on("disconnect", lambda reason=None: reasons.put(reason))
    try:
        received.get(timeout=10)
        for _ in range(300):
            if not sio.connected:
                break
            try:
                sio.emit("spam", {})
            except socketio.exceptions.BadNamespaceError:
                break
        reason = reasons.get(timeout=10)
        assert reason == sio.reason.SERVER_DISCONNECT, reason
    finally:
        if sio.connected:
            sio.disconnect()
