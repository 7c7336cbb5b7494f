"""The live dashboard at `GET /`, in a real browser: headless Chromium (Debian's `chromium`)
driven over the DevTools protocol with websocket-client (browser.py).

- It connects with the page URL's token, shows active calls (call id, direction, …), moves
  ended calls to the recent calls (end time, reason) in a table whose columns line up with
  the active one, and escapes what it shows.
- Offline: when the Bridge stops (SIGTERM: close 1001) the page says it is restarting until
  it is back, dims the stale rows and stops their durations; after the restart it reconnects
  with `since=` and catches up.
- The admin's client filter is server-side: the page joins `client:{id}` and leaves `admin`
  (seen in the frames it sent and in the Bridge's subscriber gauges), and a call of another
  client never reaches it; "All clients" joins `admin` again.
- The charts: calls started and ended per minute, active calls, per provider.
- A token the Bridge refuses: the page says so and stops retrying.
- 420 px wide: no horizontal page scroll. No console errors (no favicon request either).
- Screenshots: written to docs/images/dashboard-*.png when CALLBRIDGE_SCREENSHOTS=1
  (otherwise into the test's work folder)."""

import base64
import json
import os
import random
import re
import time
import uuid

import requests
from confluent_kafka import Producer

from bridge_clients import (FROM_MASKED, TO_MASKED, WsClient, admin_token, create_topic, event_id, metric,
                            new_id, post_call, produce_events)
from conftest import BRIDGE_JWT_SECRET
from browser import Chrome
from harness import ROOT, Bridge, wait_until

DOM_STATE = """(() => {
  const rows = sel => Array.from(document.querySelectorAll(sel)).map(tr => {
    const cells = {};
    tr.querySelectorAll('td[data-field]').forEach(td => { cells[td.getAttribute('data-field')] = td.textContent; });
    return {callId: tr.getAttribute('data-call-id'), stale: tr.classList.contains('stale'), cells};
  });
  const status = document.getElementById('status');
  const main = document.getElementById('main');
  const minutes = document.getElementById('chart-minutes');
  return {
    status: status && status.getAttribute('data-status'),
    statusText: status && status.textContent,
    nextRetry: status && status.getAttribute('data-next-retry'),
    message: (document.getElementById('message') || {}).textContent,
    room: main && main.getAttribute('data-room'),
    stale: main && main.getAttribute('data-stale'),
    chart: minutes && {started: minutes.getAttribute('data-started'), ended: minutes.getAttribute('data-ended'),
                       active: minutes.getAttribute('data-active'), exactSince: minutes.getAttribute('data-exact-since')},
    providers: Array.from(document.querySelectorAll('#chart-providers g[data-provider]')).map(g =>
      [g.getAttribute('data-provider'), g.getAttribute('data-calls'), g.getAttribute('data-active')]),
    active: rows('#active-calls tbody tr[data-call-id]'),
    recent: rows('#recent-calls tbody tr[data-call-id]'),
    search: location.search,
  };
})()"""

SCREENSHOTS = os.environ.get("CALLBRIDGE_SCREENSHOTS") == "1"
IMAGES = ROOT / "docs" / "images"


def row_js(table: str, call_id: str) -> str:
    return f"document.querySelector('#{table} tbody tr[data-call-id=' + {json.dumps(json.dumps(call_id))} + ']') !== null"


def status_is(value: str) -> str:
    return f"(document.getElementById('status') || {{getAttribute: () => null}}).getAttribute('data-status') === {json.dumps(value)}"


def shows_room(room: str) -> str:
    return (f"(document.getElementById('main') || {{getAttribute: () => null}}).getAttribute('data-room') === {json.dumps(room)} && "
            + status_is("live"))


def cell_js(table: str, call_id: str, field: str) -> str:
    return (f"(document.querySelector('#{table} tbody tr[data-call-id=' + {json.dumps(json.dumps(call_id))} + "
            f"'] td[data-field=\"{field}\"]') || {{}}).textContent")


def page_clock_passes(chrome: Chrome, milliseconds: int, what: str) -> None:
    """Waits until the page's own clock has moved on by `milliseconds` (what a ticking
    duration or a retry timer would have acted on)."""
    until = chrome.evaluate("Date.now()") + milliseconds
    chrome.wait_for(f"Date.now() >= {until}", timeout=milliseconds / 1000 + 10, what=what)


def subscribers(bridge: Bridge, kind: str) -> float:
    return metric(bridge.metrics(), "callbridge_bridge_subscribers", room_kind=kind) or 0.0


