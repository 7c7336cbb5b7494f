(function () {
  "use strict";

  var TOKEN_KEY = "callbridge.token";
  var FILTER_KEY = "callbridge.client";
  var RECENT_MAX = 20;
  var SEEN_MAX = 5000;
  var CLIENTS_MAX = 1000;
  var TIMELINE_MAX = 20000;
  var BACKOFF_MIN_MS = 500;
  var BACKOFF_MAX_MS = 30000;
  var MINUTE = 60000;
  var HOUR = 60 * MINUTE;
  var CLIENT_ID = /^[A-Za-z0-9._-]{1,128}$/;  // the one client id rule (contract)
  // Both call tables, in order: the field each row's cell carries (data-field, and the
  // column's class c-FIELD) and its heading.
  var COLUMNS = [
    ["call", "Call ID"], ["client", "Client"], ["provider", "Provider"], ["direction", "Direction"],
    ["from", "From"], ["to", "To"], ["started", "Started"], ["ended", "Ended"],
    ["duration", "Duration"], ["reason", "End reason"]
  ];

  var statusEl = document.getElementById("status");
  var roomEl = document.getElementById("room");
  var positionEl = document.getElementById("position");
  var messageEl = document.getElementById("message");
  var mainEl = document.getElementById("main");
  var form = document.getElementById("token-form");
  var input = document.getElementById("token-input");
  var signOut = document.getElementById("sign-out");
  var filterForm = document.getElementById("filter-form");
  var filterSelect = document.getElementById("client-filter");
  var filterInput = document.getElementById("client-input");
  var activeBody = callTable("active-calls");
  var recentBody = callTable("recent-calls");
  var activeCount = document.getElementById("active-count");
  var recentCount = document.getElementById("recent-count");
  var minutesSvg = document.getElementById("chart-minutes");
  var providersSvg = document.getElementById("chart-providers");
  var minutesHint = document.getElementById("minutes-hint");
  var startedTotalEl = document.getElementById("started-total");
  var endedTotalEl = document.getElementById("ended-total");
  var activeNowEl = document.getElementById("active-now");
  // The SVG namespace, taken from the page's own inline SVG.
  var SVG_NS = minutesSvg.namespaceURI;

  // ---- state, with the server's merge rules

  var active = new Map();      // callId -> call (the events' data, merged)
  var recent = [];             // ended calls, newest first, at most RECENT_MAX
  var seen = new Set();        // event ids already applied
  var seenOrder = [];
  var position = null;         // last position of the shown room: echoed back as since=
  var room = null;             // the room whose calls are shown
  var fresh = new Set();       // call ids to highlight on the next render
  // For the charts: callId -> {s: start ms, e: end ms, sKnown, eKnown, seen: first seen ms, provider}.
  var timeline = new Map();
  // From when the charts know every call of the shown room (ms; -Infinity: the whole hour).
  var exactSince = null;

  // ---- rooms: the token's own room, and the one the admin filter asks for

  var tokenRoom = null;        // learned from the first message of a connection
  var wantedRoom = null;       // null: the token's own room
  var knownClients = new Set();
  var clientsChanged = false;

  // ---- connection

  var token = null;
  var socket = null;
  var attempt = 0;
  var everOpened = false;
  var retryTimer = null;
  var retryAt = null;
  var refused = false;
  var joinedRooms = new Set();  // rooms this connection is in (as the server confirmed)
  var pendingJoin = null;       // a join sent and not answered yet

  // ---- what the page says: a notice (e.g. the restart), staleness, the next retry

  var notice = null;            // {text, kind}; kept until the connection is live again
  var staleSince = null;        // ms: when the shown data stopped being live

  function wanted() { return wantedRoom || tokenRoom; }

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

  function setMessage(text, kind) {
    messageEl.textContent = text || "";
    messageEl.setAttribute("data-kind", text ? (kind || "error") : "");
  }

  function clockText(ms) { return new Date(ms).toLocaleTimeString(); }

  // The message line while not live: the notice, what the tables show, and the next try.
  function compose() {
    if (refused || !token) { return; }
    var parts = [];
    var kind = "info";
    if (notice) { parts.push(notice.text); kind = notice.kind; }
    if (staleSince !== null && room !== null) { parts.push("Showing calls as of " + clockText(staleSince) + "."); }
    if (retryAt !== null) {
      var seconds = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
      parts.push(seconds > 0 ? "Next try in " + seconds + " s." : "Trying now…");
    }
    if (parts.length > 0) { setMessage(parts.join(" "), kind); }
  }

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

  // Newest end first, as the server orders its snapshot (events of different calls may
  // arrive out of order, e.g. a replay after a reconnect); a call without an end time goes
  // on top. At most RECENT_MAX: an end older than all of them is not shown.
  function insertRecent(call) {
    var key = ms(call.endedAt);
    var i = 0;
    if (key !== null) {
      while (i < recent.length) {
        var other = ms(recent[i].endedAt);
        if (other !== null && other <= key) { break; }
        i += 1;
      }
    }
    recent.splice(i, 0, call);
    if (recent.length > RECENT_MAX) { recent.length = RECENT_MAX; }
  }

  function remember(id) {
    seen.add(id);
    seenOrder.push(id);
    if (seenOrder.length > SEEN_MAX) { seen.delete(seenOrder.shift()); }
  }

  function noteClient(clientId) {
    if (typeof clientId !== "string" || !CLIENT_ID.test(clientId) || knownClients.has(clientId)) { return; }
    if (knownClients.size >= CLIENTS_MAX) { return; }
    knownClients.add(clientId);
    clientsChanged = true;
  }

  function time(value) {
    if (!present(value)) { return null; }
    var date = new Date(value);
    return isNaN(date.getTime()) ? null : date;
  }

  function ms(value) {
    var date = time(value);
    return date ? date.getTime() : null;
  }

  // ---- the charts' record of each call: when it started and ended

  function track(call, ended) {
    var entry = timeline.get(call.callId) || { s: null, e: null, sKnown: false, eKnown: false, seen: Date.now(), provider: null };
    var start = ms(call.startedAt);
    if (start !== null) { entry.s = start; entry.sKnown = true; }
    if (ended) {
      var end = ms(call.endedAt);
      if (end === null && entry.s !== null && typeof call.durationSeconds === "number") { end = entry.s + call.durationSeconds * 1000; }
      if (end !== null) { entry.e = end; entry.eKnown = true; } else if (entry.e === null) { entry.e = Date.now(); }
    }
    if (present(call.provider)) { entry.provider = String(call.provider); }
    timeline.set(call.callId, entry);
  }

  function pruneTimeline() {
    var horizon = Date.now() - HOUR - 5 * MINUTE;
    timeline.forEach(function (entry, callId) {
      if (entry.e !== null && entry.e < horizon && !active.has(callId)) { timeline.delete(callId); }
    });
    if (timeline.size > TIMELINE_MAX) {
      var ended = [];
      timeline.forEach(function (entry, callId) { if (entry.e !== null) { ended.push([entry.e, callId]); } });
      ended.sort(function (a, b) { return a[0] - b[0]; });
      for (var i = 0; i < ended.length && timeline.size > TIMELINE_MAX; i++) { timeline.delete(ended[i][1]); }
    }
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
    if (!present(data.endedAt) && event.type === "call.ended" && present(event.time)) { data.endedAt = event.time; }
    noteClient(data.clientId);
    if (event.type === "call.started") {
      var ended = recentIndex(callId);
      if (ended >= 0) {
        recent[ended] = merge(recent[ended], data, false);  // already ended: fill in, do not revive
        track(recent[ended], true);
      } else {
        var started = merge(active.get(callId), data, true);
        active.set(callId, started);
        track(started, false);
      }
    } else if (event.type === "call.ended") {
      var index = recentIndex(callId);
      if (index >= 0) {
        // A second call.ended fills in what the first lacked; the call keeps its place.
        recent[index] = merge(recent[index], data, false);
        track(recent[index], true);
      } else {
        var merged = data;
        if (active.has(callId)) {
          merged = merge(active.get(callId), data, true);  // the end's fields win, the start's fill gaps
          active.delete(callId);
        }
        insertRecent(merged);
        track(merged, true);
      }
    } else {
      return false;
    }
    fresh.add(callId);
    return true;
  }

  // A snapshot replaces the calls; for a room newly shown it also starts the charts over.
  // The charts are exact from the end of the oldest of the 20 recent calls on (every call
  // that ended later is in the snapshot), or over the whole hour when the room has fewer.
  function replaceState(message, newRoom) {
    var now = Date.now();
    if (newRoom) { timeline = new Map(); }
    active = new Map();
    var calls = Array.isArray(message.activeCalls) ? message.activeCalls : [];
    for (var i = 0; i < calls.length; i++) {
      var call = calls[i];
      if (call && typeof call.callId === "string") {
        active.set(call.callId, call);
        noteClient(call.clientId);
        track(call, false);
      }
    }
    recent = (Array.isArray(message.recentCalls) ? message.recentCalls : [])
      .filter(function (c) { return c && typeof c.callId === "string"; })
      .slice(0, RECENT_MAX);
    // (A recent call without its end time leaves only the snapshot's own moment exact.)
    var exact = recent.length < RECENT_MAX ? -Infinity : now;
    var endsKnown = true;
    for (var j = 0; j < recent.length; j++) {
      noteClient(recent[j].clientId);
      track(recent[j], true);
      var end = ms(recent[j].endedAt);
      if (end === null) { endsKnown = false; } else if (exact !== -Infinity) { exact = Math.min(exact, end); }
    }
    if (!endsKnown && exact !== -Infinity) { exact = now; }
    // After a gap (a snapshot answering a since that could not be honoured) only what the
    // snapshot covers is known: never more exact than before.
    exactSince = newRoom || exactSince === null ? exact : Math.max(exactSince, exact);
    // Calls the charts still counted as active that ended while this page was not told.
    timeline.forEach(function (entry, callId) {
      if (entry.e === null && !active.has(callId)) { entry.e = now; entry.eKnown = false; }
    });
    fresh = new Set();
  }

  // ---- rendering (text only: textContent and setAttribute, never HTML)

  // Durations of active calls run on this clock; it stops while the page is offline.
  function clock() { return staleSince !== null ? staleSince : Date.now(); }

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
    var end = live ? new Date(clock()) : time(call.endedAt);
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

  // Gives a call table its columns and headings; returns its body.
  function callTable(id) {
    var table = document.getElementById(id);
    var columns = document.createElement("colgroup");
    var heading = document.createElement("tr");
    for (var i = 0; i < COLUMNS.length; i++) {
      var col = document.createElement("col");
      col.className = "c-" + COLUMNS[i][0];
      columns.appendChild(col);
      var th = document.createElement("th");
      th.textContent = COLUMNS[i][1];
      heading.appendChild(th);
    }
    var head = document.createElement("thead");
    head.appendChild(heading);
    table.insertBefore(head, table.firstChild);
    table.insertBefore(columns, head);
    return table.querySelector("tbody");
  }

  // Both tables have the same columns; an active call has no end yet.
  function row(call, live, stale) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-call-id", String(call.callId));
    if (present(call.clientId)) { tr.setAttribute("data-client-id", String(call.clientId)); }
    var classes = [];
    if (fresh.has(call.callId) && !stale) { classes.push("fresh"); }
    if (stale) { classes.push("stale"); }
    if (classes.length) { tr.className = classes.join(" "); }
    cell(tr, "call", call.callId, call.callId);
    cell(tr, "client", call.clientId, call.clientId);
    cell(tr, "provider", call.provider);
    var direction = cell(tr, "direction", call.direction);
    if (present(call.direction)) { direction.setAttribute("data-value", String(call.direction)); }
    cell(tr, "from", call.from);
    cell(tr, "to", call.to);
    cell(tr, "started", formatTime(call.startedAt), call.startedAt);
    cell(tr, "ended", live ? null : formatTime(call.endedAt), live ? null : call.endedAt);
    cell(tr, "duration", formatDuration(durationOf(call, live)));
    cell(tr, "reason", live ? null : call.endReason, live ? null : call.endReason);
    return tr;
  }

  function fill(body, calls, live, emptyText) {
    var stale = staleSince !== null;
    var fragment = document.createDocumentFragment();
    for (var i = 0; i < calls.length; i++) { fragment.appendChild(row(calls[i], live, stale)); }
    if (calls.length === 0) {
      var tr = document.createElement("tr");
      tr.className = "empty";
      var td = document.createElement("td");
      td.colSpan = COLUMNS.length;
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

  function updateClientOptions() {
    if (!clientsChanged) { return; }
    clientsChanged = false;
    var selected = wantedRoom ? wantedRoom.slice("client:".length) : "";
    var ids = Array.from(knownClients).sort();
    var fragment = document.createDocumentFragment();
    var all = document.createElement("option");
    all.value = "";
    all.textContent = "All clients";
    fragment.appendChild(all);
    for (var i = 0; i < ids.length; i++) {
      var option = document.createElement("option");
      option.value = ids[i];
      option.textContent = ids[i];
      fragment.appendChild(option);
    }
    filterSelect.replaceChildren(fragment);
    filterSelect.value = selected;
  }

  function showRoom() {
    var text = room ? "room " + room : "";
    if (wantedRoom && wantedRoom !== room) { text = "joining " + wantedRoom + "…"; }
    else if (!wantedRoom && tokenRoom && room && room !== tokenRoom) { text = "joining " + tokenRoom + "…"; }
    roomEl.textContent = text;
    mainEl.setAttribute("data-switching", room !== null && wanted() !== null && room !== wanted() ? "true" : "false");
    mainEl.setAttribute("data-room", room || "");
    filterForm.hidden = tokenRoom !== "admin" || refused || !token;
  }

  var renderQueued = false;
  function render() {
    if (renderQueued) { return; }
    renderQueued = true;
    var run = function () {
      renderQueued = false;
      fill(activeBody, activeSorted(), true, "no active calls");
      fill(recentBody, recent, false, "no ended calls yet");
      activeCount.textContent = String(active.size);
      recentCount.textContent = String(recent.length);
      mainEl.setAttribute("data-stale", staleSince !== null ? "true" : "false");
      fresh = new Set();
      updateClientOptions();
      showRoom();
      drawCharts();
    };
    if (document.hidden) { run(); } else { window.requestAnimationFrame(run); }
  }

  // ---- charts (inline SVG, one unit per CSS pixel; redrawn at most once a second)

  function svgEl(name, attributes, text) {
    var el = document.createElementNS(SVG_NS, name);
    for (var key in attributes) {
      if (Object.prototype.hasOwnProperty.call(attributes, key)) { el.setAttribute(key, String(attributes[key])); }
    }
    if (text !== undefined) { el.textContent = String(text); }
    return el;
  }

  // A scale whose half is a whole number: 4, 6, 8, 10, 20, 50, 100, …
  function niceMax(value) {
    if (value <= 4) { return 4; }
    if (value <= 10) { return Math.ceil(value / 2) * 2; }
    var step = Math.pow(10, Math.floor(Math.log10(value)));
    var candidates = [1, 2, 5, 10];
    for (var i = 0; i < candidates.length; i++) { if (candidates[i] * step >= value) { return candidates[i] * step; } }
    return 10 * step;
  }

  // Per minute of the last hour: calls started, calls ended, and calls active at its end
  // (the current minute: now). Exact from `exactSince` on; earlier minutes know only the
  // calls of the snapshot.
  function minuteSeries(now) {
    var first = Math.floor(now / MINUTE) * MINUTE - 59 * MINUTE;
    var started = [], ended = [], activeAt = [];
    var i;
    for (i = 0; i < 60; i++) { started.push(0); ended.push(0); activeAt.push(0); }
    var entries = Array.from(timeline.values());
    for (var k = 0; k < entries.length; k++) {
      var entry = entries[k];
      if (entry.sKnown && entry.s >= first && entry.s <= now) { started[Math.floor((entry.s - first) / MINUTE)] += 1; }
      if (entry.eKnown && entry.e >= first && entry.e <= now) { ended[Math.floor((entry.e - first) / MINUTE)] += 1; }
    }
    for (i = 0; i < 60; i++) {
      var at = Math.min(now, first + (i + 1) * MINUTE);
      var count = 0;
      for (var j = 0; j < entries.length; j++) {
        var s = entries[j].sKnown ? entries[j].s : entries[j].seen;
        var e = entries[j].e;
        if (s <= at && (e === null || e > at)) { count += 1; }
      }
      activeAt[i] = count;
    }
    return { first: first, started: started, ended: ended, active: activeAt };
  }

  function drawMinutes(now) {
    var width = Math.max(240, Math.round(minutesSvg.getBoundingClientRect().width) || 600);
    var height = 190;
    var left = 30, right = 34, top = 12, bottom = 22;
    var plotW = width - left - right, plotH = height - top - bottom;
    var series = minuteSeries(now);
    var startedTotal = 0, endedTotal = 0, barMax = 0, activeMax = 0;
    for (var i = 0; i < 60; i++) {
      startedTotal += series.started[i];
      endedTotal += series.ended[i];
      barMax = Math.max(barMax, series.started[i], series.ended[i]);
      activeMax = Math.max(activeMax, series.active[i]);
    }
    var barScale = niceMax(barMax), activeScale = niceMax(activeMax);
    var slot = plotW / 60;
    var nodes = [];
    // Minutes before `exactSince`: only the calls of the snapshot are known there.
    var partial = exactSince !== null && exactSince > series.first;
    if (partial) {
      var partialW = Math.min(plotW, ((exactSince - series.first) / MINUTE) * slot);
      nodes.push(svgEl("rect", { "class": "partial", x: left, y: top, width: partialW.toFixed(1), height: plotH }));
      if (partialW > 90) { nodes.push(svgEl("text", { x: left + 4, y: top + 12 }, "partial before " + clockText(exactSince))); }
    }
    for (var g = 0; g <= 2; g++) {
      var gy = top + plotH - (plotH * g) / 2;
      nodes.push(svgEl("line", { "class": "grid", x1: left, x2: left + plotW, y1: gy, y2: gy }));
      nodes.push(svgEl("text", { x: left - 4, y: gy + 4, "text-anchor": "end" }, Math.round((barScale * g) / 2)));
      nodes.push(svgEl("text", { "class": "axis-active", x: left + plotW + 4, y: gy + 4 }, Math.round((activeScale * g) / 2)));
    }
    var barW = Math.max(1, slot / 2 - 0.5);
    for (i = 0; i < 60; i++) {
      var x = left + i * slot;
      if (series.started[i] > 0) {
        var hs = (series.started[i] / barScale) * plotH;
        nodes.push(svgEl("rect", { "class": "bar-started", x: x.toFixed(1), y: (top + plotH - hs).toFixed(1), width: barW.toFixed(1), height: hs.toFixed(1), "data-minute": i, "data-count": series.started[i] }));
      }
      if (series.ended[i] > 0) {
        var he = (series.ended[i] / barScale) * plotH;
        nodes.push(svgEl("rect", { "class": "bar-ended", x: (x + slot / 2).toFixed(1), y: (top + plotH - he).toFixed(1), width: barW.toFixed(1), height: he.toFixed(1), "data-minute": i, "data-count": series.ended[i] }));
      }
    }
    var points = [];
    for (i = 0; i < 60; i++) {
      var px = left + (i + 1) * slot;
      var py = top + plotH - (series.active[i] / activeScale) * plotH;
      points.push((i === 0 ? left : px - slot).toFixed(1) + "," + py.toFixed(1), px.toFixed(1) + "," + py.toFixed(1));
    }
    nodes.push(svgEl("polyline", { "class": "line-active", points: points.join(" ") }));
    var labels = [[0, "−60 min"], [15, "−45"], [30, "−30"], [45, "−15"], [60, "now"]];
    for (var l = 0; l < labels.length; l++) {
      var anchor = labels[l][0] === 0 ? "start" : labels[l][0] === 60 ? "end" : "middle";
      nodes.push(svgEl("text", { x: left + labels[l][0] * slot, y: height - 6, "text-anchor": anchor }, labels[l][1]));
    }
    minutesSvg.setAttribute("viewBox", "0 0 " + width + " " + height);
    minutesSvg.replaceChildren.apply(minutesSvg, nodes);
    var activeNow = series.active[59];
    minutesSvg.setAttribute("data-started", String(startedTotal));
    minutesSvg.setAttribute("data-ended", String(endedTotal));
    minutesSvg.setAttribute("data-active", String(activeNow));
    minutesSvg.setAttribute("aria-label", "last hour: " + startedTotal + " calls started, " + endedTotal + " ended; " + activeNow + " active now");
    startedTotalEl.textContent = String(startedTotal);
    endedTotalEl.textContent = String(endedTotal);
    activeNowEl.textContent = String(activeNow);
    minutesSvg.setAttribute("data-exact-since", partial ? new Date(exactSince).toISOString() : "");
    minutesHint.textContent = partial ? "exact since " + clockText(exactSince) : "";
  }

  // Per provider: calls of the last hour (started or ended in it, or still active) and active now.
  function providerCounts(now) {
    var counts = new Map();
    timeline.forEach(function (entry, callId) {
      var isActive = active.has(callId);
      var inHour = isActive || (entry.s !== null && entry.s >= now - HOUR) || (entry.e !== null && entry.e >= now - HOUR);
      if (!inHour) { return; }
      var name = entry.provider || "unknown";
      var count = counts.get(name) || { provider: name, calls: 0, active: 0 };
      count.calls += 1;
      if (isActive) { count.active += 1; }
      counts.set(name, count);
    });
    return Array.from(counts.values()).sort(function (a, b) { return b.calls - a.calls || (a.provider < b.provider ? -1 : 1); });
  }

  function drawProviders(now) {
    var width = Math.max(200, Math.round(providersSvg.getBoundingClientRect().width) || 300);
    var rows = providerCounts(now);
    var rowH = 26, labelW = Math.min(90, Math.round(width * 0.3)), valueW = 78;
    var height = Math.max(1, rows.length) * rowH + 4;
    var nodes = [];
    var max = 1;
    for (var i = 0; i < rows.length; i++) { max = Math.max(max, rows[i].calls); }
    var barSpace = Math.max(20, width - labelW - valueW);
    if (rows.length === 0) { nodes.push(svgEl("text", { x: 0, y: 18 }, "no calls in the last hour")); }
    for (i = 0; i < rows.length; i++) {
      var y = i * rowH + 4;
      var group = svgEl("g", { "data-provider": rows[i].provider, "data-calls": rows[i].calls, "data-active": rows[i].active });
      group.appendChild(svgEl("text", { x: 0, y: y + 14 }, rows[i].provider.length > 12 ? rows[i].provider.slice(0, 11) + "…" : rows[i].provider));
      var w = Math.max(2, (rows[i].calls / max) * barSpace);
      group.appendChild(svgEl("rect", { "class": "bar-calls", x: labelW, y: y + 3, width: w.toFixed(1), height: 14, rx: 2 }));
      if (rows[i].active > 0) {
        var wa = Math.max(2, (rows[i].active / max) * barSpace);
        group.appendChild(svgEl("rect", { "class": "bar-active", x: labelW, y: y + 13, width: wa.toFixed(1), height: 4 }));
      }
      group.appendChild(svgEl("text", { "class": "value", x: labelW + w + 6, y: y + 14 }, rows[i].calls + (rows[i].active ? " · " + rows[i].active + " live" : "")));
      nodes.push(group);
    }
    providersSvg.setAttribute("viewBox", "0 0 " + width + " " + height);
    providersSvg.setAttribute("height", String(height));
    providersSvg.replaceChildren.apply(providersSvg, nodes);
    providersSvg.setAttribute("aria-label", rows.length === 0 ? "no calls in the last hour" :
      rows.map(function (r) { return r.provider + ": " + r.calls + " calls, " + r.active + " active"; }).join("; "));
  }

  var lastDrawn = 0;
  var drawTimer = null;
  function drawCharts() {
    var wait = 1000 - (Date.now() - lastDrawn);
    if (wait > 0) {
      if (!drawTimer) { drawTimer = setTimeout(function () { drawTimer = null; drawCharts(); }, wait); }
      return;
    }
    lastDrawn = Date.now();
    pruneTimeline();
    var now = clock();
    drawMinutes(now);
    drawProviders(now);
  }

  // Live durations of active calls tick every second, and the charts move on every 15 s;
  // nothing ticks while the page is offline (the tables are as of the moment it went).
  var ticks = 0;
  setInterval(function () {
    ticks += 1;
    if (retryAt !== null) { compose(); }
    if (staleSince !== null) { return; }
    var rows = activeBody.querySelectorAll("tr[data-call-id]");
    for (var i = 0; i < rows.length; i++) {
      var call = active.get(rows[i].getAttribute("data-call-id"));
      var td = rows[i].querySelector('td[data-field="duration"]');
      if (call && td) { td.textContent = formatDuration(durationOf(call, true)); }
    }
    if (ticks % 15 === 0) { drawCharts(); }
  }, 1000);

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    if (resizeTimer) { clearTimeout(resizeTimer); }
    resizeTimer = setTimeout(function () { lastDrawn = 0; drawCharts(); }, 150);
  });

  // ---- connection

  function goStale() {
    if (staleSince === null && room !== null) {
      staleSince = Date.now();
      render();
    }
  }

  function socketUrl() {
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var url = scheme + "//" + window.location.host + "/ws?token=" + encodeURIComponent(token);
    // The URL's since resumes the token's own room; a filtered room resumes with its join.
    if (position && room !== null && room === tokenRoom) { url += "&since=" + encodeURIComponent(position); }
    return url;
  }

  function send(message) {
    if (socket && socket.readyState === 1) { socket.send(JSON.stringify(message)); }
  }

  // Puts the connection in the wanted room, and only there: join it (resuming from the
  // position when it is the room shown), then, once the server confirmed it, leave the others.
  function syncRooms() {
    var target = wanted();
    if (!socket || socket.readyState !== 1 || target === null) { return; }
    if (!joinedRooms.has(target)) {
      if (pendingJoin !== target) {
        pendingJoin = target;
        send({ type: "join", room: target, since: room === target && position ? position : null });
      }
      return;
    }
    joinedRooms.forEach(function (other) {
      if (other !== target) {
        send({ type: "leave", room: other });
        joinedRooms.delete(other);
      }
    });
  }

  function connect() {
    if (!token) { showForm("Paste a dashboard token to connect."); return; }
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    retryAt = null;
    statusEl.setAttribute("data-next-retry", "");
    setStatus(attempt === 0 && !everOpened ? "connecting" : "reconnecting", attempt === 0 && !everOpened ? "connecting…" : "reconnecting…");
    compose();
    var ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (e) {
      scheduleReconnect();
      return;
    }
    socket = ws;
    joinedRooms = new Set();
    pendingJoin = null;
    var opened = false;
    var first = true;
    ws.onopen = function () { opened = true; everOpened = true; };
    ws.onmessage = function (frame) {
      if (socket !== ws || typeof frame.data !== "string") { return; }
      var message;
      try { message = JSON.parse(frame.data); } catch (e) { return; }
      if (!message || typeof message.type !== "string") { return; }
      if (first && typeof message.room === "string") {
        // The first message of a connection is about the room its token joined.
        first = false;
        learnTokenRoom(message.room);
      }
      handle(message);
    };
    ws.onclose = function (closeEvent) {
      if (socket !== ws) { return; }
      socket = null;
      joinedRooms = new Set();
      pendingJoin = null;
      goStale();
      if (!opened) {
        // The browser hides the HTTP status of a refused upgrade: ask the Bridge whether it
        // refuses the token (401) or is just not there, before trying again.
        probeToken(function (refusal) {
          if (socket !== null || refused || !token) { return; }
          if (refusal) { refuse(refusal); return; }
          if (!notice) {
            notice = everOpened ? { text: "The connection to the Bridge was lost; reconnecting.", kind: "warn" }
                                : { text: "Cannot reach the Bridge; retrying.", kind: "warn" };
          }
          scheduleReconnect();
        });
        return;
      }
      if (closeEvent.code === 1001) {
        // The Bridge is shutting down (SIGTERM, a restart or a deploy): say so until it is back.
        notice = { text: "The Bridge is restarting (close 1001: " + (closeEvent.reason || "going away") + "); reconnecting.", kind: "warn" };
      } else if (closeEvent.code === 4008) {
        notice = { text: "The connection fell behind and was reset (close 4008); catching up.", kind: "warn" };
      } else if (closeEvent.code === 1008) {
        notice = { text: "The Bridge closed the connection (policy, close 1008): " + (closeEvent.reason || "no reason given") + "; reconnecting.", kind: "warn" };
      } else {
        notice = { text: "The connection to the Bridge was lost (close " + closeEvent.code + (closeEvent.reason ? ": " + closeEvent.reason : "") + "); reconnecting.", kind: "warn" };
      }
      scheduleReconnect();
    };
    ws.onerror = function () { /* onclose follows */ };
  }

  // Asks `GET /events` with the token (the WebSocket cannot tell why it was refused): 401
  // means the token is refused; anything else (an answer, or no answer at all) is retried.
  function probeToken(done) {
    if (typeof window.fetch !== "function") { done(null); return; }
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    window.fetch("/events", {
      headers: { Authorization: "Bearer " + token, Accept: "text/event-stream" },
      cache: "no-store",
      credentials: "omit",
      signal: controller ? controller.signal : undefined,
    }).then(function (response) {
      if (response.status !== 401) {
        if (controller) { controller.abort(); }  // a stream that answered: the token is good
        done(null);
        return;
      }
      response.json().then(function (body) {
        done({ detail: body && typeof body.error === "string" ? body.error : "" });
      }, function () { done({ detail: "" }); });
    }, function () { done(null); });
  }

  function refuse(refusal) {
    refused = true;
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    retryAt = null;
    statusEl.setAttribute("data-next-retry", "");
    setStatus("refused", "token refused");
    setMessage("The Bridge refused this token (HTTP 401" + (refusal.detail ? ": " + refusal.detail : "") +
      "). Not retrying: paste a valid token to connect.", "error");
    form.hidden = false;
    signOut.hidden = false;
    showRoom();
    render();
  }

  function scheduleReconnect() {
    setStatus("reconnecting", "reconnecting…");
    var base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, attempt));
    var delay = Math.round(base / 2 + Math.random() * base / 2);  // jitter: [base/2, base]
    attempt = Math.min(attempt + 1, 16);
    retryAt = Date.now() + delay;
    statusEl.setAttribute("data-next-retry", String(retryAt));
    retryTimer = setTimeout(connect, delay);
    compose();
  }

  function live() {
    attempt = 0;
    refused = false;
    notice = null;
    retryAt = null;
    statusEl.setAttribute("data-next-retry", "");
    if (staleSince !== null) { staleSince = null; }
    setStatus("live", "live");
    setMessage("");
    form.hidden = true;
    signOut.hidden = false;
  }

  function learnTokenRoom(name) {
    if (tokenRoom !== null) { return; }
    tokenRoom = name;
    if (tokenRoom !== "admin") { wantedRoom = null; }  // only an admin may pick rooms
    showRoom();
  }

  function handle(message) {
    var target = wanted();
    switch (message.type) {
      case "snapshot":
        joinedRooms.add(message.room);
        if (pendingJoin === message.room) { pendingJoin = null; }
        if (message.room === target) {
          // A snapshot (fresh, for a room newly shown, or recovered:false after a since that
          // could not be honoured) replaces the whole state.
          var newRoom = room !== message.room;
          room = message.room;
          replaceState(message, newRoom);
          setPosition(message.position);
          live();
          if (message.recovered === false) { setMessage("Some events were too old to replay: showing a fresh snapshot.", "info"); }
          render();
        }
        syncRooms();
        break;
      case "event":
        if (message.room !== room) { break; }  // a room this page is leaving or not showing
        if (apply(message.event)) { render(); }
        setPosition(message.position);
        break;
      case "resumed":
        joinedRooms.add(message.room);
        if (pendingJoin === message.room) { pendingJoin = null; }
        if (message.room === room && room === target) {
          setPosition(message.position);
          live();
          render();
        }
        syncRooms();
        break;
      case "error":
        if (typeof message.room === "string" && message.room === pendingJoin) {
          pendingJoin = null;
          if (message.room === wantedRoom) {
            wantedRoom = null;  // back to the token's room
            try { sessionStorage.removeItem(FILTER_KEY); } catch (e) { /* ignore */ }
            filterSelect.value = "";
          }
          syncRooms();
          render();
        }
        setMessage("The Bridge answered " + (message.code ? message.code : "an error") +
          (message.room ? " for " + message.room : "") + ": " + (message.message || ""), "error");
        break;
      default:
        break;  // "left", and what later versions may add
    }
  }

  // ---- the admin's client filter: joins client:{id} on the server instead of filtering here

  function choose(clientId) {
    var next = clientId ? "client:" + clientId : null;
    if (next === wantedRoom) { return; }
    wantedRoom = next;
    try {
      if (clientId) { sessionStorage.setItem(FILTER_KEY, clientId); } else { sessionStorage.removeItem(FILTER_KEY); }
    } catch (e) { /* keep it in memory */ }
    if (clientId) { noteClient(clientId); updateClientOptions(); }
    filterSelect.value = clientId || "";
    showRoom();
    syncRooms();
  }

  var chooseTimer = null;
  filterSelect.addEventListener("change", function () {
    // Debounced: keyboard scrolling through the list joins only where it stops.
    if (chooseTimer) { clearTimeout(chooseTimer); }
    chooseTimer = setTimeout(function () { chooseTimer = null; choose(filterSelect.value); }, 200);
  });

  filterForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var value = filterInput.value.trim();
    if (value === "" || value === "*" || value.toLowerCase() === "all") { filterInput.value = ""; choose(""); return; }
    if (!CLIENT_ID.test(value)) {
      setMessage("A client id is 1 to 128 characters of A-Z a-z 0-9 . _ -", "error");
      return;
    }
    filterInput.value = "";
    choose(value);
  });

  function showForm(text) {
    setStatus("signed-out", "signed out");
    setMessage(text, "error");
    form.hidden = false;
    signOut.hidden = true;
    showRoom();
    input.focus();
  }

  function reset() {
    active = new Map(); recent = []; seen = new Set(); seenOrder = []; position = null; room = null;
    timeline = new Map(); exactSince = null; tokenRoom = null; staleSince = null; notice = null; refused = false;
    retryAt = null;
    positionEl.setAttribute("data-position", "");
    statusEl.setAttribute("data-next-retry", "");
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
    try { sessionStorage.removeItem(TOKEN_KEY); sessionStorage.removeItem(FILTER_KEY); } catch (e) { /* ignore */ }
    token = null;
    wantedRoom = null;
    filterSelect.value = "";
    disconnect();
    reset();
    showForm("Token forgotten.");
  });

  // The browser knows when the network comes back: try at once instead of waiting.
  window.addEventListener("online", function () {
    if (retryTimer && token && !refused) { attempt = 0; connect(); }
  });
  window.addEventListener("offline", function () {
    if (room !== null && socket === null) { goStale(); }
  });

  render();
  token = readToken();
  try {
    var storedClient = sessionStorage.getItem(FILTER_KEY);
    if (storedClient && CLIENT_ID.test(storedClient)) { wantedRoom = "client:" + storedClient; noteClient(storedClient); }
  } catch (e) { /* ignore */ }
  if (token) { connect(); } else { showForm("Paste a dashboard token to connect."); }
})();
