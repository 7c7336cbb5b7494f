"""Tenant isolation (issue #9): a client id is what Ingest accepts, 1 to 128 characters of
[A-Za-z0-9._-], compared byte for byte. A token with any other clientId is refused at connect
(so KELVIN SIGN + "cme" cannot reach tenant Kcme's room), and a webhook body that names a
member twice (which clientId?) is a 400 that publishes nothing."""

import json

import pytest
import requests
import websocket

import signing
from bridge_clients import (WsClient, admin_token, client_token, cloud_event, event_call_id, metric, new_id, post_call,
                            produce_events, raw_upgrade)
from conftest import TOPIC
from test_bridge_auth import assert_refused

RULE = "1–128 characters of A-Z, a-z, 0-9"

NON_CANONICAL_CLIENT_IDS = {
    "path traversal": "../admin",
    "list": "acme,globex",
    "wildcard": "*",
    "room name": "client:acme",
    "full-width letters": "\uff41\uff43\uff4d\uff45",
    "RTL override": "\u202eemca",
    "KELVIN SIGN": "\u212acme",
    "decomposed e-acute": "cafe\u0301",
    "empty": "",
    "129 characters": "x" * 129,
}


@pytest.mark.parametrize("case", list(NON_CANONICAL_CLIENT_IDS))
def test_token_with_non_canonical_client_id_is_refused_on_ws(bridge, case):
    response = raw_upgrade("127.0.0.1", bridge.port, f"/ws?token={client_token(NON_CANONICAL_CLIENT_IDS[case])}")
    try:
        assert_refused(response, f"/ws with clientId {case}")
        if NON_CANONICAL_CLIENT_IDS[case]:
            assert RULE in json.loads(response.body)["error"], response.body
    finally:
        response.sock.close()


@pytest.mark.parametrize("case", list(NON_CANONICAL_CLIENT_IDS))
def test_token_with_non_canonical_client_id_is_refused_on_socketio(bridge, case):
    bad = client_token(NON_CANONICAL_CLIENT_IDS[case])
    # In the query: refused before the upgrade.
    response = raw_upgrade("127.0.0.1", bridge.port, f"/socket.io/?EIO=4&transport=websocket&token={bad}")
    try:
        assert_refused(response, f"/socket.io/ with clientId {case}")
    finally:
        response.sock.close()
    # In the CONNECT packet's auth: a connect error.
    ws = websocket.create_connection(bridge.ws_url + "/socket.io/?EIO=4&transport=websocket", timeout=10)
    try:
        assert ws.recv().startswith("0")
        ws.send("40" + json.dumps({"token": bad}))
        refused = ws.recv()
        assert refused.startswith("44"), f"clientId {case}: CONNECT answered {refused!r}"
        assert "message" in json.loads(refused[2:]), refused
    finally:
        ws.close()


def test_kelvin_sign_token_never_receives_tenant_kcmes_events(bridge, ingest):
    """U+212A KELVIN SIGN is canonically equivalent to K: compared as Swift strings,
    client:\u212acme was the room client:Kcme."""
    call = new_id("kcme")
    try:
        impostor = WsClient(bridge.ws_url, client_token("\u212acme"))
    except websocket.WebSocketBadStatusException as refused:
        assert refused.status_code == 401
        impostor = None
    try:
        with WsClient(bridge.ws_url, client_token("Kcme")) as tenant:
            assert tenant.next("snapshot")["room"] == "client:Kcme"
            post_call(ingest, "started", call, "Kcme")
            assert [event_call_id(frame) for frame in tenant.events_for({call}, 1)] == [call]
        if impostor is not None:
            impostor.drain(1.0)
            leaked = [m for m in impostor.received if m.get("type") == "event" and event_call_id(m) == call]
            assert not leaked, f"a KELVIN SIGN token received tenant Kcme's call: {leaked}"
            pytest.fail(f"a KELVIN SIGN token was accepted: {impostor.received[:1]}")
    finally:
        if impostor is not None:
            impostor.close()


def test_event_from_another_producer_with_a_non_canonical_client_id_reaches_no_room(broker, bridge):
    """Skipped and counted as an invalid record (docs/bridge.md): no client room, not admin either."""
    from confluent_kafka import Producer

    call = new_id("kelvin-event")
    # One call id, so one key and partition: the marker is consumed after the impostor.
    impostor, marker = cloud_event("started", call, "\u212acme"), cloud_event("started", call, "Kcme")
    before = metric(bridge.metrics(), "callbridge_bridge_invalid_records_total") or 0
    with WsClient(bridge.ws_url, client_token("Kcme")) as tenant, WsClient(bridge.ws_url, admin_token()) as admin:
        tenant.next("snapshot")
        admin.next("snapshot")
        produce_events(Producer({"bootstrap.servers": broker.bootstrap, "acks": "all"}), TOPIC, [impostor, marker])
        for client in (tenant, admin):
            frames = client.until(lambda m: m.get("type") == "event" and m["event"]["id"] == marker["id"], timeout=15)
            leaked = [m for m in frames if m.get("type") == "event" and m["event"]["id"] == impostor["id"]]
            assert not leaked, f"an event with clientId KELVIN SIGN + cme was delivered: {leaked}"
    assert (metric(bridge.metrics(), "callbridge_bridge_invalid_records_total") or 0) >= before + 1


def test_generic_webhook_with_a_repeated_client_id_is_400_and_publishes_nothing(ingest, lifecycle, dead_letters):
    call = new_id("dup-key")
    body = (b'{"type":"call.started","callId":"%s","clientId":"acme","from":"+14155554321","clientId":"globex"}'
            % call.encode())
    response = requests.post(ingest.url + "/webhooks/generic", data=body, headers=signing.generic(body), timeout=10)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert 'member "clientId" appears more than once' in response.json()["error"], response.text
    assert lifecycle.read(1, timeout=1.0, key=call) == [], "an ambiguous body reached the lifecycle topic"
    # Authentic and unparseable: dead-lettered like any other 400 (docs/ingest.md), numbers masked.
    [letter] = dead_letters.read(1)
    assert b"clientId" in letter.value() and b"5554321" not in letter.value()


class _RepeatedParams(dict):
    """Form parameters with repeated names, as twilio-python's validator reads Django's QueryDict."""

    def __init__(self, pairs):
        super().__init__()
        for name, value in pairs:
            self.setdefault(name, []).append(value)

    def getlist(self, name):
        return self[name]


def test_twilio_form_with_a_repeated_call_status_is_400(ingest, lifecycle):
    call = "CA" + new_id("dup").replace("-", "")
    pairs = [("CallSid", call), ("CallStatus", "completed"), ("CallStatus", "in-progress"), ("From", "+14155554321")]
    path = "/webhooks/twilio?clientId=acme"
    response = requests.post(ingest.url + path, data=pairs, headers=signing.twilio(path, _RepeatedParams(pairs)), timeout=10)
    assert response.status_code == 400, response.text
    assert "CallStatus is given more than once" in response.json()["error"], response.text
    assert lifecycle.read(1, timeout=1.0, key=call) == []
