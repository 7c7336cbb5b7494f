(function () {
  "use strict";

  var TOKEN_KEY = "callbridge.token";
  var RECENT_MAX = 20;
  var SEEN_MAX = 5000;
  var BACKOFF_MIN_MS = 500;
  var BACKOFF_MAX_MS = 30000;

  var statusEl = document.getElementById("status");
  var roomEl = document.getElementById("room");
  var positionEl = document.getElementById("position");
  var messageEl = document.getElementById("message");
  var form = document.getElementById("token-form");
  var input = document.getElementById("token-input");
  var signOut = document.getElementById("sign-out");
  var activeBody = document.querySelector("#active-calls tbody");
  var recentBody = document.querySelector("#recent-calls tbody");
  var activeCount = document.getElementById("active-count");
  var recentCount = document.getElementById("recent-count");

  // State, with the server's merge rules.
  var active = new Map();      // callId -> call (the events' data, merged)
  var recent = [];             // ended calls, newest first, at most RECENT_MAX
  var seen = new Set();        // event ids already applied
  var seenOrder = [];
  var position = null;         // last position: echoed back as since= on reconnect
  var room = null;
  var fresh = new Set();       // call ids to highlight on the next render

  var token = null;
  var socket = null;
  var attempt = 0;
  var everOpened = false;
  var retryTimer = null;

  function readToken() {
    var params = new URLSearchParams(window.location.search);
    var fromUrl = params.get("token");
    if (fromUrl) {
      try { sessionStorage.setItem(TOKEN_KEY, fromUrl); } catch (e) { /* storage disabled: keep it in memory */ }
      // Keep the token out of the address bar, history and screenshots.
      params.delete("token");
      var rest = params.toString();
      try { history.replaceState(null, "", window.location.pathname + (rest ? "?" + rest : "") + window.location.hash); } catch (e) { /* ignore */ }
      return fromUrl;
    }
    try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
  }

  function setStatus(state, text) {
    statusEl.setAttribute("data-status", state);
    statusEl.textContent = text || state;
  }

  function setMessage(text) { messageEl.textContent = text || ""; }

  function setPosition(value) {
    if (typeof value === "string" && value.length > 0) {
      position = value;
      positionEl.setAttribute("data-position", value);
    }
  }

  function present(value) { return value !== undefined && value !== null && value !== ""; }

  // Fields of `extra` fill what `base` lacks; with override, `extra` wins where it has a value.
  function merge(base, extra, override) {
    var out = {};
    var key;
    if (base) { for (key in base) { if (Object.prototype.hasOwnProperty.call(base, key)) { out[key] = base[key]; } } }
    if (extra) {
      for (key in extra) {
        if (Object.prototype.hasOwnProperty.call(extra, key) && present(extra[key]) && (override || !present(out[key]))) {
          out[key] = extra[key];
        }
      }
    }
    return out;
  }

  function callIdOf(event) {
    var data = event && event.data;
    if (data && typeof data.callId === "string") { return data.callId; }
    return event && typeof event.subject === "string" ? event.subject : null;
  }

  function recentIndex(callId) {
    for (var i = 0; i < recent.length; i++) { if (recent[i].callId === callId) { return i; } }
    return -1;
  }

  function remember(id) {
    seen.add(id);
    seenOrder.push(id);
    if (seenOrder.length > SEEN_MAX) { seen.delete(seenOrder.shift()); }
  }

  // Applies one CloudEvent; returns false when it was a duplicate or not a call event.
  function apply(event) {
    if (!event || typeof event !== "object") { return false; }
    if (typeof event.id === "string") {
      if (seen.has(event.id)) { return false; }
      remember(event.id);
    }
    var callId = callIdOf(event);
    if (callId === null) { return false; }
    var data = merge({ callId: callId }, event.data || {}, true);
    if (!present(data.startedAt) && event.type === "call.started" && present(event.time)) { data.startedAt = event.time; }
    if (event.type === "call.started") {
      var ended = recentIndex(callId);
      if (ended >= 0) {
        recent[ended] = merge(recent[ended], data, false);  // already ended: fill in, do not revive
      } else {
        active.set(callId, merge(active.get(callId), data, true));
      }
    } else if (event.type === "call.ended") {
      var index = recentIndex(callId);
      if (index >= 0) {
        // A second call.ended fills in what the first lacked; the call keeps its place.
        recent[index] = merge(recent[index], data, false);
      } else {
        var merged = data;
        if (active.has(callId)) {
          merged = merge(active.get(callId), data, true);  // the end's fields win, the start's fill gaps
          active.delete(callId);
        }
        recent.unshift(merged);
        if (recent.length > RECENT_MAX) { recent.length = RECENT_MAX; }
      }
    } else {
      return false;
    }
    fresh.add(callId);
    return true;
  }

  function replaceState(message) {
    active = new Map();
    var calls = Array.isArray(message.activeCalls) ? message.activeCalls : [];
    for (var i = 0; i < calls.length; i++) {
      var call = calls[i];
      if (call && typeof call.callId === "string") { active.set(call.callId, call); }
    }
    recent = (Array.isArray(message.recentCalls) ? message.recentCalls : [])
      .filter(function (c) { return c && typeof c.callId === "string"; })
      .slice(0, RECENT_MAX);
    fresh = new Set();
  }

  // ---- rendering (text only: textContent and setAttribute, never HTML)

  function time(value) {
    if (!present(value)) { return null; }
    var date = new Date(value);
    return isNaN(date.getTime()) ? null : date;
  }

  function formatTime(value) {
    var date = time(value);
    if (!date) { return "–"; }
    var sameDay = date.toDateString() === new Date().toDateString();
    return sameDay ? date.toLocaleTimeString() : date.toLocaleString();
  }

  function formatDuration(seconds) {
    if (typeof seconds !== "number" || !isFinite(seconds) || seconds < 0) { return "–"; }
    seconds = Math.floor(seconds);
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = h > 0 && m < 10 ? "0" + m : String(m);
    return (h > 0 ? h + ":" : "") + mm + ":" + (s < 10 ? "0" : "") + s;
  }

  function durationOf(call, live) {
    if (typeof call.durationSeconds === "number") { return call.durationSeconds; }
    var start = time(call.startedAt);
    if (!start) { return null; }
    var end = live ? new Date() : time(call.endedAt);
    return end ? Math.max(0, (end.getTime() - start.getTime()) / 1000) : null;
  }

  function cell(row, field, text, title) {
    var td = document.createElement("td");
    td.setAttribute("data-field", field);
    td.textContent = present(text) ? String(text) : "–";
    if (present(title)) { td.setAttribute("title", String(title)); }
    row.appendChild(td);
    return td;
  }

  function row(call, live) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-call-id", String(call.callId));
    if (present(call.clientId)) { tr.setAttribute("data-client-id", String(call.clientId)); }
    if (fresh.has(call.callId)) { tr.className = "fresh"; }
    cell(tr, "from", call.from);
    cell(tr, "to", call.to);
    cell(tr, "client", call.clientId);
    cell(tr, "provider", call.provider);
    cell(tr, "started", formatTime(call.startedAt), call.startedAt);
    cell(tr, "duration", formatDuration(durationOf(call, live)));
    if (!live) { cell(tr, "reason", call.endReason); }
    return tr;
  }

  function fill(body, calls, live, columns, emptyText) {
    var fragment = document.createDocumentFragment();
    for (var i = 0; i < calls.length; i++) { fragment.appendChild(row(calls[i], live)); }
    if (calls.length === 0) {
      var tr = document.createElement("tr");
      tr.className = "empty";
      var td = document.createElement("td");
      td.colSpan = columns;
      td.textContent = emptyText;
      tr.appendChild(td);
      fragment.appendChild(tr);
    }
    body.replaceChildren(fragment);
  }

  function activeSorted() {
    var calls = Array.from(active.values());
    calls.sort(function (a, b) {
      var ta = time(a.startedAt), tb = time(b.startedAt);
      return (tb ? tb.getTime() : 0) - (ta ? ta.getTime() : 0);  // newest start first
    });
    return calls;
  }

  var renderQueued = false;
  function render() {
    if (renderQueued) { return; }
    renderQueued = true;
    var run = function () {
      renderQueued = false;
      fill(activeBody, activeSorted(), true, 6, "no active calls");
      fill(recentBody, recent, false, 7, "no ended calls yet");
      activeCount.textContent = String(active.size);
      recentCount.textContent = String(recent.length);
      fresh = new Set();
    };
    if (document.hidden) { run(); } else { window.requestAnimationFrame(run); }
  }

  // Live durations of active calls tick every second.
  setInterval(function () {
    var rows = activeBody.querySelectorAll("tr[data-call-id]");
    for (var i = 0; i < rows.length; i++) {
      var call = active.get(rows[i].getAttribute("data-call-id"));
      var td = rows[i].querySelector('td[data-field="duration"]');
      if (call && td) { td.textContent = formatDuration(durationOf(call, true)); }
    }
  }, 1000);

  // ---- connection

  function socketUrl() {
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var url = scheme + "//" + window.location.host + "/ws?token=" + encodeURIComponent(token);
    if (position) { url += "&since=" + encodeURIComponent(position); }
    return url;
  }

  function connect() {
    if (!token) { showForm("Paste a dashboard token to connect."); return; }
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    setStatus(attempt === 0 && !everOpened ? "connecting" : "reconnecting");
    var ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (e) {
      scheduleReconnect();
      return;
    }
    socket = ws;
    var opened = false;
    ws.onopen = function () { opened = true; everOpened = true; };
    ws.onmessage = function (frame) {
      if (socket !== ws || typeof frame.data !== "string") { return; }
      var message;
      try { message = JSON.parse(frame.data); } catch (e) { return; }
      handle(message);
    };
    ws.onclose = function (closeEvent) {
      if (socket !== ws) { return; }
      socket = null;
      if (!opened) {
        // The browser hides the HTTP status of a refused upgrade: a bad token and a bridge
        // that is down look the same, so say both and keep retrying.
        setMessage(everOpened ? "Connection lost; retrying." : "Cannot connect: the bridge is unreachable or the token is invalid or expired.");
        if (!everOpened) { form.hidden = false; }
      } else if (closeEvent.code === 4008) {
        setMessage("The connection fell behind and was reset; catching up.");
      } else if (closeEvent.code === 1001) {
        setMessage("The bridge is restarting; reconnecting.");
      } else if (closeEvent.code === 1008) {
        setMessage("The bridge closed the connection (policy): " + (closeEvent.reason || "no reason given"));
      } else {
        setMessage("Connection lost; reconnecting.");
      }
      scheduleReconnect();
    };
    ws.onerror = function () { /* onclose follows */ };
  }

  function scheduleReconnect() {
    setStatus("reconnecting");
    var base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, attempt));
    var delay = Math.round(base / 2 + Math.random() * base / 2);  // jitter: [base/2, base]
    attempt = Math.min(attempt + 1, 16);
    retryTimer = setTimeout(connect, delay);
  }

  function live() {
    attempt = 0;
    setStatus("live");
    setMessage("");
    form.hidden = true;
    signOut.hidden = false;
  }

  function handle(message) {
    if (!message || typeof message.type !== "string") { return; }
    switch (message.type) {
      case "snapshot":
        // The page joins only its token's room: a snapshot (fresh, or recovered:false after
        // a since that could not be honoured) replaces the whole state.
        room = typeof message.room === "string" ? message.room : room;
        roomEl.textContent = room ? "room " + room : "";
        replaceState(message);
        setPosition(message.position);
        live();
        if (message.recovered === false) { setMessage("Some events were too old to replay: showing a fresh snapshot."); }
        render();
        break;
      case "event":
        if (room !== null && message.room !== room) { break; }
        if (apply(message.event)) { render(); }
        setPosition(message.position);
        break;
      case "resumed":
        setPosition(message.position);
        live();
        render();
        break;
      case "error":
        setMessage("Bridge error" + (message.code ? " (" + message.code + ")" : "") + ": " + (message.message || ""));
        break;
      default:
        break;
    }
  }

  function showForm(text) {
    setStatus("signed-out", "signed out");
    setMessage(text);
    form.hidden = false;
    signOut.hidden = true;
    input.focus();
  }

  function reset() {
    active = new Map(); recent = []; seen = new Set(); seenOrder = []; position = null; room = null;
    positionEl.setAttribute("data-position", "");
    roomEl.textContent = "";
    attempt = 0; everOpened = false;
    render();
  }

  function disconnect() {
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    if (socket) { var ws = socket; socket = null; try { ws.close(1000); } catch (e) { /* ignore */ } }
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var value = input.value.trim();
    if (!value) { return; }
    input.value = "";
    token = value;
    try { sessionStorage.setItem(TOKEN_KEY, value); } catch (err) { /* keep it in memory */ }
    disconnect();
    reset();
    connect();
  });

  signOut.addEventListener("click", function () {
    try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* ignore */ }
    token = null;
    disconnect();
    reset();
    showForm("Token forgotten.");
  });

  render();
  token = readToken();
  if (token) { connect(); } else { showForm("Paste a dashboard token to connect."); }
})();
