"""Attacks on the two doors: dashboard tokens that must never open a WebSocket (the cases
test_bridge_auth.py does not already cover), and signed webhooks replayed after their
signature's tolerance, for the three providers whose signatures carry a timestamp. Each is
refused with a clear error and changes nothing."""

import base64
import hashlib
import hmac
import json
import time

import pytest
import requests

import signing
from bridge_clients import (WsClient, client_token, event_call_id, generic_body, new_id, post_call, raw_upgrade,
                            token)
from conftest import BRIDGE_JWT_SECRET, PUBLIC_BASE_URL, SECRETS, TOPIC
from harness import Ingest, TopicReader
from test_bridge_auth import assert_refused


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_signed(header: dict, payload: dict, key: bytes = BRIDGE_JWT_SECRET.encode(), digest=hashlib.sha256) -> str:
    """A JWT put together by hand: whatever header, HMAC over it with `key`."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
    signature = hmac.new(key, signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64url(signature)}"


def forged_role() -> str:
    """A real client token whose payload was swapped for an admin one, signature kept."""
    header, _, signature = client_token("acme").split(".")
    payload = b64url(json.dumps({"role": "admin", "exp": int(time.time()) + 600}).encode())
    return f"{header}.{payload}.{signature}"


EXPIRY = {"exp": int(time.time()) + 3600}
ATTACKS = {
    "HS384 with the right key": lambda: token("admin", algorithm="HS384"),
    "RS256 header, HMAC with the secret as key": lambda: hand_signed({"alg": "RS256", "typ": "JWT"}, {"role": "admin", **EXPIRY}),
    "ES256 header, HMAC with the secret as key": lambda: hand_signed({"alg": "ES256", "typ": "JWT"}, {"role": "admin", **EXPIRY}),
    "lowercase hs256": lambda: hand_signed({"alg": "hs256", "typ": "JWT"}, {"role": "admin", **EXPIRY}),
    "alg none, signature kept": lambda: hand_signed({"alg": "none", "typ": "JWT"}, {"role": "admin", **EXPIRY}),
    "forged role": forged_role,
    "empty key": lambda: hand_signed({"alg": "HS256", "typ": "JWT"}, {"role": "admin", **EXPIRY}, key=b""),
    "exp as a string": lambda: hand_signed({"alg": "HS256", "typ": "JWT"}, {"role": "admin", "exp": str(EXPIRY["exp"])}),
    "role in another case": lambda: token("Admin"),
    "client id as a number": lambda: hand_signed({"alg": "HS256", "typ": "JWT"}, {"role": "client", "clientId": 7, **EXPIRY}),
    "two tokens joined": lambda: client_token("acme") + "." + client_token("globex"),
}


@pytest.mark.parametrize("case", list(ATTACKS))
def test_attack_token_gets_401_and_no_upgrade(bridge, case):
    for path in ("/ws?token=", "/socket.io/?EIO=4&transport=websocket&token="):
        response = raw_upgrade("127.0.0.1", bridge.port, path + ATTACKS[case]())
        try:
            assert_refused(response, f"{path.split('?')[0]} with {case}")
        finally:
            response.sock.close()


def test_a_client_cannot_read_another_tenant_through_join_since_or_room_spelling(bridge, ingest):
    """Room names that only look like another tenant's are refused, and a `since` taken in
    one room gives nothing of another."""
    victim = new_id("victim")
    with WsClient(bridge.ws_url, client_token(new_id("attacker"))) as attacker, \
         WsClient(bridge.ws_url, client_token(victim)) as watcher:
        attacker.next("snapshot")
        position = watcher.next("snapshot")["position"]
        for room in (f"client:{victim}", f"client:{victim.upper()}", f"client:{victim} ", f"client:{victim}\u200b",
                     "admin", "client:*", f"client:../{victim}"):
            attacker.send_json({"type": "join", "room": room, "since": position})
            reply = attacker.next("error")
            assert reply["code"] in ("forbidden", "unknown_room", "bad_request"), reply
        call = new_id("secret-call")
        post_call(ingest, "started", call, victim)
        assert [event_call_id(m) for m in watcher.events_for({call}, 1)] == [call]
        leaked = [m for m in attacker.drain(1.0) if m.get("type") == "event"]
        assert not leaked, f"the attacker received another tenant's events: {leaked}"


@pytest.fixture(scope="module")
def strict_ingest(broker, workdir):
    """An Ingest whose signatures are valid for 2 s only, so a replay is soon outside it."""
    ingest = Ingest(broker, workdir, SECRETS, extra_env={"PUBLIC_BASE_URL": PUBLIC_BASE_URL},
                    extra_args=["--signature-tolerance-seconds", "2"]).start()
    yield ingest
    ingest.stop()


def signed_delivery(provider: str) -> tuple[str, bytes, dict]:
    call = new_id(f"replay-{provider}")
    client = new_id("replayed")
    if provider == "generic":
        body = generic_body("started", call, client)
        return "/webhooks/generic", body, signing.generic(body)
    if provider == "retell":
        body = signing.compact({"event": "call_started", "call": {"call_id": call, "from_number": "+14155554321",
                                "to_number": "+14155551212", "direction": "inbound", "metadata": {"clientId": client}}})
        return "/webhooks/retell", body, signing.retell(body)
    body = signing.compact({"data": {"event_type": "call.answered", "id": new_id("evt"), "occurred_at": "2026-01-01T00:00:00Z",
                                     "payload": {"call_control_id": call, "from": "+14155554321", "to": "+14155551212",
                                                 "direction": "incoming",
                                                 "client_state": base64.b64encode(client.encode()).decode()}}})
    return "/webhooks/telnyx", body, signing.telnyx(body)


@pytest.mark.parametrize("provider", ["generic", "retell", "telnyx"])
def test_a_delivery_replayed_after_its_tolerance_is_refused_and_publishes_nothing(strict_ingest, broker, provider):
    path, body, headers = signed_delivery(provider)
    first = requests.post(strict_ingest.url + path, data=body, headers=headers, timeout=10)
    assert first.status_code == 202, f"the original delivery: {first.status_code} {first.text}"
    reader = TopicReader(broker.bootstrap, TOPIC)
    try:
        reader.mark()
        time.sleep(3.5)  # past the 2 s tolerance (and its second of rounding)
        replay = requests.post(strict_ingest.url + path, data=body, headers=headers, timeout=10)
        assert replay.status_code == 401, f"a replay after the tolerance: {replay.status_code} {replay.text}"
        assert replay.json()["error"]
        assert reader.read(count=1, timeout=1.0, settle=0.5) == [], "a refused replay published something"
    finally:
        reader.close()
