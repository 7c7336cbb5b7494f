#!/usr/bin/env python3
"""Report of the Bridge fan-out benchmark (scripts/bench-bridge.sh).

  bridge_report.py --dir run/bench-bridge/<stamp> [--out SUMMARY.json]
  bridge_report.py kafka-probe --brokers HOST:PORT --seconds S --skip S --out PROBE.json
      a plain librdkafka consumer (confluent-kafka, --fetch-wait-ms like the Bridge's)
      reading calls.lifecycle.v1 from the end during a latency phase: record timestamp (set
      when Ingest produced it) -> consumed, the part of the end-to-end latency that any
      consumer of this broker pays; records of the first --skip seconds are not counted;
      with --events-out F --call-prefix P, also each event's consumed time (CLOCK_REALTIME
      ns) by webhook index (calls P<k>: 2k started, 2k+1 ended), for `share`

  bridge_report.py share --frames FRAMES --probe-events F [--control-events F2]
                         [--metrics-before M1 --metrics-after M2] --out SHARE.json
      the Bridge's own share of the latency, per frame: a subscriber's receive time
      (bridge_load --frame-times) minus the plain consumer's consumed time of the same
      event; beside it the end-to-end latency of the Bridge's frames and of the plain
      consumer (webhook sent -> frame read / record consumed), all from one run. With
      --control-events (a second plain consumer's events), the same difference between two
      plain consumers: the method's floor, what two consumers of one broker differ by with
      no Bridge in between. With two scrapes of the Bridge's /metrics around the window,
      the Bridge's own time per event from its callbridge_bridge_fanout_seconds histogram
      (poll thread -> frames written; quantiles as the bucket bound they fall under)

  bridge_report.py sched --timehist T.txt --process NAME=PID ... --out SCHED.json
      a scheduler profile from `perf sched timehist` output (every time a thread ran):
      per process and thread role (the thread's name without its numbers), how long its
      wake-ups waited for a core (scheduling delay p50/p99/max), how long it ran and how
      long it was off the CPU; and how busy the cores were (their idle time)

Reads the phase results that bridge_load.c wrote into the folder (idle-<server>-<protocol>.json,
latency-<server>-<protocol>.json, max-<server>-<protocol>-<rate>.json) and prints Markdown tables: the
phases, CPU per process, memory per idle connection, and the targets of issue 4 with the ratios:
  >= 500,000 frames/s delivered; p99 end-to-end < 15 ms at 1,000 events/s with 1,000
  subscribers; <= 10 KB per idle connection; >= 20x the python-socketio server's delivered rate.
"""

import argparse
import glob
import json
import os
import sys

TARGET_FRAMES_PER_S = 500_000
TARGET_P99_MS = 15.0
TARGET_RATE = 1_000
TARGET_SUBSCRIBERS = 1_000
TARGET_KB_PER_CONN = 10.0
TARGET_RATIO = 20.0

SERVER = {"bridge": "Bridge", "python": "python-socketio"}
PROTOCOL = {"ws": "/ws", "sio": "Socket.IO"}


def load(folder, name):
    path = os.path.join(folder, name + ".json")
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return None
    with open(path) as f:
        return json.load(f)


def server_names(result):
    """The watched processes of the server under test (everything but ingest and tansu)."""
    return [k[:-2] for k in result["cpu"] if k.endswith("_s") and k not in ("window_s", "machine_busy_s",
            "machine_total_s", "load_generator_s", "ingest_s", "tansu_s")]


def server_cpu_s(result):
    return sum(max(0.0, result["cpu"].get(n + "_s", 0.0)) for n in server_names(result))


def pct(result, seconds):
    wall = result["cpu"]["window_s"]
    return 100.0 * seconds / wall if wall > 0 and seconds >= 0 else float("nan")


def rss_kb(result, when):
    return sum(max(0, v.get(when, 0)) for n, v in result["rss_kb"].items() if n not in ("ingest", "tansu"))


def ms(value, digits=2):
    """A latency figure; None when that percentile fell among frames never delivered."""
    return "never" if value is None else f"{value:.{digits}f}"


