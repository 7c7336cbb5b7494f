"""docs/analytics.md's example, examples/analytics/calls_per_client_hour.py, run as a
subprocess against the real embedded broker fed by a real Ingest: webhooks signed with the
providers' own SDKs (and the generic scheme) for two clients in two hours, a provider's
retry (the same event twice on the topic), a call with two `call.ended` deliveries, a call
still active and a record that is not a call event. The example's figures are checked
exactly, then its consumer group: a second run continues where the first committed, a
third with --from-beginning counts everything again.

This module runs its own broker and Ingest, so the topic holds exactly what it posts (the
session's shared broker holds every other test's calls too)."""

import base64
import json
import subprocess
import sys
import uuid
from datetime import datetime, timezone

import pytest
import requests
from confluent_kafka import Producer

import signing
from conftest import PUBLIC_BASE_URL, SECRETS, TOPIC
from harness import ROOT, Broker, Ingest, temp_dir

EXAMPLE = ROOT / "examples" / "analytics" / "calls_per_client_hour.py"

# One caller in two spellings (the same digits, so the same callerHash), and two others.
CALLER_1 = "+1 (415) 555-4321"
CALLER_1_E164 = "+14155554321"
CALLER_2 = "+14155550199"
CALLER_3 = "+442071838750"
CALLED = "+14155551212"

TABLE_HEADER = ["hour", "(UTC)", "client", "calls", "ended", "minutes", "callers"]


def epoch_ms(text: str) -> int:
    return round(datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc).timestamp() * 1000)


@pytest.fixture(scope="module")
def stack():
    workdir = temp_dir("callbridge-analytics-")
    broker = Broker(workdir).start()
    ingest = None
    try:
        ingest = Ingest(broker, workdir, SECRETS, extra_env={"PUBLIC_BASE_URL": PUBLIC_BASE_URL}).start()
        yield broker, ingest
    finally:
        if ingest is not None:
            status = ingest.stop()
            assert status == 0, f"Ingest did not exit cleanly (status {status}):\n{ingest.process.log()[-3000:]}"
        broker.stop()


def accepted(response: requests.Response) -> str:
    assert response.status_code == 202, f"{response.status_code}: {response.text}"
    return response.json()["eventId"]


def post_twilio(ingest, client_id: str, params: dict) -> str:
    path = f"/webhooks/twilio?clientId={client_id}"
    return accepted(requests.post(ingest.url + path, data=params, headers=signing.twilio(path, params), timeout=10))


def post_json(ingest, provider: str, document: dict, sign) -> str:
    body = signing.compact(document)
    return accepted(requests.post(f"{ingest.url}/webhooks/{provider}", data=body, headers=sign(body), timeout=10))


def post_generic(ingest, document: dict) -> str:
    return post_json(ingest, "generic", document, signing.generic)


def post_retell(ingest, document: dict) -> str:
    return post_json(ingest, "retell", document, signing.retell)


def post_telnyx(ingest, document: dict) -> str:
    return post_json(ingest, "telnyx", document, signing.telnyx)


def post_vapi(ingest, document: dict) -> str:
    return post_json(ingest, "vapi", document, lambda body: signing.vapi())


def telnyx_event(event_type: str, call_id: str, occurred_at: str, **payload) -> dict:
    return {"data": {
        "record_type": "event", "event_type": event_type, "id": str(uuid.uuid4()), "occurred_at": occurred_at,
        "payload": {"call_control_id": call_id, "call_session_id": f"session-{call_id}", "call_leg_id": f"leg-{call_id}",
                    "from": CALLER_2, "to": CALLED, "direction": "incoming",
                    "client_state": base64.b64encode(b"globex").decode(), **payload},
    }}


def g2_hangup(call_id: str) -> dict:
    return telnyx_event("call.hangup", call_id, "2026-01-27T17:48:00.000000Z", state="hangup",
                        start_time="2026-01-27T17:30:00.000000Z", end_time="2026-01-27T17:48:00.000000Z",
                        hangup_cause="normal_clearing")