def private_bridge(broker, workdir) -> tuple[Bridge, str]:
    """A Bridge reading a topic of its own: it starts at once, and its `admin` room holds only
    what the test produces (exact chart figures, deterministic screenshots)."""
    topic = f"calls.dashboard-test.{uuid.uuid4().hex[:10]}"
    create_topic(broker.bootstrap, topic, partitions=6)
    return Bridge(broker, workdir, BRIDGE_JWT_SECRET, extra_args=["--topic", topic]).start(), topic


def stamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds * 1000) % 1000:03d}Z"


def call_event(kind: str, call_id: str, client_id: str, *, provider: str = "generic", direction: str = "inbound",
               started: float | None = None, ended: float | None = None, reason: str = "completed",
               caller: str = "4321") -> dict:
    """A call event as Ingest writes it (docs/schema/call-event.schema.json), produced straight to Kafka."""
    started = time.time() if started is None else started
    data: dict = {"callId": call_id, "clientId": client_id, "provider": provider, "direction": direction,
                  "from": "***" + caller, "to": TO_MASKED, "startedAt": stamp(started)}
    when = started
    if kind == "ended":
        ended = time.time() if ended is None else ended
        data.update({"endedAt": stamp(ended), "durationSeconds": int(round(ended - started)), "endReason": reason})
        when = ended
    return {"specversion": "1.0", "id": event_id(), "source": f"callbridge/ingest/{provider}", "type": f"call.{kind}",
            "time": stamp(when), "subject": call_id, "datacontenttype": "application/json", "data": data}


def producer_for(broker) -> Producer:
    return Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 5, "acks": "all"})


def dashboard_browser(workdir, viewport: tuple[int, int] | None = (1280, 900), log: bool = False) -> Chrome:
    """A browser for the dashboard: a failed wait shows DOM_STATE; with `log`, the browser's
    own log entries are kept too (``Chrome.enable_log``)."""
    chrome = Chrome(workdir, state=DOM_STATE)
    if log:
        chrome.enable_log()
    if viewport is not None:
        chrome.set_viewport(*viewport)
    return chrome


def header_geometry(chrome: Chrome, table: str) -> list:
    return chrome.evaluate(f"""Array.from(document.querySelectorAll('#{table} thead th')).map(th => {{
        const r = th.getBoundingClientRect(); return [th.textContent, Math.round(r.left), Math.round(r.width)]; }})""")


def sent_messages(chrome: Chrome) -> list[dict]:
    out = []
    for payload in chrome.websocket_frames("sent"):
        try:
            out.append(json.loads(payload))
        except ValueError:
            pass
    return out


def screenshot_path(workdir, name: str):
    return (IMAGES if SCREENSHOTS else workdir / "screenshots") / f"dashboard-{name}.png"


# ---------------------------------------------------------------- the page and its files


def test_dashboard_page_is_served_with_its_own_files_only(bridge):
    response = requests.get(bridge.url + "/", timeout=10)
    assert response.status_code == 200
    assert response.headers.get("Content-Type", "").startswith("text/html")
    page = response.text
    for hook in ('id="status"', 'id="active-calls"', 'id="recent-calls"', '<script src="dashboard.js">',
                 '<link rel="stylesheet" href="dashboard.css">', 'id="client-filter"', 'id="chart-minutes"',
                 'id="chart-providers"'):
        assert hook in page, hook
    files = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}
    texts = [page]
    for name, kind in files.items():
        answer = requests.get(bridge.url + "/" + name, timeout=10)
        assert answer.status_code == 200 and answer.headers["Content-Type"].startswith(kind), (name, answer.headers)
        texts.append(answer.text)
    for text in texts:
        lowered = text.lower()
        # Nothing from another host: the page, its style sheet and its script are all there is.
        assert "http://" not in lowered and "https://" not in lowered and "//cdn" not in lowered
        assert ".innerhtml" not in lowered, "the page writes HTML from data"
    css = texts[2].lower()
    assert "@import" not in css and "url(" not in css, "the style sheet loads something"
    assert page.lower().count("<script") == 1
    # Two links: the style sheet, and the icon inline as a data: URL (so the browser asks for no /favicon.ico).
    links = re.findall(r"<link\b[^>]*>", page, flags=re.IGNORECASE)
    assert len(links) == 2, links
    icon = next(link for link in links if 'rel="icon"' in link)
    data = re.search(r'href="data:image/png;base64,([A-Za-z0-9+/=]+)"', icon)
    assert data and base64.b64decode(data.group(1)).startswith(b"\x89PNG\r\n\x1a\n"), icon


