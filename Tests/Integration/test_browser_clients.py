"""Browser clients from another origin. The official Socket.IO JavaScript client (socket.io-client 4.8.1, its browser bundle) in
headless Chromium, on a page served from another origin, as dashboards are deployed:
`io(bridgeURL, {auth: {token}})` with default options (polling, then the upgrade), with
WebSocket only and with polling only. Each gets its snapshot and only its own client's calls;
then the Bridge is killed, calls happen while it is down, and the client reconnects to a new
Bridge process on the same address with `socket.recovered === true` and exactly the calls it
missed, none doubled. A browser `EventSource` on `/events` does the same with `Last-Event-ID`."""

import json
import signal

import pytest

from browser import Chrome, PageServer
from confluent_kafka import Producer

from bridge_clients import client_token, cloud_event, new_id, post_call, produce_events
from conftest import BRIDGE_JWT_SECRET, SECRETS
from harness import ROOT, Bridge, Broker, Ingest, free_port, wait_until

BUNDLE = ROOT / ".venv" / "share" / "socket.io" / "socket.io.min.js"

PAGE = """<!doctype html>
<meta charset="utf-8">
<title>socket.io-client test page</title>
<script src="/socket.io.min.js"></script>
<script>
  // Each socket logs what a dashboard hook would see, by name.
  window.logs = {};
  window.sockets = {};
  window.start = (name, url, token, options) => {
    const log = window.logs[name] = [];
    const socket = io(url, Object.assign({auth: {token}, forceNew: true}, options));
    window.sockets[name] = socket;
    socket.on("connect", () => log.push({t: "connect", recovered: socket.recovered, transport: socket.io.engine.transport.name}));
    socket.on("connect_error", error => log.push({t: "connect_error", message: error.message}));
    socket.on("disconnect", reason => log.push({t: "disconnect", reason}));
    socket.on("calls:snapshot", snapshot => log.push({t: "snapshot", room: snapshot.room,
      active: snapshot.activeCalls.map(c => c.callId), recent: snapshot.recentCalls.map(c => c.callId)}));
    socket.on("call:started", call => log.push({t: "started", callId: call.callId, clientId: call.clientId, from: call.from}));
    socket.on("call:ended", call => log.push({t: "ended", callId: call.callId, clientId: call.clientId}));
    socket.io.engine.on("upgrade", transport => log.push({t: "upgrade", transport: transport.name}));
  };
  window.transportOf = name => window.sockets[name].io.engine && window.sockets[name].io.engine.transport.name;
</script>
"""


@pytest.fixture(scope="module")
def own(workdir):
    """A broker and Ingest of this module's own: a replacement Bridge replays only this
    module's events, so it is ready within a second, as in a deployment whose Bridges run
    all the time. (On the session's shared topic, tens of thousands of records by now, the
    replay takes 10 s or more on the embedded broker; see docs/bridge.md, "Load balancers".)"""
    directory = workdir / "browser-broker"
    directory.mkdir(exist_ok=True)
    broker = Broker(directory).start()
    ingest = Ingest(broker, directory, SECRETS).start()
    yield broker, ingest
    ingest.stop()
    broker.stop()


@pytest.fixture(scope="module")
def page(workdir):
    if not BUNDLE.exists():
        pytest.fail(f"{BUNDLE} is missing: scripts/setup.sh takes it from the nicegui wheel")
    folder = workdir / "socketio-page"
    folder.mkdir(exist_ok=True)
    server = PageServer(folder, {"index.html": PAGE.encode(), "socket.io.min.js": BUNDLE.read_bytes()})
    yield server
    server.close()


def log_of(chrome: Chrome, name: str) -> list[dict]:
    return chrome.log_of(name)


def wait_log(chrome: Chrome, name: str, predicate, what: str, timeout: float = 20) -> list[dict]:
    return chrome.wait_log(name, predicate, what, timeout)


def calls_seen(log: list[dict], kind: str) -> list[str]:
    return [entry["callId"] for entry in log if entry["t"] == kind]


