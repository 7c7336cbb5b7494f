"""Each provider's webhook, signed the way the provider signs it, reaches Kafka as the
contract's CloudEvent: checked field by field on the record read back from the broker."""

import base64
import json
import time
import uuid

import requests

import signing
from harness import decode, headers

CALLER = "+1 (415) 555-4321"
CALLED = "+14155551212"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def assert_envelope(event: dict, record, *, provider: str, type_: str, call_id: str, event_id: str):
    assert record.key().decode() == call_id
    assert headers(record)["content-type"] == "application/cloudevents+json"
    assert event["specversion"] == "1.0"
    assert event["id"] == event_id
    assert event["source"] == f"callbridge/ingest/{provider}"
    assert event["type"] == type_
    assert event["subject"] == call_id
    assert event["datacontenttype"] == "application/json"
    assert list(event) == ["specversion", "id", "source", "type", "time", "subject", "datacontenttype", "data"]
    raw = record.value().decode()
    assert "5554321" not in raw and "5551212" not in raw, "a full phone number reached Kafka"


def post(ingest, path: str, body: bytes, headers_: dict) -> requests.Response:
    return requests.post(ingest.url + path, data=body, headers=headers_, timeout=10)


def test_twilio_status_callback_completed(ingest, lifecycle):
    call_id = "CA" + uuid.uuid4().hex
    params = {
        "CallSid": call_id, "AccountSid": "AC" + "0" * 32, "From": CALLER, "To": CALLED,
        "Caller": CALLER, "Called": CALLED, "Direction": "inbound", "CallStatus": "completed",
        "Timestamp": "Tue, 27 Jan 2026 16:13:00 +0000", "CallDuration": "49", "Duration": "1",
        "SequenceNumber": "3", "CallbackSource": "call-progress-events", "ApiVersion": "2010-04-01",
    }
    path = "/webhooks/twilio?clientId=acme"
    response = requests.post(ingest.url + path, data=params, headers=signing.twilio(path, params), timeout=10)
    assert response.status_code == 202, response.text
    event_id = response.json()["eventId"]

    [record] = lifecycle.read(1, key=call_id)
    event = decode(record)
    assert_envelope(event, record, provider="twilio", type_="call.ended", call_id=call_id, event_id=event_id)
    assert event["time"] == "2026-01-27T16:13:00.000Z"
    assert event["data"] == {
        "callId": call_id, "clientId": "acme", "provider": "twilio", "direction": "inbound",
        "from": "***4321", "to": "***1212", "callerHash": signing.caller_hash(CALLER),
        "startedAt": "2026-01-27T16:12:11.000Z", "endedAt": "2026-01-27T16:13:00.000Z",
        "durationSeconds": 49, "endReason": "completed",
    }


def test_twilio_in_progress_is_call_started_and_retry_keeps_the_event_id(ingest, lifecycle):
    call_id = "CA" + uuid.uuid4().hex
    params = {"CallSid": call_id, "From": CALLER, "To": CALLED, "Direction": "outbound-api",
              "CallStatus": "in-progress", "Timestamp": "Tue, 27 Jan 2026 16:12:11 +0000", "SequenceNumber": "1"}
    path = "/webhooks/twilio?clientId=acme"
    first = requests.post(ingest.url + path, data=params, headers=signing.twilio(path, params), timeout=10)
    retry = requests.post(ingest.url + path, data=params, headers=signing.twilio(path, params), timeout=10)
    assert first.status_code == retry.status_code == 202
    assert first.json()["eventId"] == retry.json()["eventId"], "a provider's retry must yield the same event id"

    records = lifecycle.read(2, key=call_id)
    assert len(records) == 2
    for record in records:
        event = decode(record)
        assert event["type"] == "call.started"
        assert event["id"] == first.json()["eventId"]
        assert event["data"]["direction"] == "outbound"
        assert event["data"]["startedAt"] == "2026-01-27T16:12:11.000Z"
        assert "endedAt" not in event["data"] and "endReason" not in event["data"]


def test_twilio_ringing_is_ignored(ingest, lifecycle):
    call_id = "CA" + uuid.uuid4().hex
    params = {"CallSid": call_id, "From": CALLER, "To": CALLED, "CallStatus": "ringing"}
    path = "/webhooks/twilio?clientId=acme"
    response = requests.post(ingest.url + path, data=params, headers=signing.twilio(path, params), timeout=10)
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert lifecycle.read(1, timeout=1, key=call_id) == []