# ---------------------------------------------------------------- active → ended, offline → recovered


def test_dashboard_shows_calls_live_and_catches_up_after_a_restart(broker, ingest, workdir):
    bridge = Bridge(broker, workdir, BRIDGE_JWT_SECRET).start()
    chrome = dashboard_browser(workdir)
    client_id = new_id("dash")
    first, second, during, lasting = new_id("dash-a"), new_id("dash-b"), new_id("dash-down"), new_id("dash-long")
    hostile = '<img src=x onerror="window.__xss=1"><b id="xss">bold</b>'
    try:
        chrome.navigate(f"{bridge.url}/?token={admin_token()}")
        chrome.wait_for(status_is("live"), what="status live")
        assert "token=" not in chrome.evaluate("location.search"), "the token stays in the address bar"

        post_call(ingest, "started", first, client_id, timestamp=int(time.time()) - 65, direction="outbound")
        chrome.wait_for(row_js("active-calls", first), what="the started call in #active-calls")
        state = chrome.evaluate(DOM_STATE)
        row = next(r for r in state["active"] if r["callId"] == first)
        assert row["cells"]["call"] == first, row
        assert row["cells"]["from"] == FROM_MASKED and row["cells"]["to"] == TO_MASKED, row
        assert row["cells"]["client"] == client_id and row["cells"]["provider"] == "generic", row
        assert row["cells"]["direction"] == "outbound", row
        assert row["cells"]["started"] not in ("", "–"), row
        assert row["cells"]["ended"] == "–" and row["cells"]["reason"] == "–", row
        assert row["cells"]["duration"].count(":") >= 1, row

        # The two tables have the same columns, at the same places.
        active_header, recent_header = header_geometry(chrome, "active-calls"), header_geometry(chrome, "recent-calls")
        assert [h[0] for h in active_header] == ["Call ID", "Client", "Provider", "Direction", "From", "To", "Started",
                                                 "Ended", "Duration", "End reason"], active_header
        assert active_header == recent_header, f"the columns do not line up: {active_header} vs {recent_header}"

        post_call(ingest, "ended", first, client_id, timestamp=int(time.time()), durationSeconds=65, endReason=hostile)
        chrome.wait_for(row_js("recent-calls", first) + " && !(" + row_js("active-calls", first) + ")",
                        what="the ended call moved to #recent-calls")
        state = chrome.evaluate(DOM_STATE)
        row = next(r for r in state["recent"] if r["callId"] == first)
        assert row["cells"]["reason"] == hostile, "the end reason is not shown as text"
        assert row["cells"]["duration"] == "1:05", row
        assert row["cells"]["from"] == FROM_MASKED, row
        assert row["cells"]["ended"] not in ("", "–") and row["cells"]["direction"] == "outbound", row
        assert chrome.evaluate("window.__xss === undefined && document.getElementById('xss') === null && "
                               "document.querySelector('#recent-calls img') === null"), "data was inserted as HTML"
        # The charts counted them (the shared topic has other tests' calls too: at least).
        chrome.wait_for("+document.getElementById('chart-minutes').getAttribute('data-ended') >= 1 && "
                        "document.querySelector('#chart-providers g[data-provider=\"generic\"]') !== null",
                        what="the ended call in the charts")

        post_call(ingest, "ended", second, client_id, durationSeconds=3, endReason="completed")
        chrome.wait_for(row_js("recent-calls", second), what="the second ended call")
        recent = [r["callId"] for r in chrome.evaluate(DOM_STATE)["recent"]]
        assert recent.index(second) < recent.index(first), f"recent calls are not newest first: {recent}"
        assert len(recent) <= 20

        post_call(ingest, "started", lasting, client_id, timestamp=int(time.time()) - 30)
        chrome.wait_for(row_js("active-calls", lasting), what="the lasting call")
        ticking = chrome.evaluate(cell_js("active-calls", lasting, "duration"))
        chrome.wait_for(cell_js("active-calls", lasting, "duration") + f" !== {json.dumps(ticking)}",
                        what="the active call's duration ticking while live")

        # The Bridge restarts (SIGTERM: close 1001). The page says so, dims what it shows and
        # stops the durations, and keeps saying so through failed reconnects.
        port = bridge.port
        assert bridge.stop() == 0
        chrome.wait_for(status_is("reconnecting"), what="status reconnecting while the Bridge is down")
        chrome.wait_for("/restarting/.test(document.getElementById('message').textContent) && "
                        "/1001/.test(document.getElementById('message').textContent)", what="the restart message")
        chrome.wait_for("document.querySelectorAll('#active-calls tbody tr[data-call-id]:not(.stale), "
                        "#recent-calls tbody tr[data-call-id]:not(.stale)').length === 0 && "
                        "document.getElementById('main').getAttribute('data-stale') === 'true'", what="stale rows")
        opacity = chrome.evaluate("+getComputedStyle(document.querySelector('#active-calls tbody tr[data-call-id]')).opacity")
        assert opacity < 1, f"stale rows are not dimmed (opacity {opacity})"
        frozen = chrome.evaluate(cell_js("active-calls", lasting, "duration"))
        attempts = len(chrome.websocket_urls())
        page_clock_passes(chrome, 2500, "2.5 s of the page's clock while offline")
        assert chrome.evaluate(cell_js("active-calls", lasting, "duration")) == frozen, "durations tick while offline"
        wait_until(lambda: chrome.evaluate("true") and len(chrome.websocket_urls()) >= attempts + 2, 20,
                   what="two more reconnect attempts")
        message = chrome.evaluate("document.getElementById('message').textContent")
        assert "restarting" in message and "1001" in message, f"the restart message went away while down: {message!r}"
        assert chrome.evaluate(status_is("reconnecting")), chrome.evaluate(DOM_STATE)

        post_call(ingest, "started", during, client_id)
        bridge = Bridge(broker, workdir, BRIDGE_JWT_SECRET, port=port).start()
        chrome.wait_for(row_js("active-calls", during), timeout=45, what="the call started while down, after reconnecting")
        chrome.wait_for(status_is("live"), what="live again")
        # (A resume the new process cannot honour is answered with a fresh snapshot, which the
        # page mentions instead: either way the restart message is gone.)
        chrome.wait_for("!/restarting|Next try/.test(document.getElementById('message').textContent) && "
                        "document.querySelectorAll('tbody tr.stale').length === 0 && "
                        "document.getElementById('main').getAttribute('data-stale') === 'false'",
                        what="the restart message and the dimming gone once live")
        chrome.wait_for(cell_js("active-calls", lasting, "duration") + f" !== {json.dumps(frozen)}",
                        what="durations ticking again")
        urls = chrome.websocket_urls()
        assert any("since=" in url for url in urls[1:]), f"the reconnect did not send since=: {urls}"
        state = chrome.evaluate(DOM_STATE)
        assert [r["callId"] for r in state["recent"]].count(first) == 1, "a replayed event was applied twice"
        assert not chrome.console_errors(), chrome.console_errors()
    finally:
        chrome.close()
        bridge.stop()


