"""The live dashboard at `GET /`, in a real browser: headless Chromium (Debian's `chromium`)
driven over the DevTools protocol with websocket-client. It connects with the page URL's
token, shows active calls, moves ended calls to the recent calls, escapes what it shows,
and after the Bridge restarts reconnects with `since=` and catches up."""

import json
import time

import pytest
import requests

from bridge_clients import FROM_MASKED, TO_MASKED, admin_token, new_id, post_call
from conftest import BRIDGE_JWT_SECRET
from browser import Chrome
from harness import Bridge, free_port

DOM_STATE = """(() => {
  const rows = sel => Array.from(document.querySelectorAll(sel)).map(tr => {
    const cells = {};
    tr.querySelectorAll('td[data-field]').forEach(td => { cells[td.getAttribute('data-field')] = td.textContent; });
    return {callId: tr.getAttribute('data-call-id'), cells};
  });
  const status = document.getElementById('status');
  return {
    status: status && status.getAttribute('data-status'),
    statusText: status && status.textContent,
    message: (document.getElementById('message') || {}).textContent,
    active: rows('#active-calls tbody tr[data-call-id]'),
    recent: rows('#recent-calls tbody tr[data-call-id]'),
    search: location.search,
  };
})()"""


def row_js(table: str, call_id: str) -> str:
    return f"document.querySelector('#{table} tbody tr[data-call-id=' + {json.dumps(json.dumps(call_id))} + ']') !== null"


def test_dashboard_page_is_served_with_its_own_files_only(bridge):
    response = requests.get(bridge.url + "/", timeout=10)
    assert response.status_code == 200
    assert response.headers.get("Content-Type", "").startswith("text/html")
    page = response.text
    for hook in ('id="status"', 'id="active-calls"', 'id="recent-calls"', '<script src="dashboard.js">',
                 '<link rel="stylesheet" href="dashboard.css">'):
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
    assert page.lower().count("<script") == 1 and page.lower().count("<link") == 1


def test_dashboard_shows_calls_live_and_catches_up_after_a_restart(broker, ingest, workdir):
    bridge = Bridge(broker, workdir, BRIDGE_JWT_SECRET).start()
    chrome = Chrome(workdir)
    chrome.state = DOM_STATE
    client_id = new_id("dash")
    first, second, during = new_id("dash-a"), new_id("dash-b"), new_id("dash-down")
    hostile = '<img src=x onerror="window.__xss=1"><b id="xss">bold</b>'
    try:
        chrome.navigate(f"{bridge.url}/?token={admin_token()}")
        chrome.wait_for("document.getElementById('status') && document.getElementById('status').getAttribute('data-status') === 'live'",
                        what="status live")
        assert "token=" not in chrome.evaluate("location.search"), "the token stays in the address bar"

        post_call(ingest, "started", first, client_id, timestamp=int(time.time()) - 65)
        chrome.wait_for(row_js("active-calls", first), what="the started call in #active-calls")
        state = chrome.evaluate(DOM_STATE)
        row = next(r for r in state["active"] if r["callId"] == first)
        assert row["cells"]["from"] == FROM_MASKED and row["cells"]["to"] == TO_MASKED, row
        assert row["cells"]["client"] == client_id and row["cells"]["provider"] == "generic", row
        assert row["cells"]["started"] not in ("", "–"), row
        assert row["cells"]["duration"].count(":") >= 1, row

        post_call(ingest, "ended", first, client_id, durationSeconds=65, endReason=hostile)
        chrome.wait_for(row_js("recent-calls", first) + " && !(" + row_js("active-calls", first) + ")",
                        what="the ended call moved to #recent-calls")
        state = chrome.evaluate(DOM_STATE)
        row = next(r for r in state["recent"] if r["callId"] == first)
        assert row["cells"]["reason"] == hostile, "the end reason is not shown as text"
        assert row["cells"]["duration"] == "1:05", row
        assert row["cells"]["from"] == FROM_MASKED, row
        assert chrome.evaluate("window.__xss === undefined && document.getElementById('xss') === null && "
                               "document.querySelector('#recent-calls img') === null"), "data was inserted as HTML"

        post_call(ingest, "ended", second, client_id, durationSeconds=3, endReason="completed")
        chrome.wait_for(row_js("recent-calls", second), what="the second ended call")
        recent = [r["callId"] for r in chrome.evaluate(DOM_STATE)["recent"]]
        assert recent.index(second) < recent.index(first), f"recent calls are not newest first: {recent}"
        assert len(recent) <= 20

        # The Bridge restarts: the page says so, and on reconnect it resumes with since=.
        port = bridge.port
        assert bridge.stop() == 0
        chrome.wait_for("document.getElementById('status').getAttribute('data-status') === 'reconnecting'",
                        what="status reconnecting while the Bridge is down")
        post_call(ingest, "started", during, client_id)
        bridge = Bridge(broker, workdir, BRIDGE_JWT_SECRET, port=port).start()
        chrome.wait_for(row_js("active-calls", during), timeout=45, what="the call started while down, after reconnecting")
        chrome.wait_for("document.getElementById('status').getAttribute('data-status') === 'live'", what="live again")
        urls = chrome.websocket_urls()
        assert any("since=" in url for url in urls[1:]), f"the reconnect did not send since=: {urls}"
        state = chrome.evaluate(DOM_STATE)
        assert [r["callId"] for r in state["recent"]].count(first) == 1, "a replayed event was applied twice"
        assert not chrome.console_errors(), chrome.console_errors()
    finally:
        chrome.close()
        bridge.stop()


def test_dashboard_without_a_token_asks_for_one(bridge):
    chrome = Chrome(bridge.workdir)
    chrome.state = DOM_STATE
    try:
        chrome.navigate(bridge.url + "/")
        chrome.wait_for("document.getElementById('status') && document.getElementById('status').getAttribute('data-status') === 'signed-out'",
                        what="signed-out status")
        assert chrome.evaluate("document.getElementById('token-form').hidden === false")
        assert chrome.websocket_urls() == [], "connected without a token"
        # Pasting a client token connects to that client's room.
        chrome.evaluate("document.getElementById('token-input').value = " + json.dumps(admin_token()) +
                        "; document.getElementById('token-submit').click(); true")
        chrome.wait_for("document.getElementById('status').getAttribute('data-status') === 'live'", what="live after paste")
    finally:
        chrome.close()