def delivery_text(result):
    d = result["delivery"]
    if d["complete"]:
        return f"complete ({d['expected']:,} frames)"
    parts = [f"missing {d['missing']:,} of {d['expected']:,}"]
    for key in ("duplicates", "misrouted"):
        if d[key]:
            parts.append(f"{key} {d[key]:,}")
    closed = result["subscribers"]["closed_by_server"]
    if closed:
        parts.append(f"{closed} subscribers closed by the server {result['subscribers']['close_codes']}")
    return "**" + ", ".join(parts) + f"** after {result['events']['drain_s']:.0f} s of drain"


def kafka_probe(argv):
    parser = argparse.ArgumentParser(prog="bridge_report.py kafka-probe")
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--topic", default="calls.lifecycle.v1")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--skip", type=float, default=0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--fetch-wait-ms", type=int, default=5, help="fetch.wait.max.ms (default 5, the Bridge's)")
    parser.add_argument("--events-out", help="write each event's consumed time here (JSON)")
    parser.add_argument("--call-prefix", help="the call ids of the run: PREFIX<k>")
    args = parser.parse_args(argv)
    if bool(args.events_out) != bool(args.call_prefix):
        parser.error("--events-out and --call-prefix go together")
    import time
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": args.brokers, "group.id": "bridge-bench-probe",
                         "enable.auto.commit": False, "fetch.wait.max.ms": args.fetch_wait_ms})
    topic = consumer.list_topics(args.topic, timeout=10).topics[args.topic]
    consumer.assign([TopicPartition(args.topic, p, -1) for p in topic.partitions])  # from the end
    started = time.time()
    lat = []
    consumed = {}  # webhook index -> consumed time, ns
    prefix = args.call_prefix.encode() if args.call_prefix else None
    while time.time() - started < args.seconds:
        message = consumer.poll(0.1)
        if message is None or message.error():
            continue
        now_ns = time.time_ns()
        stamp = message.timestamp()[1]
        if stamp / 1000 - started >= args.skip:
            lat.append(now_ns / 1e6 - stamp)
        key = message.key()
        if prefix and key and key.startswith(prefix) and key[len(prefix):].isdigit():
            ended = b'call.ended"' in message.value()
            consumed[2 * int(key[len(prefix):]) + int(ended)] = now_ns
    consumer.close()
    if args.events_out:
        with open(args.events_out, "w") as f:
            json.dump(consumed, f)
    lat.sort()
    pick = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))], 1) if lat else None
    with open(args.out, "w") as f:
        json.dump({"records": len(lat), "p50": pick(0.5), "p90": pick(0.9), "p99": pick(0.99),
                   "max": round(lat[-1], 1) if lat else None}, f)


def histogram_quantiles(before_path, after_path, name, selector):
    """p50/p90/p99 of a Prometheus histogram over the interval between two scrapes: the upper
    bound (ms) of the bucket each falls in, and the estimate Prometheus's histogram_quantile
    gives (linear within that bucket)."""
    with open(before_path) as before, open(after_path) as after:
        return histogram_quantiles_between(before.read(), after.read(), name, selector)


def histogram_quantiles_between(before_text, after_text, name, selector):
    """histogram_quantiles over two scrapes given as text."""
    import re

    def buckets(text):
        out = {}
        for line in text.splitlines():
            if line.startswith(name + "_bucket{") and selector in line:
                le = re.search(r'le="([^"]+)"', line)[1]
                out[float("inf") if le == "+Inf" else float(le)] = float(line.rsplit(" ", 1)[1])
        return out

    before, after = buckets(before_text), buckets(after_text)
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]  # cumulative
    if not counts or counts[-1] <= 0:
        return None
    total = counts[-1]

    def under(q):
        for bound, count in zip(bounds, counts):
            if count >= q * total:
                return None if bound == float("inf") else round(bound * 1000, 3)
        return None

    def estimate(q):
        lower_bound, lower_count = 0.0, 0.0
        for bound, count in zip(bounds, counts):
            if count >= q * total:
                if bound == float("inf"):
                    return round(lower_bound * 1000, 3)
                inside = count - lower_count
                return round((lower_bound + (bound - lower_bound) * ((q * total - lower_count) / inside if inside else 1)) * 1000, 3)
            lower_bound, lower_count = bound, count
        return None

    return {"count": int(total), "p50_at_most": under(0.5), "p90_at_most": under(0.9), "p99_at_most": under(0.99),
            "p50": estimate(0.5), "p90": estimate(0.9), "p99": estimate(0.99)}


