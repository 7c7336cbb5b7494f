"""Routing: webhooks posted to Ingest reach the right /ws sockets. An admin socket sees every
call, a client socket only its client's calls; the event frame carries the CloudEvent
exactly as on Kafka (masked numbers)."""

from bridge_clients import (FROM_MASKED, TO_MASKED, WsClient, admin_token, client_token, event_call_id, new_id,
                            post_call)


def check_event_frame(frame: dict, room: str, call_id: str, client_id: str, kind: str, event_id: str) -> None:
    assert frame["type"] == "event"
    assert frame["room"] == room, frame
    assert isinstance(frame.get("position"), str) and frame["position"], f"no position: {frame}"
    event = frame["event"]
    assert event["specversion"] == "1.0"
    assert event["id"] == event_id, "the frame's event id is not the one Ingest answered"
    assert event["type"] == f"call.{kind}"
    assert event["source"] == "callbridge/ingest/generic"
    assert event["subject"] == call_id
    assert event["datacontenttype"] == "application/json"
    assert isinstance(event.get("time"), str) and event["time"].endswith("Z")
    data = event["data"]
    assert data["callId"] == call_id and data["clientId"] == client_id and data["provider"] == "generic"
    assert data["from"] == FROM_MASKED and data["to"] == TO_MASKED, f"numbers not masked as on Kafka: {data}"
    assert "4155554321" not in str(frame) and "4155551212" not in str(frame)


def test_admin_sees_every_call_and_clients_only_their_own(bridge, ingest):
    acme_call, globex_call = new_id("route-acme"), new_id("route-globex")
    admin = WsClient(bridge.ws_url, admin_token())
    acme = WsClient(bridge.ws_url, client_token("acme"))
    globex = WsClient(bridge.ws_url, client_token("globex"))
    try:
        for client, room in ((admin, "admin"), (acme, "client:acme"), (globex, "client:globex")):
            snapshot = client.next("snapshot")
            assert snapshot["room"] == room
            assert isinstance(snapshot["activeCalls"], list) and isinstance(snapshot["recentCalls"], list)
            assert isinstance(snapshot.get("position"), str)

        ids = {
            ("acme", "started"): post_call(ingest, "started", acme_call, "acme", direction="inbound"),
            ("globex", "started"): post_call(ingest, "started", globex_call, "globex", direction="outbound"),
            ("acme", "ended"): post_call(ingest, "ended", acme_call, "acme", durationSeconds=42, endReason="completed"),
            ("globex", "ended"): post_call(ingest, "ended", globex_call, "globex", durationSeconds=7, endReason="busy"),
        }

        admin_frames = admin.events_for({acme_call, globex_call}, 4, settle=1.0)
        acme_frames = acme.events_for({acme_call, globex_call}, 2, settle=0.5)
        globex_frames = globex.events_for({acme_call, globex_call}, 2, settle=0.5)

        # The admin room: each event once, each call's events in order.
        assert len(admin_frames) == 4, [(f["event"]["type"], event_call_id(f)) for f in admin_frames]
        for call_id, client_id in ((acme_call, "acme"), (globex_call, "globex")):
            frames = [f for f in admin_frames if event_call_id(f) == call_id]
            assert [f["event"]["type"] for f in frames] == ["call.started", "call.ended"]
            for frame, kind in zip(frames, ("started", "ended")):
                check_event_frame(frame, "admin", call_id, client_id, kind, ids[(client_id, kind)])

        # client:acme: acme's call only, once each.
        assert [event_call_id(f) for f in acme_frames] == [acme_call, acme_call]
        for frame, kind in zip(acme_frames, ("started", "ended")):
            check_event_frame(frame, "client:acme", acme_call, "acme", kind, ids[("acme", kind)])
        # client:globex: globex's only.
        assert [event_call_id(f) for f in globex_frames] == [globex_call, globex_call]
        for frame, kind in zip(globex_frames, ("started", "ended")):
            check_event_frame(frame, "client:globex", globex_call, "globex", kind, ids[("globex", kind)])

        # Whatever else a client socket got (other tests' calls), it is never another client's.
        for client, client_id in ((acme, "acme"), (globex, "globex")):
            for message in client.received:
                if message.get("type") == "event":
                    assert message["room"] == f"client:{client_id}", message
                    assert message["event"]["data"]["clientId"] == client_id, message
    finally:
        for client in (admin, acme, globex):
            client.close()


def test_events_of_an_unrelated_client_reach_only_admin(bridge, ingest):
    """A client id nobody is subscribed to: admin still sees its call; acme does not."""
    stranger = new_id("stranger")
    call = new_id("route-stranger")
    admin = WsClient(bridge.ws_url, admin_token())
    acme = WsClient(bridge.ws_url, client_token("acme"))
    try:
        admin.next("snapshot")
        acme.next("snapshot")
        post_call(ingest, "started", call, stranger)
        assert len(admin.events_for({call}, 1)) == 1
        acme.drain(1.0)
        assert not [m for m in acme.received if m.get("type") == "event" and event_call_id(m) == call]
    finally:
        admin.close()
        acme.close()
