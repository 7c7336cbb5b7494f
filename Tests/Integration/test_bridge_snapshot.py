"""Snapshots: a new connection's snapshot shows the room's active calls and its 20 most
recently ended calls, newest first, built with the merge rules (a second call.ended fills
in missing fields, call.ended without call.started still lands in recent calls, a
duplicate delivery changes nothing)."""

import time

from bridge_clients import (FROM_MASKED, TO_MASKED, WsClient, client_token, generic_body, metric, new_id, post_body,
                            post_call)


def consumed(bridge) -> float:
    return metric(bridge.metrics(), "callbridge_bridge_events_consumed_total") or 0.0


def wait_consumed(bridge, at_least: float, timeout: float = 10) -> None:
    """Waits for the Bridge's consumed-events counter (best effort: the callers also wait
    for a frame of the last event)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and consumed(bridge) < at_least:
        time.sleep(0.05)


def snapshot_of(bridge, client_id: str) -> dict:
    with WsClient(bridge.ws_url, client_token(client_id)) as client:
        snapshot = client.next("snapshot")
        assert snapshot["room"] == f"client:{client_id}"
        return snapshot


def by_id(calls: list[dict]) -> dict[str, dict]:
    return {c["callId"]: c for c in calls}


def test_snapshot_merges_started_and_ended_calls(bridge, ingest):
    client_id = new_id("snap")
    a, b, c, d = (new_id(f"snap-{x}") for x in "abcd")
    base = int(time.time()) - 300
    with WsClient(bridge.ws_url, client_token(client_id)) as live:
        live.next("snapshot")
        before = consumed(bridge)
        a_started = generic_body("started", a, client_id, timestamp=base, direction="inbound")
        d_ended_first = generic_body("ended", d, client_id, timestamp=base + 40, durationSeconds=12)  # no endReason

        def post(body: bytes) -> None:
            # One at a time: the next is posted once this one was delivered, so the Bridge
            # receives them in this order whatever partitions they are on.
            event_id = post_body(ingest, body)
            live.until(lambda m: m.get("type") == "event" and m["event"]["id"] == event_id)

        post(a_started)
        post(generic_body("started", b, client_id, timestamp=base + 10, direction="outbound"))
        post(generic_body("started", d, client_id, timestamp=base + 20))
        post(generic_body("ended", a, client_id, timestamp=base + 30, durationSeconds=30, endReason="completed"))
        post(generic_body("ended", c, client_id, timestamp=base + 35, durationSeconds=5, endReason="no-answer"))  # never started
        post(d_ended_first)
        post(generic_body("ended", d, client_id, endReason="customer-ended", from_=None, to=None))  # fills endReason
        sent = 7

        # Duplicate deliveries (the same webhook again: the same event id) change nothing,
        # not even a call.started of a call that has ended since.
        post_body(ingest, a_started)
        post_body(ingest, d_ended_first)
        sent += 2
        sentinel = new_id("snap-sentinel")
        post_call(ingest, "started", sentinel, new_id("elsewhere"))
        sent += 1
        wait_consumed(bridge, before + sent)
        time.sleep(0.3)

        snapshot = snapshot_of(bridge, client_id)
        assert isinstance(snapshot.get("position"), str) and snapshot["position"]
        active = snapshot["activeCalls"]
        recent = snapshot["recentCalls"]
        assert [x["callId"] for x in active] == [b], f"active calls: {active}"
        assert [x["callId"] for x in recent] == [d, c, a], f"recent calls (newest first): {[x['callId'] for x in recent]}"

        calls = by_id(active + recent)
        for call in calls.values():
            assert call["clientId"] == client_id and call["provider"] == "generic"
        assert calls[b]["from"] == FROM_MASKED and calls[b]["to"] == TO_MASKED and calls[b]["direction"] == "outbound"
        assert "endedAt" not in calls[b] or calls[b]["endedAt"] is None

        # a: started then ended, merged: the start's fields and the end's.
        assert calls[a]["direction"] == "inbound", calls[a]
        assert calls[a]["from"] == FROM_MASKED and calls[a]["to"] == TO_MASKED
        assert calls[a]["startedAt"].startswith(time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(base))), calls[a]
        assert calls[a]["endedAt"].startswith(time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(base + 30))), calls[a]
        assert calls[a]["durationSeconds"] == 30 and calls[a]["endReason"] == "completed"

        # c: ended without started still lands in recent calls.
        assert calls[c]["endReason"] == "no-answer" and calls[c]["durationSeconds"] == 5

        # d: the second call.ended filled in the endReason the first lacked; the first's fields stay.
        assert calls[d]["endReason"] == "customer-ended", calls[d]
        assert calls[d]["durationSeconds"] == 12, calls[d]
        assert calls[d]["from"] == FROM_MASKED, calls[d]
        assert [x["callId"] for x in recent].count(d) == 1


def test_recent_calls_hold_the_20_newest_ended_newest_first(bridge, ingest):
    client_id = new_id("snap-cap")
    base = int(time.time()) - 1000
    calls = [new_id(f"cap{i:02d}") for i in range(23)]
    bodies = [generic_body("ended", call, client_id, timestamp=base + i, durationSeconds=i, endReason="completed")
              for i, call in enumerate(calls)]
    with WsClient(bridge.ws_url, client_token(client_id)) as live:
        live.next("snapshot")
        for call, body in zip(calls, bodies):  # one at a time, so the Bridge receives them in this order
            post_body(ingest, body)
            live.events_for({call}, 1)
        before = consumed(bridge)
        # A duplicate delivery of the oldest call (no longer among the 20): it must not come back.
        post_body(ingest, bodies[0])
        wait_consumed(bridge, before + 1)
        time.sleep(0.3)
    snapshot = snapshot_of(bridge, client_id)
    assert snapshot["activeCalls"] == []
    got = [x["callId"] for x in snapshot["recentCalls"]]
    assert got == list(reversed(calls))[:20], f"expected the 20 newest, newest first (and no duplicate back); got {got}"


def test_snapshot_contains_only_the_rooms_calls(bridge, ingest):
    mine, other = new_id("snap-mine"), new_id("snap-other")
    call_mine, call_other = new_id("snap-call"), new_id("snap-call")
    with WsClient(bridge.ws_url, client_token(mine)) as live:
        live.next("snapshot")
        post_call(ingest, "started", call_other, other)
        post_call(ingest, "started", call_mine, mine)
        live.events_for({call_mine}, 1)
        time.sleep(0.3)
    snapshot = snapshot_of(bridge, mine)
    assert [x["callId"] for x in snapshot["activeCalls"]] == [call_mine]
    assert snapshot["recentCalls"] == []