def share(argv):
    parser = argparse.ArgumentParser(prog="bridge_report.py share")
    parser.add_argument("--frames", required=True, help="bridge_load --frame-times output")
    parser.add_argument("--probe-events", required=True, help="kafka-probe --events-out output")
    parser.add_argument("--control-events", help="a second kafka-probe's --events-out output")
    parser.add_argument("--metrics-before", help="the Bridge's /metrics when the window starts")
    parser.add_argument("--metrics-after", help="the Bridge's /metrics when the window ends")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if bool(args.metrics_before) != bool(args.metrics_after):
        parser.error("--metrics-before and --metrics-after go together")
    import array

    data = array.array("q")
    with open(args.frames, "rb") as f:
        data.frombytes(f.read())
    webhooks = data[0]
    sent = data[1:1 + webhooks]
    frame_count = data[1 + webhooks]
    frames = data[2 + webhooks:2 + webhooks + 2 * frame_count]
    with open(args.probe_events) as f:
        consumed = {int(k): v for k, v in json.load(f).items()}
    own, bridge_e2e, unmatched = [], [], 0
    window_events = set()
    for i in range(frame_count):
        index, received = frames[2 * i], frames[2 * i + 1]
        window_events.add(index)
        if sent[index] > 0:
            bridge_e2e.append((received - sent[index]) / 1e6)
        if index in consumed:
            own.append((received - consumed[index]) / 1e6)
        else:
            unmatched += 1
    plain_e2e = [(consumed[i] - sent[i]) / 1e6 for i in window_events if i in consumed and sent[i] > 0]

    def figures(values):
        values.sort()
        pick = lambda q: round(values[min(len(values) - 1, int(q * len(values)))], 2)
        return {"count": len(values), "min": round(values[0], 2), "p1": pick(0.01), "p50": pick(0.5), "p90": pick(0.9),
                "p99": pick(0.99), "max": round(values[-1], 2)} if values else None

    result = {"own_share_ms": figures(own), "bridge_e2e_ms": figures(bridge_e2e), "plain_consumer_e2e_ms": figures(plain_e2e),
              "frames": frame_count, "events": len(window_events), "frames_without_probe_event": unmatched}
    if args.control_events:
        with open(args.control_events) as f:
            control = {int(k): v for k, v in json.load(f).items()}
        result["plain_vs_plain_ms"] = figures([(control[i] - consumed[i]) / 1e6 for i in window_events
                                               if i in consumed and i in control])
    if args.metrics_before:
        result["bridge_fanout_ms"] = histogram_quantiles(args.metrics_before, args.metrics_after,
                                                         "callbridge_bridge_fanout_seconds", 'protocol="socketio"')
    with open(args.out, "w") as f:
        json.dump(result, f)
    print(json.dumps(result))


