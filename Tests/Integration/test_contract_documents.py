"""The contract's documents (docs/contract.md, "Schemas"): docs/asyncapi.yaml is a valid AsyncAPI
3.0 document (check-jsonschema with the official AsyncAPI 3.0.0 JSON Schema, vendored in
docs/schema/vendor/) whose references all resolve and whose examples conform; docs/schema/*.json
are valid JSON Schemas; and the schemas accept what Ingest and the Bridge write and reject
events with a wrong field, so the checks every other test applies (harness.py,
bridge_clients.py) are worth something. Needs no running service."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml
from jsonschema import Draft202012Validator

from bridge_clients import (check_plain_message, check_socketio_packet, check_sse_message, cloud_event, event_id,
                            polled_packets)
from harness import (CALL_EVENT_SCHEMA, CONTRACT_VIOLATIONS, ROOT, SCHEMA_DIR, ContractViolation, check_lifecycle_record,
                     contract_problems)

ASYNCAPI = ROOT / "docs" / "asyncapi.yaml"
ASYNCAPI_SCHEMA = SCHEMA_DIR / "vendor" / "asyncapi-3.0.0.schema.json"
OUR_SCHEMAS = sorted(SCHEMA_DIR.glob("*.schema.json"))
BRIDGE = "bridge-messages.schema.json"


def check_jsonschema(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", *args], capture_output=True, text=True, timeout=120)


# ---------------------------------------------------------------- the AsyncAPI document


def test_the_asyncapi_document_is_valid_asyncapi_3():
    result = check_jsonschema("--schemafile", str(ASYNCAPI_SCHEMA), str(ASYNCAPI))
    assert result.returncode == 0, result.stdout + result.stderr
    assert yaml.safe_load(ASYNCAPI.read_text())["asyncapi"] == "3.0.0"


def test_the_asyncapi_document_passes_yamllint():
    result = subprocess.run([sys.executable, "-m", "yamllint", "--strict", "-d",
                             "{extends: default, rules: {line-length: {max: 110}}}", str(ASYNCAPI)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("change", [
    ("asyncapi: 3.0.0", "asyncapi: 2.6.0"),                  # another version
    ("    action: send\n", "    action: publish\n"),         # AsyncAPI 2's verb
    ("    protocol: kafka\n", "    protocol: kafka\n    brokers: 1\n"),  # an unknown field
    ("  callsLifecycle:\n    address: calls.lifecycle.v1", "  callsLifecycle:\n    address: 42"),
])
def test_the_validator_rejects_a_broken_asyncapi_document(tmp_path, change):
    old, new = change
    text = ASYNCAPI.read_text()
    assert old in text
    broken = tmp_path / "asyncapi.yaml"
    broken.write_text(text.replace(old, new, 1))
    result = check_jsonschema("--schemafile", str(ASYNCAPI_SCHEMA), str(broken))
    assert result.returncode != 0, f"{change} was accepted:\n{result.stdout}"


def references(node, path="#"):
    """Every `$ref` in a YAML/JSON tree, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield path, value
            else:
                yield from references(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from references(value, f"{path}/{index}")


def pointer(document, fragment: str):
    node = document
    for part in filter(None, fragment.lstrip("#").split("/")):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def test_every_reference_of_the_asyncapi_document_resolves():
    document = yaml.safe_load(ASYNCAPI.read_text())
    found = list(references(document))
    assert len(found) > 40
    for where, ref in found:
        target, _, fragment = ref.partition("#")
        if target:
            path = (ASYNCAPI.parent / target).resolve()
            assert path.is_file(), f"{where}: {ref} names no file"
            pointer(json.loads(path.read_text()), fragment)
        else:
            pointer(document, fragment)
    # AsyncAPI 3: an operation's messages must be messages of its channel.
    for name, operation in document["operations"].items():
        channel = operation["channel"]["$ref"]
        for message in operation["messages"]:
            assert message["$ref"].startswith(channel + "/messages/"), f"operation {name}: {message} is not of {channel}"


def test_the_asyncapi_document_describes_the_topic_and_every_bridge_channel():
    document = yaml.safe_load(ASYNCAPI.read_text())
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == {"calls.lifecycle.v1", "/ws", "/socket.io/", "/events"}
    record = document["components"]["messages"]["callEventRecord"]
    assert record["payload"] == {"$ref": "./schema/call-event.schema.json"}
    assert record["headers"]["properties"]["content-type"]["const"] == "application/cloudevents+json"
    assert record["bindings"]["kafka"]["key"]["type"] == "string"
    names = {message["name"] for message in document["components"]["messages"].values()}
    assert {"calls:snapshot", "call:started", "call:ended", "snapshot", "event", "resumed", "left", "error",
            "join", "leave", "call.started", "call.ended"} <= names


def test_the_asyncapi_examples_conform_to_the_schemas():
    document = yaml.safe_load(ASYNCAPI.read_text())
    checked = 0
    for name, message in document["components"]["messages"].items():
        ref = message["payload"]["$ref"].removeprefix("./schema/")
        for example in message.get("examples", []):
            assert contract_problems(example["payload"], ref) == [], name
            if "headers" in example:
                assert Draft202012Validator(message["headers"]).is_valid(example["headers"]), name
            checked += 1
    assert checked >= 1


# ---------------------------------------------------------------- the JSON Schemas


@pytest.mark.parametrize("path", OUR_SCHEMAS + [ASYNCAPI_SCHEMA], ids=lambda p: p.name)
def test_the_json_schemas_are_valid_schemas(path):
    result = check_jsonschema("--check-metaschema", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", OUR_SCHEMAS, ids=lambda p: p.name)
def test_our_schemas_are_draft_2020_12(path):
    schema = json.loads(path.read_text())
    assert schema["$schema"].endswith("/draft/2020-12/schema")
    Draft202012Validator.check_schema(schema)


# ---------------------------------------------------------------- call events: good and bad samples


def ingest_event(kind: str = "ended", provider: str = "twilio", **data) -> dict:
    """An event as Ingest writes it (Sources/CallEvents/CallEvent+Encoding.swift)."""
    details = {"callId": "CA0123456789abcdef", "clientId": "acme", "provider": provider, "direction": "inbound",
               "from": "***4321", "to": "***1212", "callerHash": "0f" * 32, "startedAt": "2026-01-27T16:12:11.000Z"}
    if kind == "ended":
        details.update({"endedAt": "2026-01-27T16:13:00.000Z", "durationSeconds": 49, "endReason": "completed"})
    details.update(data)
    details = {k: v for k, v in details.items() if v is not None}
    return {"specversion": "1.0", "id": "1b4e28ba-2fa1-81d2-883f-0016d3cca427", "source": f"callbridge/ingest/{provider}",
            "type": f"call.{kind}", "time": "2026-01-27T16:13:00.000Z", "subject": details["callId"],
            "datacontenttype": "application/json", "data": details}


GOOD_EVENTS = {
    "twilio ended": ingest_event(),
    "vapi started": ingest_event("started", "vapi", direction="outbound"),
    "retell ended without numbers": ingest_event("ended", "retell", **{"from": None, "to": None, "callerHash": None}),
    "telnyx anonymous caller": ingest_event("ended", "telnyx", **{"from": "***", "callerHash": None}),
    "generic minimal": {**ingest_event("started", "generic"),
                        "data": {"callId": "CA0123456789abcdef", "clientId": "a", "provider": "generic"}},
    "client id of 128 characters": ingest_event(clientId="A-z.0_" * 21 + "xy"),
    "the year 0000 and 9999": ingest_event(startedAt="0000-01-01T00:00:00.000Z", endedAt="9999-12-31T23:59:59.999Z"),
    "a call id with spaces and unicode": ingest_event(callId="call é 1"),
    "cloud_event started": cloud_event("started", "c-1", "acme"),
    "cloud_event ended, padded": cloud_event("ended", "c-2", "acme", pad=400),
}


@pytest.mark.parametrize("name", GOOD_EVENTS)
def test_events_as_ingest_writes_them_conform(name):
    assert contract_problems(GOOD_EVENTS[name], CALL_EVENT_SCHEMA) == []


def mutate(change):
    event = ingest_event()
    change(event)
    return event


BAD_EVENTS = {
    "a full phone number": mutate(lambda e: e["data"].update({"from": "+14155554321"})),
    "five digits kept": mutate(lambda e: e["data"].update({"to": "***51212"})),
    "a masked number with a separator": mutate(lambda e: e["data"].update({"to": "***-1212"})),
    "fullwidth digits kept": mutate(lambda e: e["data"].update({"to": "***\uff11212"})),
    "KELVIN SIGN in the client id": mutate(lambda e: e["data"].update({"clientId": "\u212acme"})),
    "a space in the client id": mutate(lambda e: e["data"].update({"clientId": "acme corp"})),
    "a client id with a trailing newline": mutate(lambda e: e["data"].update({"clientId": "acme\n"})),
    "a client id of 129 characters": mutate(lambda e: e["data"].update({"clientId": "a" * 129})),
    "an empty client id": mutate(lambda e: e["data"].update({"clientId": ""})),
    "a room name as client id": mutate(lambda e: e["data"].update({"clientId": "client:acme"})),
    "no id": mutate(lambda e: e.pop("id")),
    "a random UUID as id": mutate(lambda e: e.update({"id": "1b4e28ba-2fa1-41d2-883f-0016d3cca427"})),
    "an uppercase id": mutate(lambda e: e.update({"id": e["id"].upper()})),
    "an unknown type": mutate(lambda e: e.update({"type": "call.updated"})),
    "time without milliseconds": mutate(lambda e: e.update({"time": "2026-01-27T16:13:00Z"})),
    "time with an offset": mutate(lambda e: e.update({"time": "2026-01-27T18:13:00.000+02:00"})),
    "time as epoch seconds": mutate(lambda e: e.update({"time": 1769530380})),
    "an impossible month": mutate(lambda e: e["data"].update({"endedAt": "2026-13-27T16:13:00.000Z"})),
    "another specversion": mutate(lambda e: e.update({"specversion": "1.1"})),
    "another datacontenttype": mutate(lambda e: e.update({"datacontenttype": "text/json"})),
    "an extension attribute": mutate(lambda e: e.update({"traceparent": "00-abc"})),
    "an unknown data field": mutate(lambda e: e["data"].update({"phone": "***4321"})),
    "null instead of absent": mutate(lambda e: e["data"].update({"direction": None})),
    "a direction Ingest maps": mutate(lambda e: e["data"].update({"direction": "incoming"})),
    "a negative duration": mutate(lambda e: e["data"].update({"durationSeconds": -1})),
    "a fractional duration": mutate(lambda e: e["data"].update({"durationSeconds": 49.5})),
    "a duration as text": mutate(lambda e: e["data"].update({"durationSeconds": "49"})),
    "an empty end reason": mutate(lambda e: e["data"].update({"endReason": ""})),
    "an uppercase caller hash": mutate(lambda e: e["data"].update({"callerHash": "0F" * 32})),
    "a short caller hash": mutate(lambda e: e["data"].update({"callerHash": "0f" * 31})),
    "an unknown provider": mutate(lambda e: (e["data"].update({"provider": "plivo"}),
                                             e.update({"source": "callbridge/ingest/plivo"}))),
    "source of another provider": mutate(lambda e: e.update({"source": "callbridge/ingest/vapi"})),
    "a started event with an end": mutate(lambda e: e.update({"type": "call.started"})),
    "no call id": mutate(lambda e: e["data"].pop("callId")),
    "an empty call id": mutate(lambda e: (e["data"].update({"callId": ""}), e.update({"subject": ""}))),
    "no data": mutate(lambda e: e.pop("data")),
    "a subject that is not the call id": mutate(lambda e: e.update({"subject": "CA-other"})),
    "an impostor made by cloud_event": cloud_event("started", "c-3", "\u212acme"),
}


@pytest.mark.parametrize("name", BAD_EVENTS)
def test_an_event_with_a_wrong_field_is_rejected(name):
    assert contract_problems(BAD_EVENTS[name], CALL_EVENT_SCHEMA), f"accepted: {BAD_EVENTS[name]}"


def test_cloud_event_ids_have_the_form_of_ingests():
    ids = {event_id() for _ in range(200)}
    assert len(ids) == 200
    for value in ids:
        assert contract_problems(value, "call-event.schema.json#/$defs/eventId") == []


# ---------------------------------------------------------------- Kafka records


class FakeRecord:
    def __init__(self, event: dict, key: bytes | None = None, headers=None):
        self._value = json.dumps(event, separators=(",", ":")).encode()
        self._key = event["data"]["callId"].encode() if key is None else key
        self._headers = [("content-type", b"application/cloudevents+json")] if headers is None else headers

    def value(self): return self._value
    def key(self): return self._key
    def headers(self): return self._headers
    def topic(self): return "calls.lifecycle.v1"
    def partition(self): return 0
    def offset(self): return 7


@pytest.fixture()
def expected_violations():
    """For tests that make the checks fail on purpose: what they record is theirs, not a failure."""
    before = len(CONTRACT_VIOLATIONS)
    yield
    del CONTRACT_VIOLATIONS[before:]


def test_the_kafka_record_check_wants_the_key_and_the_content_type(expected_violations):
    check_lifecycle_record(FakeRecord(ingest_event()))
    for record in (FakeRecord(ingest_event(), key=b"another-call"), FakeRecord(ingest_event(), headers=[]),
                   FakeRecord(ingest_event(), headers=[("content-type", b"application/json")]),
                   FakeRecord(mutate(lambda e: e["data"].update({"from": "+14155554321"})))):
        with pytest.raises(ContractViolation):
            check_lifecycle_record(record)


# ---------------------------------------------------------------- Bridge messages


def plain_event(event=None, room="client:acme") -> dict:
    return {"type": "event", "room": room, "position": "AgAAAQ", "event": event or ingest_event()}


GOOD_PLAIN = [
    {"type": "snapshot", "room": "admin", "activeCalls": [ingest_event("started")["data"]],
     "recentCalls": [ingest_event()["data"]] * 20, "position": "AgA"},
    {"type": "snapshot", "room": "client:acme", "activeCalls": [], "recentCalls": [], "position": "AgA", "recovered": False},
    plain_event(),
    plain_event(room="admin"),
    {"type": "resumed", "room": "client:acme", "position": "AgA", "replayed": 0},
    {"type": "left", "room": "client:acme"},
    {"type": "error", "code": "unknown_room", "message": "no room", "room": "client:../admin"},
    {"type": "error", "code": "rate_limited", "message": "more than 20 messages per second"},
]

BAD_PLAIN = [
    {"type": "snapshot", "room": "admin", "activeCalls": [], "recentCalls": [ingest_event()["data"]] * 21, "position": "AgA"},
    {"type": "snapshot", "room": "admin", "activeCalls": [], "recentCalls": [], "position": "AgA", "recovered": True},
    {"type": "snapshot", "room": "admin", "activeCalls": [{"callId": "x"}], "recentCalls": [], "position": "AgA"},
    {**plain_event(), "extra": 1},
    plain_event(room="client:"),
    {**plain_event(), "position": "not a position!"},
    plain_event(mutate(lambda e: e["data"].update({"to": "+14155551212"}))),
    {"type": "resumed", "room": "admin", "position": "AgA"},
    {"type": "error", "code": "teapot", "message": "no"},
    {"type": "hello"},
]


@pytest.mark.parametrize("index", range(len(GOOD_PLAIN)))
def test_plain_messages_as_the_bridge_writes_them_conform(index):
    check_plain_message(GOOD_PLAIN[index])


@pytest.mark.parametrize("index", range(len(BAD_PLAIN)))
def test_a_wrong_plain_message_is_rejected(index, expected_violations):
    with pytest.raises(ContractViolation):
        check_plain_message(BAD_PLAIN[index])


def test_an_event_delivered_to_another_clients_room_is_a_violation(expected_violations):
    with pytest.raises(ContractViolation):
        check_plain_message(plain_event(room="client:globex"))


def test_sse_messages_are_checked_with_their_name_and_id(expected_violations):
    data = plain_event()
    check_sse_message({"id": "AgAAAQ", "event": "call.ended", "data": json.dumps(data)})
    check_sse_message({"id": "admin~AgA,client:acme~AgAAAQ", "event": "call.ended", "data": json.dumps(data)})
    for wrong in ({"id": "AgAAAQ", "event": "call.started", "data": json.dumps(data)},
                  {"id": "AgB", "event": "call.ended", "data": json.dumps(data)},
                  {"id": "AgAAAQ", "event": "snapshot", "data": json.dumps(data)},
                  {"id": "AgA", "event": "snapshot", "data": json.dumps({"type": "resumed", "room": "admin",
                                                                         "position": "AgA", "replayed": 1})}):
        with pytest.raises(ContractViolation):
            check_sse_message(wrong)


def socketio_payload(kind: str = "ended") -> dict:
    event = ingest_event(kind)
    return {**event["data"], "timestamp": event["time"], "eventId": event["id"]}


def test_socketio_packets_as_the_bridge_writes_them_conform():
    snapshot = {"room": "client:acme", "activeCalls": [ingest_event("started")["data"]], "recentCalls": []}
    packets = polled_packets("\x1e".join([
        '40{"sid":"s1","pid":"p1"}',
        "42" + json.dumps(["calls:snapshot", snapshot, "AgA"]),
        "42" + json.dumps(["call:started", socketio_payload("started"), "AgB"]),
        "42" + json.dumps(["call:ended", socketio_payload(), "AgC"]),
        "6", "2", "1", "41", "4317[]",
    ]))
    assert len(packets) == 9
    check_socketio_packet('0{"sid":"x","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":4096}')
    check_socketio_packet('44/ns,{"message":"Invalid namespace"}')


@pytest.mark.parametrize("packet", [
    "42" + json.dumps(["call:ended", socketio_payload()]),                          # no offset
    "42" + json.dumps(["call:ended", {**socketio_payload(), "extra": 1}, "AgA"]),
    "42" + json.dumps(["call:ended", {k: v for k, v in socketio_payload().items() if k != "eventId"}, "AgA"]),
    "42" + json.dumps(["call:started", socketio_payload("ended"), "AgA"]),           # an end on a start
    "42" + json.dumps(["call:ended", {**socketio_payload(), "from": "+14155554321"}, "AgA"]),
    "42" + json.dumps(["call:updated", socketio_payload(), "AgA"]),
    "42" + json.dumps(["calls:snapshot", {"room": "admin", "activeCalls": []}, "AgA"]),
    '40{"sid":"s1"}',
    '44{"error":"no"}',
    "7",
])
def test_a_wrong_socketio_packet_is_rejected(packet, expected_violations):
    with pytest.raises(ContractViolation):
        check_socketio_packet(packet)


# ---------------------------------------------------------------- the contract's place


def test_the_contract_is_inside_the_repository():
    readme = (ROOT / "README.md").read_text()
    assert "](docs/contract.md)" in readme
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        if "vendor" in path.parts:
            continue
        assert "shared/design" not in path.read_text(), f"{path.relative_to(ROOT)} points outside the repository"
    contract = (ROOT / "docs" / "contract.md").read_text()
    for document in ("asyncapi.yaml", "schema/call-event.schema.json", "schema/bridge-messages.schema.json"):
        assert document in contract, f"docs/contract.md does not name {document}"