def test_dashboard_without_a_token_asks_for_one(bridge):
    chrome = dashboard_browser(bridge.workdir, viewport=None)
    try:
        chrome.navigate(bridge.url + "/")
        chrome.wait_for("document.getElementById('status') && document.getElementById('status').getAttribute('data-status') === 'signed-out'",
                        what="signed-out status")
        assert chrome.evaluate("document.getElementById('token-form').hidden === false")
        assert chrome.websocket_urls() == [], "connected without a token"
        # Pasting a token connects.
        chrome.evaluate("document.getElementById('token-input').value = " + json.dumps(admin_token()) +
                        "; document.getElementById('token-submit').click(); true")
        chrome.wait_for("document.getElementById('status').getAttribute('data-status') === 'live'", what="live after paste")
    finally:
        chrome.close()


# ---------------------------------------------------------------- the admin's client filter


def choose_client(chrome: Chrome, client_id: str) -> None:
    chrome.evaluate("(() => { const s = document.getElementById('client-filter'); s.value = " + json.dumps(client_id) +
                    "; s.dispatchEvent(new Event('change')); return true; })()")


def test_dashboard_admin_filter_joins_the_client_rooms_on_the_server(broker, workdir):
    bridge, topic = private_bridge(broker, workdir)
    producer = producer_for(broker)
    chrome = dashboard_browser(workdir, log=True)
    ours, theirs = new_id("acme"), new_id("globex")
    a1, a2, b1, b2 = new_id("CA-a1"), new_id("tx-a2"), new_id("vapi-b1"), new_id("vapi-b2")
    now = time.time()
    try:
        produce_events(producer, topic, [
            call_event("started", a1, ours, provider="twilio", started=now - 120),
            call_event("started", b1, theirs, provider="vapi", started=now - 60, direction="outbound"),
        ])
        chrome.navigate(f"{bridge.url}/?token={admin_token()}")
        chrome.wait_for(shows_room("admin"), what="live in admin")
        chrome.wait_for(row_js("active-calls", a1) + " && " + row_js("active-calls", b1), what="both clients' calls in admin")
        chrome.wait_for("document.getElementById('filter-form').hidden === false && "
                        f"Array.from(document.querySelectorAll('#client-filter option')).map(o => o.value).join(',') === "
                        f"{json.dumps(','.join([''] + sorted([ours, theirs])))}", what="the filter offering the clients seen")
        wait_until(lambda: subscribers(bridge, "admin") == 1 and subscribers(bridge, "client") == 0, 10,
                   what="the page in admin only")

        # Choosing a client joins its room on the server, then leaves admin.
        choose_client(chrome, ours)
        chrome.wait_for(shows_room(f"client:{ours}") + " && " + row_js("active-calls", a1) + " && !(" +
                        row_js("active-calls", b1) + ")", what="the page showing only client:ours")
        sent = sent_messages(chrome)
        join = {"type": "join", "room": f"client:{ours}", "since": None}
        leave = {"type": "leave", "room": "admin"}
        assert join in sent and leave in sent and sent.index(join) < sent.index(leave), sent
        wait_until(lambda: subscribers(bridge, "client") == 1 and subscribers(bridge, "admin") == 0, 10,
                   what="the page in client:ours only (subscriber gauges)")
        assert "client:" + ours in chrome.evaluate("document.getElementById('room').textContent")

        # Another client's call does not reach the page at all. An admin watcher sees it
        # first; then a call of ours: if the page were still in admin, the other call's frame
        # would have come before it on the same socket.
        with WsClient(bridge.ws_url, admin_token()) as watcher:
            watcher.next("snapshot")
            produce_events(producer, topic, [call_event("started", b2, theirs, provider="vapi")])
            watcher.events_for([b2], 1)
            produce_events(producer, topic, [call_event("started", a2, ours, provider="telnyx")])
            chrome.wait_for(row_js("active-calls", a2), what="our second call")
        received = chrome.websocket_frames("received")
        assert any(a2 in frame for frame in received)
        assert not any(b2 in frame for frame in received), "the other client's call reached the page"
        assert not chrome.evaluate(row_js("active-calls", b2))

        # The charts, for this room only: a1 and a2 started, both active; per provider.
        chrome.wait_for("(() => { const m = document.getElementById('chart-minutes'); return m.getAttribute('data-started') === '2' "
                        "&& m.getAttribute('data-ended') === '0' && m.getAttribute('data-active') === '2'; })()",
                        what="the minute chart of client:ours")
        chrome.wait_for("JSON.stringify(Array.from(document.querySelectorAll('#chart-providers g[data-provider]')).map(g => "
                        "[g.getAttribute('data-provider'), g.getAttribute('data-calls'), g.getAttribute('data-active')]).sort()) === "
                        + json.dumps(json.dumps([["telnyx", "1", "1"], ["twilio", "1", "1"]], separators=(",", ":"))),
                        what="the provider chart of client:ours")
        produce_events(producer, topic, [call_event("ended", a1, ours, provider="twilio", started=now - 120)])
        chrome.wait_for(row_js("recent-calls", a1) + " && !(" + row_js("active-calls", a1) + ")", what="a1 ended")
        chrome.wait_for("(() => { const m = document.getElementById('chart-minutes'); return m.getAttribute('data-started') === '2' "
                        "&& m.getAttribute('data-ended') === '1' && m.getAttribute('data-active') === '1'; })()",
                        what="the minute chart after a1 ended")
        chrome.wait_for("(() => { const g = document.querySelector('#chart-providers g[data-provider=\"twilio\"]'); "
                        "return g !== null && g.getAttribute('data-calls') === '1' && g.getAttribute('data-active') === '0'; })()",
                        what="twilio: one call, none active")
        assert chrome.evaluate("document.querySelectorAll('#chart-minutes rect.bar-started').length") >= 1

        # A client typed in the free-text box (the other one), then back to all clients.
        chrome.evaluate("document.getElementById('client-input').value = " + json.dumps(theirs) +
                        "; document.getElementById('client-apply').click(); true")
        chrome.wait_for(shows_room(f"client:{theirs}") + " && " + row_js("active-calls", b1) + " && " +
                        row_js("active-calls", b2) + " && !(" + row_js("active-calls", a2) + ")",
                        what="the page showing only client:theirs")
        assert {"type": "leave", "room": f"client:{ours}"} in sent_messages(chrome)
        choose_client(chrome, "")
        chrome.wait_for(shows_room("admin") + " && " + row_js("active-calls", a2) + " && " + row_js("active-calls", b2),
                        what="all clients again")
        assert {"type": "join", "room": "admin", "since": None} in sent_messages(chrome)
        wait_until(lambda: subscribers(bridge, "admin") == 1 and subscribers(bridge, "client") == 0, 10,
                   what="the page back in admin only")
        assert len(chrome.websocket_urls()) == 1, "the filter reconnected instead of joining rooms"
        assert chrome.console_messages() == [], chrome.console_messages()
        assert not any(url.endswith("/favicon.ico") for url in chrome.requests()), chrome.requests()
    finally:
        chrome.close()
        bridge.stop()
        producer.flush(10)