def post_first_day(ingest) -> dict[str, str]:
    """The calls of the first report; returns their call ids by name. 13 records, 12 events."""
    ids = {name: f"{name}-{uuid.uuid4().hex[:10]}" for name in ("a1", "a2", "a3", "g1", "g2", "g3")}
    ids["a1"] = "CA" + uuid.uuid4().hex

    # acme, 16:00: A1 over Twilio (49 s), its completed callback delivered twice (a retry).
    a1 = {"CallSid": ids["a1"], "From": CALLER_1, "To": CALLED, "Direction": "inbound"}
    post_twilio(ingest, "acme", {**a1, "CallStatus": "in-progress", "Timestamp": "Tue, 27 Jan 2026 16:12:11 +0000"})
    completed = {**a1, "CallStatus": "completed", "Timestamp": "Tue, 27 Jan 2026 16:13:00 +0000", "CallDuration": "49"}
    first = post_twilio(ingest, "acme", completed)
    retry = post_twilio(ingest, "acme", completed)
    assert first == retry, "a provider's retry must yield the same event id (the duplicate the example drops)"

    # acme, 16:00: A2 over the generic webhook, the same caller spelled otherwise, 630 s.
    a2 = {"callId": ids["a2"], "clientId": "acme", "from": CALLER_1_E164, "to": CALLED, "direction": "inbound"}
    post_generic(ingest, {"type": "call.started", **a2, "timestamp": "2026-01-27T16:40:00Z"})
    post_generic(ingest, {"type": "call.ended", **a2, "timestamp": "2026-01-27T16:50:30Z",
                          "startedAt": "2026-01-27T16:40:00Z", "endReason": "completed"})

    # acme, 17:00: A3 over Retell, 120.4 s (whole seconds on the topic: 120).
    a3 = {"call_id": ids["a3"], "agent_id": "agent_1", "call_type": "phone_call", "direction": "inbound",
          "from_number": CALLER_2, "to_number": CALLED, "metadata": {"clientId": "acme"},
          "start_timestamp": epoch_ms("2026-01-27T17:05:00Z")}
    post_retell(ingest, {"event": "call_started", "call": {**a3, "call_status": "ongoing"}})
    post_retell(ingest, {"event": "call_ended", "call": {
        **a3, "call_status": "ended", "end_timestamp": epoch_ms("2026-01-27T17:07:00.400Z"), "duration_ms": 120400,
        "disconnection_reason": "user_hangup"}})

    # globex, 16:00: G1 starts at 16:59:30 and ends in the next hour; it counts where it started.
    g1 = {"callId": ids["g1"], "clientId": "globex", "from": CALLER_3, "to": CALLED, "direction": "inbound"}
    post_generic(ingest, {"type": "call.started", **g1, "timestamp": "2026-01-27T16:59:30Z"})
    post_generic(ingest, {"type": "call.ended", **g1, "timestamp": "2026-01-27T17:01:30Z",
                          "startedAt": "2026-01-27T16:59:30Z", "endReason": "completed"})

    # globex, 17:00: G2 over Telnyx, answered and still active.
    post_telnyx(ingest, telnyx_event("call.answered", ids["g2"], "2026-01-27T17:30:00.000000Z", state="answered",
                                     start_time="2026-01-27T17:30:00.000000Z"))

    # globex, 17:00: G3 over Vapi: two call.ended deliveries with different ids (the status
    # update without times, then the end-of-call report with them): one call, 945 s.
    g3_call = {"id": ids["g3"], "type": "inboundPhoneCall", "customer": {"number": CALLER_3},
               "phoneNumber": {"number": CALLED}}
    assistant = {"metadata": {"clientId": "globex"}}
    post_vapi(ingest, {"message": {"type": "status-update", "status": "in-progress",
                                   "timestamp": epoch_ms("2026-01-27T17:10:00Z"), "call": g3_call, "assistant": assistant}})
    ended = post_vapi(ingest, {"message": {"type": "status-update", "status": "ended", "endedReason": "customer-ended-call",
                                           "timestamp": epoch_ms("2026-01-27T17:25:45Z"), "call": g3_call,
                                           "assistant": assistant}})
    report = post_vapi(ingest, {"message": {"type": "end-of-call-report", "endedReason": "customer-ended-call",
                                            "startedAt": "2026-01-27T17:10:00.000Z", "endedAt": "2026-01-27T17:25:45.000Z",
                                            "timestamp": epoch_ms("2026-01-27T17:25:46Z"), "call": g3_call,
                                            "assistant": assistant}})
    assert ended != report, "two different deliveries about one call are two events"
    return ids