@pytest.mark.parametrize("transports, backlog", [(None, 0), (["websocket"], 0), (["polling"], 0), (None, 40_000)],
                         ids=["default", "websocket", "polling", "default-new-bridge-replaying"])
def test_official_client_from_another_origin_connects_is_isolated_and_recovers_on_a_new_bridge(own, workdir, page, transports, backlog):
    """With a backlog, the new Bridge takes seconds to replay the topic at start: the client's
    CONNECT waits for it, and its transport upgrades meanwhile (the upgrade used to lose the
    waiting CONNECT: the client was never answered)."""
    broker, ingest = own
    bridge = Bridge(broker, workdir, BRIDGE_JWT_SECRET, extra_args=["--cors-origins", page.origin]).start()
    chrome = Chrome(workdir, state="JSON.stringify(window.logs)")
    try:
        chrome.navigate(page.origin + "/index.html")
        chrome.wait_for("typeof window.start === 'function' && typeof io === 'function'", what="the page and the client bundle")
        options = {} if transports is None else {"transports": transports}
        ours, theirs = new_id("js"), new_id("js-other")
        for name, client in (("ours", ours), ("theirs", theirs)):
            chrome.evaluate(f"window.start({json.dumps(name)}, {json.dumps(bridge.url)}, {json.dumps(client_token(client))}, {json.dumps(options)})")
        for name, client in (("ours", ours), ("theirs", theirs)):
            log = wait_log(chrome, name, lambda log: any(e["t"] == "snapshot" for e in log), "connect and snapshot")
            log = [e for e in log if e["t"] != "upgrade"]  # the upgrade may come before or after CONNECT
            assert [e["t"] for e in log][:2] == ["connect", "snapshot"], log
            assert log[1]["room"] == f"client:{client}" and log[0]["recovered"] is False

        mine, other = new_id("js-call"), new_id("js-call")
        post_call(ingest, "started", other, theirs)
        post_call(ingest, "started", mine, ours)
        post_call(ingest, "ended", mine, ours, durationSeconds=4, endReason="completed")
        log = wait_log(chrome, "ours", lambda log: mine in calls_seen(log, "ended"), "its call started and ended")
        assert calls_seen(log, "started") == [mine] and calls_seen(log, "ended") == [mine], log
        started = next(e for e in log if e["t"] == "started")
        assert started["clientId"] == ours and started["from"].startswith("***"), started
        wait_log(chrome, "theirs", lambda log: other in calls_seen(log, "started"), "the other client's call")
        assert other not in calls_seen(log_of(chrome, "ours"), "started"), "a client saw another client's call"
        assert mine not in calls_seen(log_of(chrome, "theirs"), "started"), "a client saw another client's call"

        expected_transport = "polling" if transports == ["polling"] else "websocket"
        wait_until(lambda: chrome.evaluate("window.transportOf('ours')") == expected_transport, 15,
                   what=f"the client on {expected_transport}")

        if backlog:
            producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 20})
            produce_events(producer, "calls.lifecycle.v1",
                           [cloud_event("started", new_id("js-backlog"), new_id("js-backlog")) for _ in range(backlog)])
        # The Bridge goes away without a goodbye; calls happen while it is down.
        bridge.process.popen.send_signal(signal.SIGKILL)
        bridge.process.popen.wait(timeout=10)
        wait_log(chrome, "ours", lambda log: any(e["t"] == "disconnect" for e in log), "the disconnect")
        missed = [new_id("js-missed") for _ in range(3)]
        for call in missed:
            post_call(ingest, "started", call, ours)
        post_call(ingest, "ended", missed[0], ours, durationSeconds=1, endReason="completed")

        # Another Bridge process at the same address (what a load balancer would route to).
        replacement = Bridge(broker, workdir, BRIDGE_JWT_SECRET, extra_args=["--cors-origins", page.origin], port=bridge.port).start()
        try:
            log = wait_log(chrome, "ours", lambda log: missed[0] in calls_seen(log, "ended"), "the missed calls after reconnecting",
                           timeout=45)
            reconnect = [e for e in log if e["t"] == "connect"][1]
            assert reconnect["recovered"] is True, log
            after = log[log.index(reconnect) + 1:]
            assert not any(e["t"] == "snapshot" for e in after), f"a recovered client got a snapshot: {after}"
            # Calls on different partitions may come in any order; one call's events keep theirs.
            assert sorted(calls_seen(after, "started")) == sorted(missed) and calls_seen(after, "ended") == [missed[0]], after
            kinds_of_first = [e["t"] for e in after if e.get("callId") == missed[0]]
            assert kinds_of_first == ["started", "ended"], after
            assert calls_seen(log, "started").count(mine) == 1, "an event was doubled"
            # And it is live again on the new Bridge.
            live = new_id("js-live")
            post_call(ingest, "started", live, ours)
            wait_log(chrome, "ours", lambda log: live in calls_seen(log, "started"), "a live call on the new Bridge")
        finally:
            replacement.stop()
        assert not chrome.console_errors(), chrome.console_errors()
    finally:
        chrome.close()
        if bridge.process.alive():
            bridge.stop()