def test_dashboard_filter_survives_a_restart(broker, workdir):
    """A filtered page that reconnects joins its client's room again, resuming from its
    position, and shows only that client's calls."""
    bridge, topic = private_bridge(broker, workdir)
    producer = producer_for(broker)
    chrome = dashboard_browser(workdir, viewport=None)
    ours, theirs = new_id("acme"), new_id("globex")
    mine, other, missed, other_missed = new_id("m1"), new_id("o1"), new_id("m2"), new_id("o2")
    try:
        produce_events(producer, topic, [call_event("started", mine, ours), call_event("started", other, theirs)])
        chrome.navigate(f"{bridge.url}/?token={admin_token()}")
        chrome.wait_for(shows_room("admin") + " && " + row_js("active-calls", other), what="live in admin")
        choose_client(chrome, ours)
        chrome.wait_for(shows_room(f"client:{ours}") + " && !(" + row_js("active-calls", other) + ")", what="filtered")
        port = bridge.port
        assert bridge.stop() == 0
        chrome.wait_for(status_is("reconnecting"), what="reconnecting")
        produce_events(producer, topic, [call_event("started", missed, ours), call_event("started", other_missed, theirs)])
        bridge = Bridge(broker, workdir, BRIDGE_JWT_SECRET, extra_args=["--topic", topic], port=port).start()
        chrome.wait_for(shows_room(f"client:{ours}") + " && " + row_js("active-calls", missed), timeout=45,
                        what="the missed call of ours after the reconnect")
        assert not chrome.evaluate(row_js("active-calls", other_missed) + " || " + row_js("active-calls", other))
        rejoins = [m for m in sent_messages(chrome) if m.get("type") == "join" and m.get("room") == f"client:{ours}"]
        assert len(rejoins) == 2 and isinstance(rejoins[-1]["since"], str), f"the rejoin did not resume: {rejoins}"
        wait_until(lambda: subscribers(bridge, "client") == 1 and subscribers(bridge, "admin") == 0, 10,
                   what="the page in client:ours only after the restart")
    finally:
        chrome.close()
        bridge.stop()
        producer.flush(10)


