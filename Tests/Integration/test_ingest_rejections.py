"""Every bad-input class of the contract gets its status and a clear `error`, and the
lifecycle topic gains nothing. Authentic deliveries that cannot be normalized are
dead-lettered, raw except for masked phone numbers, with the reason in a header."""

import time
import uuid

import pytest
import requests

import signing
from harness import headers


def post(ingest, path, body, headers_):
    return requests.post(ingest.url + path, data=body, headers=headers_, timeout=10)


def expect_error(response, status: int, words: str):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert isinstance(error, str) and len(error) > 10
    assert words.lower() in error.lower(), error


def generic_body(**overrides):
    document = {"type": "call.started", "callId": "gen-" + uuid.uuid4().hex[:8], "clientId": "acme",
                "timestamp": "2026-01-27T16:12:11Z", "from": "+14155554321", "to": "+14155551212"}
    document.update(overrides)
    return signing.compact({k: v for k, v in document.items() if v is not None})


BAD_INPUTS = [
    # name, provider path, body, headers factory, status, words in the error
    ("missing generic signature", "/webhooks/generic", generic_body(), lambda b: {"Content-Type": "application/json"}, 401, "signature"),
    ("wrong generic secret", "/webhooks/generic", generic_body(), lambda b: signing.generic(b, secret="not-the-secret"), 401, "signature"),
    ("stale generic timestamp", "/webhooks/generic", generic_body(), lambda b: signing.generic(b, timestamp=int(time.time()) - 3600), 401, "timestamp"),
    ("future generic timestamp", "/webhooks/generic", generic_body(), lambda b: signing.generic(b, timestamp=int(time.time()) + 3600), 401, "timestamp"),
    ("wrong vapi secret", "/webhooks/vapi", signing.compact({"message": {"type": "status-update"}}), lambda b: signing.vapi("nope"), 401, "secret"),
    ("missing vapi secret", "/webhooks/vapi", signing.compact({"message": {"type": "status-update"}}), lambda b: {"Content-Type": "application/json"}, 401, ""),
    ("retell signed with another key", "/webhooks/retell", signing.compact({"event": "call_started", "call": {"call_id": "x"}}),
     lambda b: signing.retell(b, key="key_other"), 401, "signature"),
    ("stale retell timestamp", "/webhooks/retell", signing.compact({"event": "call_started", "call": {"call_id": "x"}}),
     lambda b: signing.retell(b, timestamp_ms=int(time.time() * 1000) - 10 * 60 * 1000), 401, ""),
    ("telnyx stale timestamp", "/webhooks/telnyx", signing.compact({"data": {"event_type": "call.answered"}}),
     lambda b: signing.telnyx(b, timestamp=int(time.time()) - 3600), 401, ""),
    ("twilio wrong signature", "/webhooks/twilio?clientId=acme", b"CallSid=CA1&CallStatus=completed",
     lambda b: {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl", "Content-Type": "application/x-www-form-urlencoded"}, 401, "signature"),
    ("wrong content type", "/webhooks/generic", generic_body(), lambda b: {**signing.generic(b), "Content-Type": "text/plain"}, 415, "content type"),
    ("no content type", "/webhooks/retell", b"{}", lambda b: {}, 415, "content type"),
    ("twilio as json without bodySHA256", "/webhooks/vapi", b"a=b", lambda b: {**signing.vapi(), "Content-Type": "application/x-www-form-urlencoded"}, 415, ""),
    ("oversized body", "/webhooks/generic", b"{" + b" " * (70 * 1024) + b"}", lambda b: signing.generic(b), 413, "limit"),
    ("unknown provider", "/webhooks/zoom", generic_body(), lambda b: signing.generic(b), 404, "unknown provider"),
]


@pytest.mark.parametrize("name,path,body,make_headers,status,words", BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_changes_nothing(ingest, lifecycle, dead_letters, name, path, body, make_headers, status, words):
    response = post(ingest, path, body, make_headers(body))
    expect_error(response, status, words)
    assert lifecycle.read(1, timeout=0.5, settle=0.3) == [], "a rejected webhook reached the lifecycle topic"
    assert dead_letters.read(1, timeout=0.3, settle=0.2) == [], "an unauthenticated delivery was dead-lettered"


def test_malformed_json_is_400_and_dead_lettered(ingest, lifecycle, dead_letters):
    body = b'{"type":"call.started","callId":"x","from":"+14155554321",'
    response = post(ingest, "/webhooks/generic", body, signing.generic(body))
    expect_error(response, 400, "")
    assert lifecycle.read(1, timeout=0.5) == []
    [letter] = dead_letters.read(1)
    letter_headers = headers(letter)
    assert letter_headers["x-callbridge-provider"] == "generic"
    assert len(letter_headers["x-callbridge-reason"]) > 5
    assert b"5554321" not in letter.value(), "a full phone number reached the dead-letter topic"
    assert letter.value().replace(b"*", b"") != body.replace(b"*", b"") or b"4321" in letter.value()


@pytest.mark.parametrize("missing", ["clientId", "callId"])
def test_missing_required_field_is_422_and_dead_lettered(ingest, lifecycle, dead_letters, missing):
    body = generic_body(**{missing: None})
    response = post(ingest, "/webhooks/generic", body, signing.generic(body))
    expect_error(response, 422, missing)
    assert lifecycle.read(1, timeout=0.5) == []
    [letter] = dead_letters.read(1)
    assert missing.lower() in headers(letter)["x-callbridge-reason"].lower()


def test_twilio_without_client_id_is_422(ingest, lifecycle):
    params = {"CallSid": "CA" + uuid.uuid4().hex, "From": "+14155554321", "To": "+14155551212", "CallStatus": "completed"}
    path = "/webhooks/twilio"
    response = requests.post(ingest.url + path, data=params, headers=signing.twilio(path, params), timeout=10)
    expect_error(response, 422, "clientId")
    assert lifecycle.read(1, timeout=0.5) == []


def test_twilio_signature_is_over_the_public_url_not_the_local_one(ingest, lifecycle):
    """Ingest sits behind a proxy: a signature over its local URL must not pass."""
    from twilio.request_validator import RequestValidator

    params = {"CallSid": "CA" + uuid.uuid4().hex, "CallStatus": "completed", "From": "+14155554321"}
    path = "/webhooks/twilio?clientId=acme"
    local = RequestValidator(signing.SECRETS["TWILIO_AUTH_TOKEN"]).compute_signature(ingest.url + path, params)
    response = requests.post(ingest.url + path, data=params, headers={"X-Twilio-Signature": local}, timeout=10)
    expect_error(response, 401, "signature")
    # And with the default port added, as Twilio's own validator accepts:
    with_port = "https://hooks.example.com:443" + path
    signature = RequestValidator(signing.SECRETS["TWILIO_AUTH_TOKEN"]).compute_signature(with_port, params)
    response = requests.post(ingest.url + path, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)
    assert response.status_code == 202, response.text
