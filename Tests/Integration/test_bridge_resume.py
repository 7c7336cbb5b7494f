"""Resume: a reconnecting client that gives the position of the last event it handled
(`?since=` or a `join` with `since`) receives exactly the events it missed, in order, once,
then `resumed`; a gap the room no longer holds gets a fresh snapshot with
`"recovered": false`; a position from one Bridge instance resumes on another."""

import time

import pytest

from bridge_clients import WsClient, client_token, event_call_id, new_id, post_call
from conftest import BRIDGE_JWT_SECRET
from harness import Bridge


def ids(frames: list[dict]) -> list[str]:
    return [f["event"]["id"] for f in frames]


def per_call_order(frames: list[dict]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for frame in frames:
        out.setdefault(event_call_id(frame), []).append(frame["event"]["type"])
    return out


def read_replay(client: WsClient, room: str, timeout: float = 15) -> tuple[list[dict], dict]:
    """Messages up to `resumed`: the replayed event frames and the `resumed` message. Fails
    on a snapshot (the gap should have been held)."""
    frames = []
    deadline = time.monotonic() + timeout
    while True:
        message = client.recv(max(0.01, deadline - time.monotonic()))
        if message["type"] == "resumed":
            assert message["room"] == room
            return frames, message
        assert message["type"] != "snapshot", f"got a snapshot instead of a resume: {message}"
        if message["type"] == "event":
            assert message["room"] == room
            frames.append(message)


class Scenario:
    """A client room of its own, a live observer that records the order in which this
    Bridge delivers the room's events, and a resumer that disconnects after event k."""

    def __init__(self, bridge, ingest, prefix: str):
        self.bridge, self.ingest = bridge, ingest
        self.client_id = new_id(prefix)
        self.room = f"client:{self.client_id}"
        self.calls = [new_id(f"{prefix}-call") for _ in range(4)]
        self.observer = WsClient(bridge.ws_url, client_token(self.client_id))
        self.observer.next("snapshot")

    def post(self, kind: str, index: int) -> str:
        return post_call(self.ingest, kind, self.calls[index], self.client_id)

    def observed(self, count: int) -> list[dict]:
        return self.observer.events_for(set(self.calls), count)

    def close(self):
        self.observer.close()


@pytest.fixture()
def scenario(bridge, ingest):
    s = Scenario(bridge, ingest, "resume")
    yield s
    s.close()


def run_until_disconnect(s: Scenario, k: int = 1):
    """The resumer reads 3 events, keeps the position of event k (0-based), disconnects;
    then 3 more events are posted. Returns (position, the events it missed in this Bridge's order)."""
    with WsClient(s.bridge.ws_url, client_token(s.client_id)) as resumer:
        resumer.next("snapshot")
        for i in range(3):
            s.post("started", i)
        seen = resumer.events_for(set(s.calls), 3)
        position = seen[k]["position"]
        assert isinstance(position, str) and position
    s.post("ended", 0)
    s.post("started", 3)
    s.post("ended", 1)
    observed = s.observed(6)
    k_id = seen[k]["event"]["id"]
    k_index = ids(observed).index(k_id)
    return position, observed[k_index + 1:]


def test_reconnect_with_since_in_the_url_gets_exactly_the_missed_events(scenario):
    s = scenario
    position, missed = run_until_disconnect(s, k=1)
    assert len(missed) == 4
    with WsClient(s.bridge.ws_url, client_token(s.client_id), since=position) as again:
        frames, resumed = read_replay(again, s.room)
        assert ids(frames) == ids(missed), "replay must be the missed events, in this Bridge's order, once"
        assert resumed.get("replayed") == len(missed)
        assert isinstance(resumed.get("position"), str) and resumed["position"]
        # Live from here on: a new event arrives once, and nothing was sent twice.
        s.post("ended", 2)
        live = again.events_for(set(s.calls), 1, settle=1.0)
        assert [f["event"]["type"] for f in live] == ["call.ended"] and event_call_id(live[0]) == s.calls[2]
        everything = [m["event"]["id"] for m in again.received if m.get("type") == "event"]
        assert len(everything) == len(set(everything)), "an event was delivered twice"


def test_join_with_since_gets_exactly_the_missed_events(scenario):
    s = scenario
    position, missed = run_until_disconnect(s, k=0)
    assert len(missed) == 5
    with WsClient(s.bridge.ws_url, client_token(s.client_id)) as again:
        again.next("snapshot")
        again.send_json({"type": "join", "room": s.room, "since": position})
        frames, resumed = read_replay(again, s.room)
        assert ids(frames) == ids(missed)
        assert resumed.get("replayed") == len(missed)
        assert per_call_order(frames)[s.calls[0]] == ["call.ended"]
        # The latest position resumes with nothing to replay.
        again.send_json({"type": "join", "room": s.room, "since": resumed["position"]})
        frames, resumed = read_replay(again, s.room)
        assert frames == [] and resumed.get("replayed") == 0


@pytest.mark.parametrize("since", ["garbage!!", "x" * 300])
def test_join_with_a_garbage_since_is_a_bad_request(bridge, since):
    client_id = new_id("resume-bad")
    with WsClient(bridge.ws_url, client_token(client_id)) as client:
        client.next("snapshot")
        client.send_json({"type": "join", "room": f"client:{client_id}", "since": since})
        error = client.next("error")
        assert error["code"] == "bad_request", f"since={since!r}: {error}"
        # The connection stays usable.
        client.send_json({"type": "join", "room": f"client:{client_id}", "since": None})
        assert client.next("snapshot")["room"] == f"client:{client_id}"


def test_a_gap_the_room_no_longer_holds_gets_a_fresh_snapshot(broker, ingest, workdir):
    """A Bridge whose rooms keep only 2 events: a position 5 events back cannot be honoured."""
    bridge = Bridge(broker, workdir, BRIDGE_JWT_SECRET, extra_args=["--history-events", "2"]).start()
    try:
        client_id = new_id("resume-gap")
        room = f"client:{client_id}"
        calls = [new_id("gap-call") for _ in range(6)]
        with WsClient(bridge.ws_url, client_token(client_id)) as client:
            client.next("snapshot")
            post_call(ingest, "started", calls[0], client_id)
            position = client.events_for({calls[0]}, 1)[0]["position"]
        for call in calls[1:]:
            post_call(ingest, "started", call, client_id)
        with WsClient(bridge.ws_url, client_token(client_id)) as observer:
            snapshot = observer.next("snapshot")
            deadline = time.monotonic() + 10
            while len(snapshot["activeCalls"]) < 6 and time.monotonic() < deadline:  # wait until consumed
                time.sleep(0.2)
                observer.send_json({"type": "join", "room": room, "since": None})
                snapshot = observer.next("snapshot")
            assert len(snapshot["activeCalls"]) == 6, snapshot

        with WsClient(bridge.ws_url, client_token(client_id), since=position) as again:
            message = again.next("snapshot")
            assert message.get("recovered") is False, f"expected recovered:false, got {message}"
            assert message["room"] == room
            assert sorted(c["callId"] for c in message["activeCalls"]) == sorted(calls)
            assert isinstance(message.get("position"), str) and message["position"]
            # The same through join.
            again.send_json({"type": "join", "room": room, "since": position})
            message = again.next("snapshot")
            assert message.get("recovered") is False, f"join: expected recovered:false, got {message}"
            assert sorted(c["callId"] for c in message["activeCalls"]) == sorted(calls)
            # No stale replay: nothing but the snapshots arrived.
            assert not [m for m in again.received if m["type"] in ("event", "resumed")], again.received
    finally:
        assert bridge.stop() == 0, bridge.log()[-2000:]


def test_two_instances_each_deliver_every_event_and_positions_resume_across_them(bridge, broker, ingest, workdir):
    other = Bridge(broker, workdir, BRIDGE_JWT_SECRET).start()
    try:
        client_id = new_id("two")
        room = f"client:{client_id}"
        calls = [new_id("two-call") for _ in range(3)]
        on_a = WsClient(bridge.ws_url, client_token(client_id))
        on_b = WsClient(other.ws_url, client_token(client_id))
        try:
            on_a.next("snapshot")
            on_b.next("snapshot")
            for call in calls:
                post_call(ingest, "started", call, client_id)
            post_call(ingest, "ended", calls[0], client_id)
            post_call(ingest, "ended", calls[1], client_id)
            frames_a = on_a.events_for(set(calls), 5, settle=0.5)
            frames_b = on_b.events_for(set(calls), 5, settle=0.5)
        finally:
            on_a.close()
            on_b.close()
        assert len(frames_a) == 5 and len(frames_b) == 5
        assert set(ids(frames_a)) == set(ids(frames_b)), "both instances deliver every event"
        assert per_call_order(frames_a) == per_call_order(frames_b)

        # A's position after its first event resumes on B with the rest (as a set: B's
        # order across partitions may differ, each call's order may not).
        position = frames_a[0]["position"]
        expected = frames_a[1:]
        with WsClient(other.ws_url, client_token(client_id), since=position) as on_b:
            replay, resumed = read_replay(on_b, room)
        assert sorted(ids(replay)) == sorted(ids(expected)), "B's replay of A's position"
        assert len(ids(replay)) == len(set(ids(replay)))
        assert per_call_order(replay) == per_call_order(expected)
        assert resumed.get("replayed") == len(expected)

        # And B's latest position resumes on A with nothing missed.
        with WsClient(bridge.ws_url, client_token(client_id), since=resumed["position"]) as on_a:
            replay, resumed_a = read_replay(on_a, room)
            assert replay == [] and resumed_a.get("replayed") == 0
    finally:
        assert other.stop() == 0, other.log()[-2000:]