def sched(argv):
    parser = argparse.ArgumentParser(prog="bridge_report.py sched")
    parser.add_argument("--timehist", required=True, help="`perf sched timehist` output")
    parser.add_argument("--process", action="append", default=[], metavar="NAME=PID",
                        help="label a process's threads (repeatable); others count as 'other'")
    parser.add_argument("--process-comm", action="append", default=[], metavar="NAME=COMM",
                        help="label threads named COMM of processes not labelled by --process (repeatable)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    import re

    labels = {}
    for item in args.process:
        name, _, pid = item.partition("=")
        if not pid.isdigit():
            parser.error(f"--process needs NAME=PID, got {item!r}")
        labels[int(pid)] = name
    comm_labels = {}
    for item in args.process_comm:
        name, _, comm = item.partition("=")
        if not comm:
            parser.error(f"--process-comm needs NAME=COMM, got {item!r}")
        comm_labels[comm] = name
    line_re = re.compile(r"^\s*([\d.]+)\s+\[(\d+)\]\s+(.+?)\[(\d+)(?:/(\d+))?\]\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)")
    idle_re = re.compile(r"^\s*([\d.]+)\s+\[(\d+)\]\s+<idle>\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)")
    groups, idle_ms, first, last, cpus = {}, 0.0, None, None, set()
    with open(args.timehist) as f:
        for line in f:
            m = line_re.match(line)
            if m:
                t, cpu, comm, tid, pid = float(m[1]), int(m[2]), m[3].strip(), int(m[4]), int(m[5] or m[4])
                wait, delay, run = float(m[6]), float(m[7]), float(m[8])
                # Thread roles: NIO-ELT-0-#1 -> NIO-ELT-#, rdk:broker3 -> rdk:broker#.
                role = re.sub(r"[\d]+", "#", re.sub(r"-#\d+$", "", comm))
                if pid in labels:
                    key = (labels[pid], role)
                elif comm in comm_labels:
                    key = (comm_labels[comm], role)
                else:
                    key = ("other", "*")
                g = groups.setdefault(key, {"delays": [], "run_ms": 0.0, "wait_ms": 0.0, "threads": set()})
                g["delays"].append(delay)
                g["run_ms"] += run
                g["wait_ms"] += wait
                g["threads"].add(tid)
            else:
                m = idle_re.match(line)
                if not m:
                    continue
                t, cpu = float(m[1]), int(m[2])
                idle_ms += float(m[5])
            first = t if first is None else min(first, t)
            last = t if last is None else max(last, t)
            cpus.add(cpu)
    if first is None:
        sys.exit("no scheduler events in the timehist output")
    span_ms = (last - first) * 1000

    def pick(values, q):
        return round(values[min(len(values) - 1, int(q * len(values)))], 3)

    rows = []
    for (process, role), g in groups.items():
        d = sorted(g["delays"])
        rows.append({"process": process, "role": role, "threads": len(g["threads"]), "runs": len(d),
                     "delay_p50_ms": pick(d, 0.5), "delay_p99_ms": pick(d, 0.99), "delay_max_ms": round(d[-1], 3),
                     "delay_total_ms": round(sum(d), 1), "run_ms": round(g["run_ms"], 1), "off_cpu_ms": round(g["wait_ms"], 1)})
    rows.sort(key=lambda r: (r["process"] == "other", r["process"], -r["run_ms"]))
    result = {"span_s": round(span_ms / 1000, 2), "cpus": len(cpus),
              "cores_busy": round(1 - idle_ms / (span_ms * max(1, len(cpus))), 3) if span_ms else None, "threads": rows}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"{result['span_s']} s on {result['cpus']} cores, busy {result['cores_busy']:.1%}")
    print("| process | thread role | threads | runs | wait for a core p50 / p99 / max ms | waited in all ms | ran ms | off the CPU ms |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        if r["run_ms"] < 1 and r["process"] == "other":
            continue
        print(f"| {r['process']} | {r['role']} | {r['threads']} | {r['runs']:,} | {r['delay_p50_ms']} / {r['delay_p99_ms']} / "
              f"{r['delay_max_ms']} | {r['delay_total_ms']:,} | {r['run_ms']:,} | {r['off_cpu_ms']:,} |")


def main():
    if sys.argv[1:2] == ["kafka-probe"]:
        return kafka_probe(sys.argv[2:])
    if sys.argv[1:2] == ["share"]:
        return share(sys.argv[2:])
    if sys.argv[1:2] == ["sched"]:
        return sched(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--out")
    args = parser.parse_args()
    folder = args.dir

    phases = {}  # (kind, server, protocol, rate) -> result; rate 0 for idle and latency
    for kind in ("idle", "latency"):
        for server in ("bridge", "python"):
            for protocol in ("ws", "sio"):
                result = load(folder, f"{kind}-{server}-{protocol}")
                if result:
                    phases[(kind, server, protocol, 0)] = result
    steps = []
    for path in glob.glob(os.path.join(folder, "max-*-*-*.json")):
        _, server, protocol, rate = os.path.basename(path)[:-5].split("-")
        result = load(folder, os.path.basename(path)[:-5])
        if result:
            steps.append(((server != "bridge", protocol != "sio", int(rate)), ("max", server, protocol, int(rate)), result))
    for _, key, result in sorted(steps):
        phases[key] = result

    def best_max(server, protocol):
        """The step with the most frames/s among those that delivered everything (else among all)."""
        candidates = [r for k, r in phases.items() if k[:3] == ("max", server, protocol)]
        complete = [r for r in candidates if r["delivery"]["complete"]]
        pool = complete or candidates
        return max(pool, key=lambda r: r["frames"]["per_s"]) if pool else None

    def uptime(name):
        path = os.path.join(folder, name)
        return open(path).read().strip() if os.path.exists(path) else "?"

    print()
    print(f"Bridge fan-out benchmark (issue 4), {os.path.basename(folder.rstrip('/'))}.")
    print(f"Load before: {uptime('uptime-before.txt')}")
    print(f"Load after:  {uptime('uptime-after.txt')}")
    print()
    print("| phase | server | protocol | subscribers | webhooks/s | frames/s offered | **frames/s delivered** | "
          "e2e p50 / p90 / p99 / max ms | delivery |")
    print("|---|---|---|---:|---:|---:|---:|---:|---|")
    notes = []
    for (kind, server, protocol, _), r in phases.items():
        if kind == "idle":
            continue
        s, e, f, l = r["subscribers"], r["events"], r["frames"], r["latency_ms"]
        subs = f"{s['admin']:,} admin + {s['clients']:,} client" if s["clients"] else f"{s['admin']:,} admin"
        print(f"| {kind} | {SERVER[server]} | {PROTOCOL[protocol]} | {subs} | {e['rate']:,.0f} | "
              f"{f['offered_per_s']:,.0f} | **{f['per_s']:,.0f}** | {ms(l['p50'])} / {ms(l['p90'])} / "
              f"{ms(l['p99'])} / {ms(l['max'], 1)} | {delivery_text(r)} |")

    print()
    print("CPU over each measured window, % of one core (200 % is the machine), and the server's CPU "
          "per delivered frame:")
    print()
    print("| phase | server | protocol | webhooks/s | server | Ingest | Tansu | load tool | rest | idle | "
          "server µs/frame | server RSS end of window |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (kind, server, protocol, _), r in phases.items():
        if kind == "idle":
            continue
        c = r["cpu"]
        srv = server_cpu_s(r)
        ours = srv + sum(max(0.0, c.get(k, 0.0)) for k in ("ingest_s", "tansu_s", "load_generator_s"))
        rest = max(0.0, c["machine_busy_s"] - ours)
        idle = c["machine_total_s"] - c["machine_busy_s"]
        frames = r["frames"]["delivered_in_window"]
        per = 1e6 * srv / frames if frames else float("nan")
        print(f"| {kind} | {SERVER[server]} | {PROTOCOL[protocol]} | {r['events']['rate']:,.0f} | {pct(r, srv):.0f} % | "
              f"{pct(r, c.get('ingest_s', -1)):.0f} % | {pct(r, c.get('tansu_s', -1)):.0f} % | "
              f"{pct(r, c['load_generator_s']):.0f} % | {pct(r, rest):.0f} % | {pct(r, idle):.0f} % | {per:.2f} | "
              f"{rss_kb(r, 'end') / 1024:,.0f} MiB |")

    print()
    print("Memory of the server (RSS, all its processes) with idle subscribers:")
    print()
    print("| server | protocol | subscribers | connect time | RSS before | RSS connected | per connection |")
    print("|---|---|---:|---:|---:|---:|---:|")
    per_conn = {}
    for (kind, server, protocol, _), r in phases.items():
        if kind != "idle":
            continue
        n = r["subscribers"]["total"]
        before, after = rss_kb(r, "start"), rss_kb(r, "ready")
        kb = (after - before) / n * 1.024 if n else float("nan")  # KiB -> kB
        per_conn[(server, protocol)] = kb
        print(f"| {SERVER[server]} | {PROTOCOL[protocol]} | {n:,} | {r['subscribers']['connect_s']:.1f} s | "
              f"{before / 1024:,.1f} MiB | {after / 1024:,.1f} MiB | **{kb:.2f} kB** |")

    targets = []

    def row(what, measured, ratio, met, note=""):
        targets.append({"target": what, "measured": measured, "ratio": ratio, "met": met, "note": note})

    for protocol in ("sio", "ws"):
        r = best_max("bridge", protocol)
        if r:
            v = r["frames"]["per_s"]
            ok = v >= TARGET_FRAMES_PER_S and r["delivery"]["complete"]
            row(f">= {TARGET_FRAMES_PER_S:,} frames/s delivered ({PROTOCOL[protocol]}, best max step: "
                f"{r['subscribers']['total']:,} x {r['events']['rate']:,.0f}/s offered)", f"{v:,.0f}/s",
                f"{v / TARGET_FRAMES_PER_S:.2f} x target", ok,
                "" if r["delivery"]["complete"] else "delivery incomplete")
    for protocol in ("sio", "ws"):
        r = phases.get(("latency", "bridge", protocol, 0))
        if r:
            v = r["latency_ms"]["p99"]
            s = r["subscribers"]["total"]
            ok = (v is not None and v < TARGET_P99_MS and r["delivery"]["complete"] and r["events"]["rate"] >= TARGET_RATE
                  and s >= TARGET_SUBSCRIBERS and r["events"]["non_202"] == 0 and r["events"]["errors"] == 0)
            row(f"p99 < {TARGET_P99_MS:.0f} ms at {TARGET_RATE:,} events/s, {TARGET_SUBSCRIBERS:,} subscribers "
                f"({PROTOCOL[protocol]})", f"{ms(v)} ms", "-" if v is None else f"{v / TARGET_P99_MS:.2f} x limit", ok)
    for protocol in ("ws", "sio"):
        kb = per_conn.get(("bridge", protocol))
        if kb is not None:
            row(f"<= {TARGET_KB_PER_CONN:.0f} KB per idle connection ({PROTOCOL[protocol]})", f"{kb:.2f} kB",
                f"{kb / TARGET_KB_PER_CONN:.2f} x limit", kb <= TARGET_KB_PER_CONN)
    p = best_max("python", "sio")
    b = phases.get(("max", "bridge", "sio", int(p["events"]["rate"]))) if p else None
    if b and p:
        ratio = b["frames"]["per_s"] / p["frames"]["per_s"] if p["frames"]["per_s"] else float("inf")
        row(f">= {TARGET_RATIO:.0f}x python-socketio's delivered rate (Socket.IO, same subscribers and rate)",
            f"{b['frames']['per_s']:,.0f} / {p['frames']['per_s']:,.0f} frames/s = {ratio:.1f}x",
            f"{ratio / TARGET_RATIO:.2f} x target", ratio >= TARGET_RATIO)
    print()
    print("Where the end-to-end latency goes: Ingest's answer (webhook written -> 202 read; Ingest answers once "
          "Kafka acknowledged, so this is Ingest + produce), and a plain librdkafka consumer of the same topic "
          "(fetch.wait.max.ms as the Bridge's; record timestamp -> consumed, ms clock), next to the "
          "end-to-end figures:")
    print()
    print("| phase | server | protocol | webhooks/s | Ingest answer p50 / p90 / p99 ms | plain consumer: produced -> "
          "consumed p50 / p90 / p99 ms | end-to-end p50 / p90 / p99 ms |")
    print("|---|---|---|---:|---:|---:|---:|")
    for (kind, server, protocol, _), r in phases.items():
        if kind != "latency":
            continue
        a, l = r["events"].get("answer_ms"), r["latency_ms"]
        probe = load(folder, f"probe-{kind}-{server}-{protocol}")
        probe_text = (f"{probe['p50']} / {probe['p90']} / {probe['p99']} ({probe['records']:,} records)"
                      if probe and probe.get("records") else "-")
        if a:
            print(f"| {kind} | {SERVER[server]} | {PROTOCOL[protocol]} | {r['events']['rate']:,.0f} | "
                  f"{a['p50']:.2f} / {a['p90']:.2f} / {a['p99']:.2f} | {probe_text} | "
                  f"{ms(l['p50'])} / {ms(l['p90'])} / {ms(l['p99'])} |")
    bl, pl = phases.get(("latency", "bridge", "sio", 0)), phases.get(("latency", "python", "sio", 0))
    if bl and pl:
        print()
        print(f"Latency phase, same load on both (Socket.IO): Bridge p99 {ms(bl['latency_ms']['p99'])} ms, "
              f"python-socketio p99 {ms(pl['latency_ms']['p99'])} ms; delivered {bl['frames']['per_s']:,.0f} vs "
              f"{pl['frames']['per_s']:,.0f} frames/s of {bl['frames']['offered_per_s']:,.0f} offered.")
    if per_conn.get(("python", "sio")) is not None and per_conn.get(("bridge", "sio")) is not None:
        print(f"Idle memory per connection (Socket.IO): Bridge {per_conn[('bridge', 'sio')]:.2f} kB, "
              f"python-socketio {per_conn[('python', 'sio')]:.2f} kB.")

    shares = sorted((int(os.path.basename(path).split("-")[3]), path)
                    for path in glob.glob(os.path.join(folder, "share-bridge-sio-*-figures.json")))
    if shares:
        print()
        print("The Bridge's own share of the latency (issue 11), per frame: a subscriber's receive time minus a "
              "plain librdkafka consumer's time for the same event, in the same run (Socket.IO, the latency "
              "phase's subscribers); the end-to-end latency of both beside it:")
        print()
        print("Beside it, the same difference between two plain consumers of the broker (the method's floor: what "
              "two consumers differ by with no Bridge in between), and the Bridge's own time per event from its "
              "callbridge_bridge_fanout_seconds histogram (poll thread -> frames written; "
              "Prometheus's estimate, and the bucket bound it is under).")
        print()
        print("| webhooks/s | plain consumer e2e p50 / p99 ms | Bridge e2e p50 / p99 ms | **Bridge's own share** p1 / p50 / "
              "p90 / p99 / max ms | second plain consumer vs first p1 / p50 / p99 ms | Bridge fan-out p50 / p99 ms | frames | delivery |")
        print("|---:|---:|---:|---:|---:|---:|---:|---|")
        for rate, path in shares:
            with open(path) as f:
                measured = json.load(f)
            run = load(folder, f"share-bridge-sio-{rate}")
            o, b, c = measured["own_share_ms"], measured["bridge_e2e_ms"], measured["plain_consumer_e2e_ms"]
            if not (o and b and c):
                print(f"| {rate:,} | - | - | - | - | - | {measured['frames']:,} | no figures |")
                continue
            pp, fo = measured.get("plain_vs_plain_ms"), measured.get("bridge_fanout_ms")
            control = f"{pp['p1']} / {pp['p50']} / {pp['p99']}" if pp else "-"
            fanout = f"{fo['p50']} / {fo['p99']} (≤ {fo['p50_at_most']} / ≤ {fo['p99_at_most']})" if fo else "-"
            print(f"| {rate:,} | {c['p50']} / {c['p99']} | {b['p50']} / {b['p99']} | {o.get('p1', '-')} / **{o['p50']}** / {o['p90']} / "
                  f"**{o['p99']}** / {o['max']} | {control} | {fanout} | {measured['frames']:,} | {delivery_text(run) if run else '-'} |")

    print()
    print("| target | measured | ratio | |")
    print("|---|---:|---:|---|")
    for t in targets:
        note = f" ({t['note']})" if t["note"] else ""
        print(f"| {t['target']} | {t['measured']} | {t['ratio']} | {'met' if t['met'] else '**not met**'}{note} |")

    if args.out:
        with open(args.out, "w") as f:
            json.dump({"phases": {"-".join(str(x) for x in k if x): v for k, v in phases.items()}, "targets": targets,
                       "kb_per_idle_connection": {"-".join(k): v for k, v in per_conn.items()}}, f, indent=1,
                      sort_keys=True)


if __name__ == "__main__":
    sys.exit(main())
