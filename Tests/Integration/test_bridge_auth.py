"""Authentication and room authorization: bad tokens never get an upgrade (401), clients
cannot join other clients' rooms, an admin can; unknown rooms and malformed messages get
errors and the connection stays usable."""

import json
import time

import pytest

from bridge_clients import (WsClient, admin_token, client_token, event_call_id, new_id, post_call, raw_upgrade, token,
                            unsigned_token)

BAD_TOKENS = {
    "no token": lambda: None,
    "garbage": lambda: "not.a.jwt",
    "bad signature": lambda: admin_token(secret="some-other-secret-0123456789-0123456789abcdef"),
    "expired": lambda: admin_token(expires_in=-120),
    "no exp": lambda: admin_token(expires_in=None),
    "alg none": lambda: unsigned_token({"role": "admin", "exp": int(time.time()) + 600}),
    "HS512": lambda: admin_token(algorithm="HS512"),
    "nbf in the future": lambda: admin_token(nbf=int(time.time()) + 3600),
    "client without clientId": lambda: token("client"),
    "unknown role": lambda: token("superuser"),
}


def assert_refused(response, what: str) -> None:
    assert response.status == 401, f"{what}: expected 401 and no upgrade, got {response.status} {response.headers} {response.body[:300]!r}"
    assert response.headers.get("upgrade", "").lower() != "websocket", f"{what}: upgraded anyway"
    try:
        body = json.loads(response.body or b"{}")
    except ValueError:
        pytest.fail(f"{what}: the 401 body is not JSON: {response.body[:300]!r}")
    assert isinstance(body.get("error"), str) and body["error"], f"{what}: no JSON error in {body}"


@pytest.mark.parametrize("case", list(BAD_TOKENS))
def test_bad_token_in_query_gets_401_and_no_upgrade(bridge, case):
    bad = BAD_TOKENS[case]()
    path = "/ws" if bad is None else f"/ws?token={bad}"
    response = raw_upgrade("127.0.0.1", bridge.port, path)
    try:
        assert_refused(response, f"/ws with {case}")
    finally:
        response.sock.close()


@pytest.mark.parametrize("case", ["bad signature", "expired", "alg none"])
def test_bad_token_in_authorization_header_gets_401(bridge, case):
    response = raw_upgrade("127.0.0.1", bridge.port, "/ws", headers={"Authorization": f"Bearer {BAD_TOKENS[case]()}"})
    try:
        assert_refused(response, f"/ws with Authorization: Bearer <{case}>")
    finally:
        response.sock.close()


@pytest.mark.parametrize("case", ["garbage", "bad signature", "expired", "alg none"])
def test_socketio_bad_query_token_gets_401_before_upgrade(bridge, case):
    response = raw_upgrade("127.0.0.1", bridge.port, f"/socket.io/?EIO=4&transport=websocket&token={BAD_TOKENS[case]()}")
    try:
        assert_refused(response, f"/socket.io/ with {case}")
    finally:
        response.sock.close()


def test_valid_token_in_authorization_header_upgrades(bridge):
    with WsClient(bridge.ws_url, headers=[f"Authorization: Bearer {client_token('acme')}"]) as client:
        assert client.next("snapshot")["room"] == "client:acme"


def test_client_cannot_join_another_clients_room_or_admin(bridge):
    with WsClient(bridge.ws_url, client_token("acme")) as acme:
        acme.next("snapshot")
        for room in ("client:globex", "admin"):
            acme.send_json({"type": "join", "room": room, "since": None})
            error = acme.next("error")
            assert error["code"] == "forbidden", f"join {room} with an acme token: {error}"
            assert error.get("room") in (None, room)
            assert isinstance(error.get("message"), str)
        # Still open, still in its own room: a re-join of it is a fresh snapshot.
        acme.send_json({"type": "join", "room": "client:acme", "since": None})
        assert acme.next("snapshot")["room"] == "client:acme"


def test_forbidden_room_receives_no_events(bridge, ingest):
    acme = WsClient(bridge.ws_url, client_token("acme"))
    call = new_id("forbidden-globex")
    try:
        acme.next("snapshot")
        acme.send_json({"type": "join", "room": "client:globex", "since": None})
        assert acme.next("error")["code"] == "forbidden"
        post_call(ingest, "started", call, "globex")
        acme.drain(1.5)
        leaked = [m for m in acme.received if m.get("type") == "event" and event_call_id(m) == call]
        assert not leaked, f"acme received globex's call after a forbidden join: {leaked}"
    finally:
        acme.close()


def test_admin_joins_a_client_room_gets_its_snapshot_and_events_then_leaves(bridge, ingest):
    client_id = new_id("adm-join")
    first, second = new_id("adm-join-call"), new_id("adm-join-call")
    with WsClient(bridge.ws_url, admin_token()) as admin:
        admin.next("snapshot", room="admin")
        post_call(ingest, "started", first, client_id)
        # The first call must be consumed before the room's snapshot can show it.
        admin.events_for({first}, 1)
        admin.send_json({"type": "join", "room": f"client:{client_id}", "since": None})
        snapshot = admin.next("snapshot", room=f"client:{client_id}")
        assert [c["callId"] for c in snapshot["activeCalls"]] == [first], snapshot
        assert snapshot["recentCalls"] == []

        post_call(ingest, "ended", second, client_id, endReason="completed")
        frames = admin.events_for({second}, 2, settle=0.5)
        assert sorted(f["room"] for f in frames) == ["admin", f"client:{client_id}"], "one frame per joined room"

        admin.send_json({"type": "leave", "room": f"client:{client_id}"})
        left = admin.next("left")
        assert left["room"] == f"client:{client_id}"
        third = new_id("adm-join-call")
        post_call(ingest, "started", third, client_id)
        frames = admin.events_for({third}, 1, settle=1.0)
        assert [f["room"] for f in frames] == ["admin"], f"events after leave: {frames}"


def test_unknown_room_and_bad_requests_keep_the_connection_open(bridge):
    with WsClient(bridge.ws_url, admin_token()) as admin:
        admin.next("snapshot")
        cases = [
            ({"type": "join", "room": "lobby", "since": None}, "unknown_room"),
            ({"type": "join", "room": "clients:acme", "since": None}, "unknown_room"),
            ("this is not json", "bad_request"),
            ({"room": "admin"}, "bad_request"),                              # no type
            ({"type": "dance", "room": "admin"}, "bad_request"),             # unknown type
            ({"type": "join", "room": 42, "since": None}, "bad_request"),    # malformed room
            ({"type": "join", "room": "admin", "since": 12345}, "bad_request"),  # malformed since
            ("[1,2,3]", "bad_request"),                                      # JSON, not an object
        ]
        for message, code in cases:
            if isinstance(message, str):
                admin.send_text(message)
            else:
                admin.send_json(message)
            error = admin.next("error")
            assert error["code"] == code, f"{message!r}: expected {code}, got {error}"
            assert isinstance(error.get("message"), str) and error["message"]
        admin.send_binary(b"\x00\x01binary")
        error = admin.next("error")
        assert error["code"] == "bad_request", f"binary frame: {error}"
        # Still open and usable.
        admin.send_json({"type": "join", "room": "client:acme", "since": None})
        assert admin.next("snapshot", room="client:acme")["type"] == "snapshot"