def test_vapi_end_of_call_report(ingest, lifecycle):
    call_id = unique("vapi")
    body = signing.compact({"message": {
        "type": "end-of-call-report", "endedReason": "customer-ended-call",
        "startedAt": "2026-01-27T16:12:11.000Z", "endedAt": "2026-01-27T16:13:00.000Z",
        "timestamp": 1769530380000,
        "call": {"id": call_id, "type": "inboundPhoneCall", "customer": {"number": CALLER},
                 "phoneNumber": {"number": CALLED}},
        "assistant": {"metadata": {"clientId": "acme"}},
    }})
    response = signing_post(ingest, "/webhooks/vapi", body, signing.vapi())
    assert response.status_code == 202, response.text

    [record] = lifecycle.read(1, key=call_id)
    event = decode(record)
    assert_envelope(event, record, provider="vapi", type_="call.ended", call_id=call_id, event_id=response.json()["eventId"])
    data = event["data"]
    assert data["clientId"] == "acme"
    assert (data["from"], data["to"], data["direction"]) == ("***4321", "***1212", "inbound")
    assert data["callerHash"] == signing.caller_hash(CALLER)
    assert (data["startedAt"], data["endedAt"]) == ("2026-01-27T16:12:11.000Z", "2026-01-27T16:13:00.000Z")
    assert data["durationSeconds"] == 49
    assert data["endReason"] == "customer-ended-call"


def test_vapi_bearer_status_update_in_progress(ingest, lifecycle):
    call_id = unique("vapi")
    body = signing.compact({"message": {
        "type": "status-update", "status": "in-progress", "timestamp": 1769530331000,
        "call": {"id": call_id, "type": "outboundPhoneCall", "customer": {"number": CALLED},
                 "phoneNumber": {"number": CALLER}},
    }})
    headers_ = {"Authorization": "Bearer " + signing.SECRETS["VAPI_SECRET"], "Content-Type": "application/json"}
    response = signing_post(ingest, "/webhooks/vapi?clientId=globex", body, headers_)
    assert response.status_code == 202, response.text
    [record] = lifecycle.read(1, key=call_id)
    data = decode(record)["data"]
    assert decode(record)["type"] == "call.started"
    assert (data["clientId"], data["direction"], data["from"], data["to"]) == ("globex", "outbound", "***4321", "***1212")


def test_retell_call_ended(ingest, lifecycle):
    call_id = unique("retell")
    body = signing.compact({"event": "call_ended", "call": {
        "call_id": call_id, "agent_id": "agent_1", "call_type": "phone_call", "direction": "inbound",
        "from_number": CALLER, "to_number": CALLED, "call_status": "ended",
        "start_timestamp": 1769530331000, "end_timestamp": 1769530380400, "duration_ms": 49400,
        "disconnection_reason": "user_hangup", "metadata": {"clientId": "acme"},
    }})
    response = signing_post(ingest, "/webhooks/retell", body, signing.retell(body))
    assert response.status_code == 202, response.text

    [record] = lifecycle.read(1, key=call_id)
    event = decode(record)
    assert_envelope(event, record, provider="retell", type_="call.ended", call_id=call_id, event_id=response.json()["eventId"])
    data = event["data"]
    assert data["clientId"] == "acme"
    assert (data["from"], data["to"], data["direction"]) == ("***4321", "***1212", "inbound")
    assert data["callerHash"] == signing.caller_hash(CALLER)
    assert (data["startedAt"], data["endedAt"]) == ("2026-01-27T16:12:11.000Z", "2026-01-27T16:13:00.400Z")
    assert data["durationSeconds"] == 49
    assert data["endReason"] == "user_hangup"


def test_retell_call_analyzed_is_ignored(ingest, lifecycle):
    call_id = unique("retell")
    body = signing.compact({"event": "call_analyzed", "call": {"call_id": call_id, "metadata": {"clientId": "acme"}}})
    response = signing_post(ingest, "/webhooks/retell", body, signing.retell(body))
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert lifecycle.read(1, timeout=1, key=call_id) == []