# ---------------------------------------------------------------- a token the Bridge refuses


def test_dashboard_says_a_refused_token_is_refused_and_stops_retrying(bridge):
    chrome = dashboard_browser(bridge.workdir, viewport=None)
    forged = admin_token(secret="not-the-bridge-secret-" + "x" * 40)
    try:
        chrome.navigate(f"{bridge.url}/?token={forged}")
        chrome.wait_for(status_is("refused"), what="the refused state")
        state = chrome.evaluate(DOM_STATE)
        assert "refused" in state["message"] and "401" in state["message"] and "Not retrying" in state["message"], state
        assert state["nextRetry"] == "", state
        assert chrome.evaluate("document.getElementById('token-form').hidden === false && "
                               "document.getElementById('filter-form').hidden === true")
        assert len(chrome.websocket_urls()) == 1
        # A retry would have come within a second (backoff 0.5 s doubling, with jitter): none comes.
        page_clock_passes(chrome, 3000, "3 s of the page's clock")
        assert len(chrome.websocket_urls()) == 1, f"the page kept retrying: {chrome.websocket_urls()}"
        assert chrome.evaluate(status_is("refused"))

        # An expired token pasted in the form: refused too; then a good one connects.
        chrome.evaluate("document.getElementById('token-input').value = " + json.dumps(admin_token(expires_in=-60)) +
                        "; document.getElementById('token-submit').click(); true")
        wait_until(lambda: chrome.evaluate("true") and len(chrome.websocket_urls()) == 2, 10, what="the second attempt")
        chrome.wait_for(status_is("refused"), what="the expired token refused")
        page_clock_passes(chrome, 2000, "2 s of the page's clock")
        assert len(chrome.websocket_urls()) == 2, chrome.websocket_urls()
        chrome.evaluate("document.getElementById('token-input').value = " + json.dumps(admin_token()) +
                        "; document.getElementById('token-submit').click(); true")
        chrome.wait_for(status_is("live"), what="live with a good token")
        assert chrome.evaluate("document.getElementById('message').textContent") == ""
    finally:
        chrome.close()


