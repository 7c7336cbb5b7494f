"""Server-Sent Events on `GET /events` with a raw HTTP client: the token's room (or an
admin's `?rooms=`), a snapshot then `call.started`/`call.ended` messages whose data is the
plain protocol's message and whose id names each room's position, a
reconnect with `Last-Event-ID` that gets exactly what was missed (or a snapshot with
`recovered:false`), comment heartbeats, refusals, and the slow-consumer bound."""

import json
import queue
import socket
import threading
import time

import pytest
import requests
from confluent_kafka import Producer

from bridge_clients import (admin_token, bridge_on_own_broker, check_sse_message, client_token, cloud_event, metric, new_id,
                            post_call, produce_events)
from conftest import BRIDGE_JWT_SECRET, TOPIC
from harness import Bridge


class EventStream:
    """A `text/event-stream` reader: messages (id, event, data) and comments, in a queue."""

    def __init__(self, url: str, headers: dict | None = None):
        self.response = requests.get(url, headers=headers or {}, stream=True, timeout=(5, 60))
        self.messages: queue.Queue = queue.Queue()
        self.comments: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        if self.response.status_code == 200:
            self.thread.start()

    def _read(self) -> None:
        message: dict = {}
        try:
            for raw in self.response.iter_lines(decode_unicode=True):
                line = raw or ""
                if line == "":
                    if message:
                        self.messages.put(message)
                    message = {}
                elif line.startswith(":"):
                    self.comments.put(line)
                else:
                    field, _, value = line.partition(":")
                    message[field] = value[1:] if value.startswith(" ") else value
        except Exception:  # noqa: BLE001 -- the stream was closed
            pass
        self.messages.put(None)

    def next(self, timeout: float = 10) -> dict:
        message = self.messages.get(timeout=timeout)
        assert message is not None, "the stream ended"
        check_sse_message(message)
        message["json"] = json.loads(message["data"])
        return message

    def next_event(self, timeout: float = 10) -> dict:
        while True:
            message = self.next(timeout)
            if message["event"] != "snapshot":
                return message

    def close(self) -> None:
        self.response.close()


@pytest.fixture(scope="module")
def streams(broker, ingest, workdir):
    """A Bridge with one-second heartbeats and a 64 KiB outbound bound."""
    bridge = Bridge(broker, workdir, BRIDGE_JWT_SECRET,
                    extra_args=["--ping-interval-seconds", "1", "--outbound-limit-bytes", "65536"]).start()
    yield bridge
    assert bridge.stop() == 0


def test_a_stream_shows_a_snapshot_then_live_calls_with_ids(streams, ingest):
    client = new_id("sse")
    stream = EventStream(streams.url + "/events?token=" + client_token(client))
    try:
        assert stream.response.headers["Content-Type"].startswith("text/event-stream")
        snapshot = stream.next()
        assert snapshot["event"] == "snapshot" and snapshot["json"]["room"] == f"client:{client}"
        assert snapshot["json"]["type"] == "snapshot" and snapshot["id"] == snapshot["json"]["position"]  # one room: its position
        call = new_id("sse-call")
        post_call(ingest, "started", new_id("sse-other"), new_id("sse-elsewhere"))
        post_call(ingest, "started", call, client)
        post_call(ingest, "ended", call, client, durationSeconds=2, endReason="completed")
        started, ended = stream.next_event(), stream.next_event()
        assert (started["event"], ended["event"]) == ("call.started", "call.ended")
        for message in (started, ended):
            assert message["json"]["type"] == "event" and message["id"] == message["json"]["position"]
            assert message["json"]["room"] == f"client:{client}"
            assert message["json"]["event"]["subject"] == call
            assert message["json"]["event"]["data"]["from"].startswith("***")
        assert started["id"] != ended["id"] != snapshot["id"]
        assert stream.comments.get(timeout=5).startswith(": heartbeat")
    finally:
        stream.close()