def produce_foreign_record(bootstrap: str) -> None:
    """A record another producer wrote: not a CloudEvent, so the example skips it."""
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(TOPIC, key=b"not-a-call", value=b'{"hello":"world"}', headers=[("content-type", b"application/json")])
    assert producer.flush(15) == 0, "the foreign record was not acknowledged"


def run_example(broker: Broker, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), "--brokers", broker.bootstrap, "--topic", TOPIC, "--idle-exit", "3", *args],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def table(stdout: str) -> list[list[str]]:
    lines = stdout.splitlines()
    assert lines and lines[0].split() == TABLE_HEADER, f"unexpected header: {stdout!r}"
    return [line.split() for line in lines[1:]]


def summary(stderr: str) -> str:
    return [line for line in stderr.splitlines() if line.startswith("read ")][-1]


def test_the_example_counts_calls_and_minutes_per_client_and_hour(stack):
    broker, ingest = stack
    ids = post_first_day(ingest)
    produce_foreign_record(broker.bootstrap)
    group = f"analytics-test-{uuid.uuid4().hex[:8]}"

    # The first run: the group is new; every record is read.
    first = run_example(broker, "--group", group, "--from-beginning")
    assert table(first.stdout) == [
        # A1 (49 s) and A2 (630 s): 679 s; one caller in two spellings.
        ["2026-01-27T16:00Z", "acme", "2", "2", "11.32", "1"],
        # G1 started at 16:59:30: 120 s.
        ["2026-01-27T16:00Z", "globex", "1", "1", "2.00", "1"],
        # A3: 120 s (120.4 s on the provider's side).
        ["2026-01-27T17:00Z", "acme", "1", "1", "2.00", "1"],
        # G2 still active, G3 ended once though delivered twice: 945 s; two callers.
        ["2026-01-27T17:00Z", "globex", "2", "1", "15.75", "2"],
    ], first.stdout
    assert summary(first.stderr) == "read 14 records: 12 events, 1 duplicates dropped, 1 skipped (not call events)", first.stderr

    # G2 ends. The same group continues where it committed: only the new event is read.
    post_telnyx(ingest, g2_hangup(ids["g2"]))
    second = run_example(broker, "--group", group, "--json")
    assert json.loads(second.stdout) == {
        "rows": [{"hour": "2026-01-27T17:00Z", "clientId": "globex", "calls": 1, "ended": 1, "seconds": 1080,
                  "minutes": 18.0, "callers": 1}],
        "records": 1, "events": 1, "duplicates": 0, "skipped": 0,
    }, second.stdout

    # --from-beginning counts everything again, whatever the group committed.
    third = run_example(broker, "--group", group, "--from-beginning", "--json")
    assert json.loads(third.stdout) == {
        "rows": [
            {"hour": "2026-01-27T16:00Z", "clientId": "acme", "calls": 2, "ended": 2, "seconds": 679, "minutes": 11.32, "callers": 1},
            {"hour": "2026-01-27T16:00Z", "clientId": "globex", "calls": 1, "ended": 1, "seconds": 120, "minutes": 2.0, "callers": 1},
            {"hour": "2026-01-27T17:00Z", "clientId": "acme", "calls": 1, "ended": 1, "seconds": 120, "minutes": 2.0, "callers": 1},
            {"hour": "2026-01-27T17:00Z", "clientId": "globex", "calls": 2, "ended": 2, "seconds": 2025, "minutes": 33.75, "callers": 2},
        ],
        "records": 15, "events": 13, "duplicates": 1, "skipped": 1,
    }, third.stdout


def test_the_example_explains_itself():
    result = subprocess.run([sys.executable, str(EXAMPLE), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for option in ("--brokers", "--topic", "--group", "--from-beginning", "--idle-exit", "--json"):
        assert option in result.stdout, f"--help does not mention {option}:\n{result.stdout}"
    assert "docs/analytics.md" in result.stdout

    refused = subprocess.run([sys.executable, str(EXAMPLE), "--idle-exit", "0"], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--idle-exit" in refused.stderr, refused.stderr
