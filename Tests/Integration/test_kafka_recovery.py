"""A broker that comes back without its data, and a topic with another partition count than
configured: each test runs its own broker, Ingest and Bridge, since it restarts the broker."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import requests
from confluent_kafka.admin import AdminClient

import signing
from bridge_clients import WsClient, admin_token, create_topic, event_call_id, generic_body, metric, new_id
from conftest import BRIDGE_JWT_SECRET, PUBLIC_BASE_URL, SECRETS, TOPIC
from harness import Bridge, Broker, Ingest, http_get, wait_until


def post_until_accepted(ingest: Ingest, body: bytes, timeout: float = 30) -> str:
    """Posts a generic webhook until Ingest answers 202, as a provider retries; while Kafka is
    not back the only acceptable answer is 503. Returns the eventId."""
    deadline = time.monotonic() + timeout
    while True:
        response = requests.post(ingest.url + "/webhooks/generic", data=body, headers=signing.generic(body), timeout=15)
        if response.status_code == 202:
            return response.json()["eventId"]
        assert response.status_code == 503, f"Ingest answered {response.status_code}: {response.text}"
        assert response.headers.get("Retry-After"), "a 503 says when to retry"
        assert time.monotonic() < deadline, "Ingest did not accept the webhook again in time"
        time.sleep(0.1)


def partition_count(bootstrap: str, topic: str) -> int | None:
    metadata = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic, timeout=10)
    entry = metadata.topics.get(topic)
    if entry is None or entry.error is not None:
        return None
    return len(entry.partitions)


@pytest.fixture()
def stack(tmp_path):
    broker = Broker(tmp_path).start()
    ingest = Ingest(broker, tmp_path, SECRETS, extra_env={"PUBLIC_BASE_URL": PUBLIC_BASE_URL}).start()
    bridge = Bridge(broker, tmp_path, BRIDGE_JWT_SECRET).start()
    yield broker, ingest, bridge
    bridge.stop()
    ingest.stop()
    broker.stop()


def test_a_dashboard_gets_every_event_after_the_broker_comes_back_empty(stack):
    """The embedded broker keeps nothing across a restart: Ingest re-creates the topic and
    fills it while the Bridge still holds its old positions (it is frozen meanwhile, so the
    new topic already has records at every offset it had reached). Every event accepted
    after the restart must reach the dashboard, once, after a `recovered:false` snapshot."""
    broker, ingest, bridge = stack
    client_id = new_id("recovery")
    with WsClient(bridge.ws_url, admin_token()) as client:
        client.next("snapshot")
        before = [new_id("before") for _ in range(30)]
        for call_id in before:
            post_until_accepted(ingest, generic_body("started", call_id, client_id))
        client.events_for(before, len(before))

        pid = bridge.process.popen.pid
        os.kill(pid, signal.SIGSTOP)
        try:
            broker.restart()
            after = [new_id("after") for _ in range(90)]
            for call_id in after:
                post_until_accepted(ingest, generic_body("started", call_id, client_id))
        finally:
            os.kill(pid, signal.SIGCONT)

        # Read until every event accepted after the restart arrived, or 30 s passed.
        wanted, seen = set(after), []
        deadline = time.monotonic() + 30
        while wanted - {event_call_id(m) for m in seen if m.get("type") == "event"} and time.monotonic() < deadline:
            seen += client.drain(0.5)
        seen += client.drain(1.0)
        delivered = [event_call_id(m) for m in seen if m.get("type") == "event" and event_call_id(m) in wanted]
        missing = wanted - set(delivered)
        assert not missing, f"{len(missing)} of {len(after)} events accepted after the restart never reached the dashboard"
        assert len(delivered) == len(set(delivered)), "no event is delivered twice"
        assert any(m.get("type") == "snapshot" and m.get("recovered") is False for m in seen), \
            "the dashboard is told that its position is void"

    metrics = bridge.metrics()
    assert metric(metrics, "callbridge_bridge_partition_restarts_total", reason="topic_recreated") == 1
    assert "topic was re-created" in bridge.log()


def test_ingest_recreates_the_topic_with_its_configured_partition_count_after_a_broker_restart(stack):
    """Webhooks in flight while the broker restarts must not let the broker auto-create the
    topic with its own default partition count when it is back: Ingest creates it, with its own."""
    broker, ingest, _ = stack
    client_id = new_id("partitions")
    stop = threading.Event()

    def steady_traffic():
        while not stop.is_set():
            post_until_accepted(ingest, generic_body("started", new_id("p"), client_id))

    senders = [threading.Thread(target=steady_traffic) for _ in range(4)]
    for sender in senders:
        sender.start()
    try:
        time.sleep(0.5)
        broker.restart()
        time.sleep(3)
    finally:
        stop.set()
        for sender in senders:
            sender.join()
    assert partition_count(broker.bootstrap, TOPIC) == 6


def test_both_services_report_a_topic_with_another_partition_count(tmp_path):
    broker = Broker(tmp_path).start()
    ingest = bridge = None
    try:
        create_topic(broker.bootstrap, TOPIC, partitions=3)
        ingest = Ingest(broker, tmp_path, SECRETS, extra_env={"PUBLIC_BASE_URL": PUBLIC_BASE_URL}).start()
        bridge = Bridge(broker, tmp_path, BRIDGE_JWT_SECRET).start()
        wait_until(lambda: "partition count is not the configured one" in ingest.process.log(), 15, what="Ingest's warning")
        wait_until(lambda: "partition count is not the configured one" in bridge.log(), 15, what="the Bridge's warning")
        ingest_metrics = http_get(ingest.url + "/metrics")[1]
        assert metric(ingest_metrics, "callbridge_ingest_topic_partitions", topic=TOPIC) == 3
        assert metric(bridge.metrics(), "callbridge_bridge_topic_partitions") == 3
        # Still served: the count is reported, not refused.
        assert http_get(ingest.url + "/readyz")[0] == 200
        assert http_get(bridge.url + "/readyz")[0] == 200
    finally:
        for service in (bridge, ingest):
            if service is not None:
                service.stop()
        broker.stop()