# ---------------------------------------------------------------- 420 px wide


NO_PAGE_SCROLL = ("document.documentElement.scrollWidth <= 420 && document.body.scrollWidth <= 420 && "
                  "Array.from(document.querySelectorAll('header *, #message, .charts, section')).every(e => "
                  "e.getBoundingClientRect().right <= 420.5)")


def test_dashboard_is_usable_420_px_wide(broker, workdir):
    bridge, topic = private_bridge(broker, workdir)
    producer = producer_for(broker)
    chrome = dashboard_browser(workdir, viewport=(420, 860), log=True)
    client = "northwind-traders-emea-customer-support-line-" + uuid.uuid4().hex[:12]
    long_call = "CA" + uuid.uuid4().hex + uuid.uuid4().hex
    ended_call = "v3:" + uuid.uuid4().hex + "-" + uuid.uuid4().hex
    now = time.time()
    try:
        produce_events(producer, topic, [
            call_event("started", long_call, client, provider="twilio", started=now - 300),
            call_event("started", ended_call, client, provider="telnyx", started=now - 200, direction="outbound"),
            call_event("ended", ended_call, client, provider="telnyx", started=now - 200, ended=now - 20,
                       reason="the-caller-hung-up-after-a-very-long-hold-music-loop-" + "x" * 40),
        ])
        chrome.navigate(f"{bridge.url}/?token={admin_token()}")
        chrome.wait_for(status_is("live") + " && " + row_js("active-calls", long_call) + " && " +
                        row_js("recent-calls", ended_call), what="live with the calls")
        chrome.wait_for("document.getElementById('chart-minutes').getAttribute('data-started') === '2'", what="charts drawn")
        assert chrome.evaluate("innerWidth") == 420
        assert chrome.evaluate(NO_PAGE_SCROLL), chrome.evaluate(
            "[document.documentElement.scrollWidth, Array.from(document.querySelectorAll('header *, #message, .charts, section'))"
            ".filter(e => e.getBoundingClientRect().right > 420.5).map(e => e.id || e.tagName)]")
        # The tables scroll inside their box; the columns still line up.
        assert chrome.evaluate("Array.from(document.querySelectorAll('.table-box')).every(b => b.scrollWidth > b.clientWidth)")
        assert header_geometry(chrome, "active-calls") == header_geometry(chrome, "recent-calls")
        # The charts fit.
        assert chrome.evaluate("Array.from(document.querySelectorAll('svg.chart')).every(s => s.getBoundingClientRect().right <= 420 "
                               "&& s.getBoundingClientRect().width > 300)")
        page_clock_passes(chrome, 1600, "the highlight of new rows to fade")
        chrome.screenshot(screenshot_path(workdir, "narrow"))

        # The filter and the token form fit too.
        choose_client(chrome, client)
        chrome.wait_for(shows_room(f"client:{client}"), what="filtered")
        assert chrome.evaluate(NO_PAGE_SCROLL)
        chrome.evaluate("document.getElementById('sign-out').click(); true")
        chrome.wait_for(status_is("signed-out") + " && document.getElementById('token-form').hidden === false", what="signed out")
        assert chrome.evaluate(NO_PAGE_SCROLL)
        assert chrome.console_messages() == [], chrome.console_messages()
    finally:
        chrome.close()
        bridge.stop()
        producer.flush(10)


# ---------------------------------------------------------------- screenshots (docs/images)


CLIENTS = ["acme-health", "globex-insurance", "initech-support", "umbrella-sales", "hooli-voice", "stark-dental"]
PROVIDERS = [("twilio", 0.35), ("vapi", 0.2), ("retell", 0.15), ("telnyx", 0.15), ("generic", 0.15)]
REASONS = [("completed", 0.62), ("customer-ended-call", 0.14), ("no-answer", 0.09), ("busy", 0.05),
           ("assistant-ended-call", 0.05), ("voicemail", 0.03), ("failed", 0.02)]