def test_telnyx_hangup(ingest, lifecycle):
    call_id = "v3:" + uuid.uuid4().hex
    body = signing.compact({"data": {
        "record_type": "event", "event_type": "call.hangup", "id": str(uuid.uuid4()),
        "occurred_at": "2026-01-27T16:13:00.000000Z",
        "payload": {
            "call_control_id": call_id, "call_session_id": "session-1", "call_leg_id": "leg-1",
            "from": CALLER, "to": CALLED, "direction": "incoming", "state": "hangup",
            "start_time": "2026-01-27T16:12:11.000000Z", "end_time": "2026-01-27T16:13:00.000000Z",
            "hangup_cause": "normal_clearing", "hangup_source": "caller",
            "client_state": base64.b64encode(b"acme").decode(),
        },
    }})
    response = signing_post(ingest, "/webhooks/telnyx", body, signing.telnyx(body))
    assert response.status_code == 202, response.text

    [record] = lifecycle.read(1, key=call_id)
    event = decode(record)
    assert_envelope(event, record, provider="telnyx", type_="call.ended", call_id=call_id, event_id=response.json()["eventId"])
    assert event["time"] == "2026-01-27T16:13:00.000Z"
    data = event["data"]
    assert data["clientId"] == "acme"
    assert (data["from"], data["to"], data["direction"]) == ("***4321", "***1212", "inbound")
    assert (data["startedAt"], data["endedAt"], data["durationSeconds"]) == ("2026-01-27T16:12:11.000Z", "2026-01-27T16:13:00.000Z", 49)
    assert data["endReason"] == "normal_clearing"


def test_telnyx_retry_keeps_the_event_id_though_its_attempt_counter_changes(ingest, lifecycle):
    """Telnyx counts its retries in the body (`meta.attempt`) and signs each anew: the retry
    must still be the same event (its `data.id`), not a second one."""
    call_id = "v3:" + uuid.uuid4().hex

    def delivery(attempt: int) -> bytes:
        return signing.compact({"data": {
            "record_type": "event", "event_type": "call.answered", "id": event_uuid,
            "occurred_at": "2026-01-27T16:12:11.000000Z",
            "payload": {"call_control_id": call_id, "from": CALLER, "to": CALLED, "direction": "incoming",
                        "client_state": base64.b64encode(b"acme").decode()},
        }, "meta": {"attempt": attempt, "delivered_to": "https://hooks.example.com/webhooks/telnyx"}})

    event_uuid = str(uuid.uuid4())
    first, retry = delivery(1), delivery(2)
    answers = [signing_post(ingest, "/webhooks/telnyx", body, signing.telnyx(body)) for body in (first, retry)]
    assert [a.status_code for a in answers] == [202, 202], [a.text for a in answers]
    assert answers[0].json()["eventId"] == answers[1].json()["eventId"], "a Telnyx retry must yield the same event id"
    assert {decode(r)["id"] for r in lifecycle.read(2, key=call_id)} == {answers[0].json()["eventId"]}

    # Another event of the same call (another data.id) is another event.
    event_uuid = str(uuid.uuid4())
    other = signing_post(ingest, "/webhooks/telnyx", delivery(1), signing.telnyx(delivery(1)))
    assert other.status_code == 202 and other.json()["eventId"] != answers[0].json()["eventId"]


def test_generic_call_started(ingest, lifecycle):
    call_id = unique("gen")
    body = signing.compact({"type": "call.started", "callId": call_id, "clientId": "globex",
                            "timestamp": "2026-01-27T16:12:11Z", "from": CALLER, "to": CALLED, "direction": "outbound"})
    response = signing_post(ingest, "/webhooks/generic", body, signing.generic(body))
    assert response.status_code == 202, response.text

    [record] = lifecycle.read(1, key=call_id)
    event = decode(record)
    assert_envelope(event, record, provider="generic", type_="call.started", call_id=call_id, event_id=response.json()["eventId"])
    assert event["time"] == "2026-01-27T16:12:11.000Z"
    assert event["data"]["clientId"] == "globex"
    assert event["data"]["from"] == "***4321"
    assert event["data"]["callerHash"] == signing.caller_hash(CALLER)


def signing_post(ingest, path: str, body: bytes, headers_: dict) -> requests.Response:
    return requests.post(ingest.url + path, data=body, headers=headers_, timeout=10)