EVENT_SOURCE_PAGE = """<!doctype html>
<meta charset="utf-8">
<title>EventSource test page</title>
<script>
  window.logs = {};
  window.openStream = (name, url) => {
    const log = window.logs[name] = [];
    const source = new EventSource(url);
    window.sources = Object.assign(window.sources || {}, {[name]: source});
    source.onopen = () => log.push({t: "open"});
    source.onerror = () => log.push({t: "error", state: source.readyState});
    source.addEventListener("snapshot", e => log.push({t: "snapshot", id: e.lastEventId, data: JSON.parse(e.data)}));
    for (const kind of ["call.started", "call.ended"]) {
      source.addEventListener(kind, e => log.push({t: kind, id: e.lastEventId, callId: JSON.parse(e.data).event.subject}));
    }
  };
</script>
"""


def test_a_browser_event_source_from_another_origin_resumes_with_last_event_id(own, workdir):
    broker, ingest = own
    folder = workdir / "event-source-page"
    folder.mkdir(exist_ok=True)
    page = PageServer(folder, {"index.html": EVENT_SOURCE_PAGE.encode()})
    bridge = Bridge(broker, workdir, BRIDGE_JWT_SECRET, extra_args=["--cors-origins", page.origin]).start()
    chrome = Chrome(workdir, state="JSON.stringify(window.logs)")
    try:
        chrome.navigate(page.origin + "/index.html")
        chrome.wait_for("typeof window.openStream === 'function'", what="the page")
        client = new_id("es")
        chrome.evaluate(f"window.openStream('feed', {json.dumps(bridge.url + '/events?token=' + client_token(client))})")
        chrome.wait_log("feed", lambda log: any(e["t"] == "snapshot" for e in log), "the snapshot")
        first = new_id("es-call")
        post_call(ingest, "started", first, client)
        chrome.wait_log("feed", lambda log: first in [e.get("callId") for e in log], "a live call")

        bridge.process.popen.send_signal(signal.SIGKILL)
        bridge.process.popen.wait(timeout=10)
        chrome.wait_log("feed", lambda log: any(e["t"] == "error" for e in log), "the stream's error")
        missed = [new_id("es-missed") for _ in range(3)]
        for call in missed:
            post_call(ingest, "started", call, client)
        replacement = Bridge(broker, workdir, BRIDGE_JWT_SECRET, extra_args=["--cors-origins", page.origin], port=bridge.port).start()
        try:
            # EventSource reconnects by itself, sending the last id it saw.
            log = chrome.wait_log("feed", lambda log: set(missed) <= {e.get("callId") for e in log}, "the missed calls", timeout=45)
            after = log[[i for i, e in enumerate(log) if e["t"] == "open"][1]:]
            assert not any(e["t"] == "snapshot" for e in after), f"a resumed stream got a snapshot: {after}"
            started = [e["callId"] for e in log if e["t"] == "call.started"]
            assert started.count(first) == 1 and sorted(started[1:]) == sorted(missed), log
        finally:
            replacement.stop()
    finally:
        chrome.close()
        page.close()
        if bridge.process.alive():
            bridge.stop()