def pick(rng: random.Random, weighted):
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def provider_call_id(rng: random.Random, provider: str) -> str:
    hexes = "".join(rng.choice("0123456789abcdef") for _ in range(32))
    return {"twilio": "CA" + hexes, "vapi": str(uuid.UUID(hexes)), "retell": "call_" + hexes[:24],
            "telnyx": "v3:" + hexes[:22], "generic": "gen-" + hexes[:12]}[provider]


def an_hour_of_calls(now: float, seed: int = 12) -> list[dict]:
    """About 90 calls over the last 55 minutes, their events in time order; calls whose end is
    still to come stay active."""
    rng = random.Random(seed)
    events = []
    t = now - 55 * 60
    while t < now - 5:
        t += rng.expovariate(1.0 + 1.2 * (t - (now - 3300)) / 3300 + 0.2) * 60
        if t >= now - 5:
            break
        provider = pick(rng, PROVIDERS)
        call_id = provider_call_id(rng, provider)
        client = rng.choice(CLIENTS)
        direction = "inbound" if rng.random() < 0.65 else "outbound"
        caller = f"{rng.randrange(10000):04d}"
        reason = pick(rng, REASONS)
        duration = 8 + rng.randrange(20) if reason in ("no-answer", "busy", "failed") else rng.lognormvariate(5.0, 0.7)
        events.append((t, call_event("started", call_id, client, provider=provider, direction=direction, started=t, caller=caller)))
        if t + duration < now:
            events.append((t + duration, call_event("ended", call_id, client, provider=provider, direction=direction,
                                                    started=t, ended=t + duration, reason=reason, caller=caller)))
    events.sort(key=lambda pair: pair[0])
    return [event for _, event in events]


def test_dashboard_screenshots(broker, workdir):
    """The pictures in docs/images (with CALLBRIDGE_SCREENSHOTS=1): the page is open first, then
    an hour of calls arrives, so the charts know every call of the hour."""
    bridge, topic = private_bridge(broker, workdir)
    producer = producer_for(broker)
    chrome = dashboard_browser(workdir)
    try:
        chrome.navigate(f"{bridge.url}/?token={admin_token()}")
        chrome.wait_for(shows_room("admin"), what="live")
        now = time.time()
        events = an_hour_of_calls(now)
        produce_events(producer, topic, events)
        starts = sum(1 for e in events if e["type"] == "call.started")
        ends = sum(1 for e in events if e["type"] == "call.ended")
        chrome.wait_for(f"document.getElementById('chart-minutes').getAttribute('data-started') === '{starts}' && "
                        f"document.getElementById('chart-minutes').getAttribute('data-ended') === '{ends}' && "
                        f"document.getElementById('active-count').textContent === '{starts - ends}'",
                        what="every call of the hour in the charts")
        assert chrome.evaluate("document.getElementById('chart-minutes').getAttribute('data-exact-since')") == "", \
            "the charts say they are partial though the page saw the whole hour"
        # The events came from six partitions, not in time order: the recent calls are still
        # the 20 latest ends, newest first.
        latest = sorted((e for e in events if e["type"] == "call.ended"), key=lambda e: e["data"]["endedAt"], reverse=True)
        expected = json.dumps([e["data"]["callId"] for e in latest[:20]], separators=(",", ":"))
        chrome.wait_for("JSON.stringify(Array.from(document.querySelectorAll('#recent-calls tbody tr[data-call-id]')).map(tr => "
                        "tr.getAttribute('data-call-id'))) === " + json.dumps(expected), what="the 20 latest ends, newest first")
        page_clock_passes(chrome, 1600, "the highlight of new rows to fade")
        chrome.screenshot(screenshot_path(workdir, "wide"))

        choose_client(chrome, CLIENTS[0])
        chrome.wait_for(shows_room(f"client:{CLIENTS[0]}"), what="filtered")
        page_clock_passes(chrome, 1200, "the charts to redraw")
        chrome.screenshot(screenshot_path(workdir, "filtered"))
        choose_client(chrome, "")
        chrome.wait_for(shows_room("admin"), what="all clients")

        assert bridge.stop() == 0
        chrome.wait_for(status_is("reconnecting") + " && document.querySelectorAll('tbody tr.stale').length > 0 && "
                        "/restarting/.test(document.getElementById('message').textContent)", what="offline")
        chrome.screenshot(screenshot_path(workdir, "offline"))
        for name in ("wide", "filtered", "offline"):
            assert screenshot_path(workdir, name).read_bytes().startswith(b"\x89PNG"), name
    finally:
        chrome.close()
        bridge.stop()
        producer.flush(10)