def test_last_event_id_gets_exactly_what_was_missed_or_a_snapshot(streams, ingest):
    client = new_id("sse-resume")
    stream = EventStream(streams.url + "/events", headers={"Authorization": "Bearer " + client_token(client)})
    first = new_id("sse-first")
    post_call(ingest, "started", first, client)
    last = stream.next_event()
    assert last["json"]["event"]["subject"] == first
    stream.close()

    missed = [new_id("sse-missed") for _ in range(3)]
    for call in missed:
        post_call(ingest, "started", call, client)
    time.sleep(1)
    resumed = EventStream(streams.url + "/events?token=" + client_token(client), headers={"Last-Event-ID": last["id"]})
    try:
        got = [resumed.next() for _ in missed]
        assert all(m["event"] == "call.started" for m in got), got
        assert sorted(m["json"]["event"]["subject"] for m in got) == sorted(missed)
        with pytest.raises(queue.Empty):
            resumed.messages.get(timeout=1)  # nothing doubled, no snapshot
    finally:
        resumed.close()

    unknown = EventStream(streams.url + "/events?token=" + client_token(client), headers={"Last-Event-ID": "not-an-id"})
    try:
        snapshot = unknown.next()
        assert snapshot["event"] == "snapshot" and snapshot["json"]["recovered"] is False
        assert set(missed) <= {c["callId"] for c in snapshot["json"]["activeCalls"]}
    finally:
        unknown.close()


def test_an_admin_picks_rooms_and_the_id_names_each(streams, ingest):
    first, second = new_id("sse-a"), new_id("sse-b")
    stream = EventStream(streams.url + f"/events?rooms=client:{first},client:{second}&token=" + admin_token())
    try:
        rooms = {stream.next()["json"]["room"], stream.next()["json"]["room"]}
        assert rooms == {f"client:{first}", f"client:{second}"}
        post_call(ingest, "started", new_id("sse-call"), first)
        post_call(ingest, "started", new_id("sse-call"), second)
        got = [stream.next_event(), stream.next_event()]
        assert {m["json"]["room"] for m in got} == rooms
        assert all(f"client:{first}~" in m["id"] and f"client:{second}~" in m["id"] for m in got), got
    finally:
        stream.close()


@pytest.mark.parametrize("path, status", [
    ("/events", 401),
    ("/events?token=not-a-token", 401),
    ("/events?rooms=admin&token={client}", 403),
    ("/events?rooms=client:acme,client:other&token={client}", 403),
    ("/events?rooms=everyone&token={admin}", 400),
    ("/events?rooms=client:../admin&token={admin}", 400),
])
def test_refusals(streams, path, status):
    url = streams.url + path.format(client=client_token("acme"), admin=admin_token())
    response = requests.get(url, timeout=10)
    assert response.status_code == status, response.text
    assert response.json()["error"]


def test_a_stream_that_stops_reading_is_closed_and_counted():
    with bridge_on_own_broker("sse-stuck", partitions=6, extra_args=["--outbound-limit-bytes", "65536"]) as (broker, streams):
        client = new_id("sse-stuck")
        before = metric(streams.metrics(), "callbridge_bridge_slow_consumer_closes_total") or 0
        stuck = socket.socket()
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.connect(("127.0.0.1", streams.port))
        stuck.sendall(f"GET /events?token={client_token(client)} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        time.sleep(0.5)
        producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 5, "acks": "all"})
        try:
            deadline = time.monotonic() + 60
            while (metric(streams.metrics(), "callbridge_bridge_slow_consumer_closes_total") or 0) <= before:
                assert time.monotonic() < deadline, "a stream that never reads was not closed"
                produce_events(producer, TOPIC, [cloud_event("ended", new_id("sse-pad"), client, pad=400) for _ in range(200)])
            # A reader of the same room on another stream is unaffected.
            reader = EventStream(streams.url + "/events?token=" + client_token(client))
            assert reader.next()["event"] == "snapshot"
            reader.close()
        finally:
            stuck.close()
