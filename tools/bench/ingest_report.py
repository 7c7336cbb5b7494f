#!/usr/bin/env python3
"""Report of the Ingest load benchmark (scripts/bench-ingest.sh), and a topic helper.

  ingest_report.py count --brokers HOST:PORT --topic calls.lifecycle.v1 --prefix P [--prefix Q] [--timeout S]
      reads the whole topic and prints, as JSON, the records and distinct callIds whose
      callId starts with each prefix (the high watermarks Tansu reports lag behind by a few
      records, so the records are read rather than counted from offsets); gives up after
      --timeout seconds (60) with "complete": false, as reading a large backlog back from
      Tansu can be slow (see "Ingest (issue 3)" in docs/benchmarks.md)
  ingest_report.py procs
      prints, as JSON, the CPU seconds used so far by every process (/proc/PID/stat)
  ingest_report.py summary --max MAX.json --rate RATE.json --swift S.json --swift-window SW.json
                           --baseline B.json [--healthz H.json] [--records COUNT.json]
                           [--procs BEFORE.json AFTER.json ...] [--metrics BEFORE AFTER ...]
                           [--trace RATE-TRACE.csv]
                           [--out SUMMARY.json]
      prints the table and the ratios to the targets of issue 3:
      >= 20,000 webhooks/s accepted (202 after Kafka's acknowledgement); p99 < 20 ms at 5,000/s

MAX/RATE/H are ingest_load.c outputs; S/SW are kafka-benchmark --json outputs (window 20,000
and the Ingest phase's connection count); B is kafka_baseline.py --json output.
"""

import argparse
import json
import os
import sys
import time

TARGET_ACCEPTED_PER_S = 20_000
TARGET_P99_MS = 20.0
TARGET_RATE = 5_000


def count(args):
    from confluent_kafka import Consumer, KafkaError, TopicPartition

    # librdkafka's default fetch.wait.max.ms (500). With 10 ms (the project's consumers'
    # setting) Tansu answered each fetch of a large backlog with almost nothing: 5,873
    # records in 120 s, against 439,356 in 6 s with the default.
    consumer = Consumer({"bootstrap.servers": args.brokers, "group.id": "ingest-bench-count",
                         "enable.auto.commit": False, "enable.partition.eof": True})
    counts = {prefix: {"records": 0, "callIds": set()} for prefix in args.prefix}
    total = 0
    started = time.monotonic()
    complete = True
    try:
        topic = consumer.list_topics(args.topic, timeout=10).topics.get(args.topic)
        partitions = sorted(topic.partitions) if topic is not None and topic.error is None else []
        consumer.assign([TopicPartition(args.topic, p, 0) for p in partitions])
        done = set()
        while len(done) < len(partitions):
            if time.monotonic() - started > args.timeout:
                complete = False
                break
            message = consumer.poll(1)
            if message is None:
                continue
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    done.add(message.partition())
                    continue
                raise SystemExit(f"reading {args.topic}: {message.error()}")
            total += 1
            call_id = json.loads(message.value())["data"]["callId"]
            for prefix, entry in counts.items():
                if call_id.startswith(prefix):
                    entry["records"] += 1
                    entry["callIds"].add(call_id)
    finally:
        consumer.close()
    print(json.dumps({"topic": args.topic, "records": total, "complete": complete,
                      "seconds": round(time.monotonic() - started, 1),
                      "prefixes": {p: {"records": e["records"], "distinct_call_ids": len(e["callIds"])}
                                   for p, e in counts.items()}}))


def procs(_args):
    ticks = os.sysconf("SC_CLK_TCK")
    result = {"time": time.monotonic(), "procs": {}}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = open(f"/proc/{entry}/stat").read()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        result["procs"][entry] = [name, (int(fields[11]) + int(fields[12])) / ticks]
    print(json.dumps(result))


def publish_histogram(before_path, after_path):
    """Ingest's own publish-duration histogram (hand-over to Kafka's ack) between two scrapes
    of /metrics: the bucket bounds in ms and the cumulative share of publishes within each."""
    def parse(path):
        buckets = {}
        for line in open(path):
            if line.startswith("callbridge_ingest_publish_duration_seconds_bucket{"):
                bound = line.split('le="', 1)[1].split('"', 1)[0]
                buckets[bound] = float(line.rsplit(" ", 1)[1])
        return buckets
    before, after = parse(before_path), parse(after_path)
    total = after.get("+Inf", 0) - before.get("+Inf", 0)
    rows = []
    for bound, count in after.items():
        share = (count - before.get(bound, 0)) / total if total else 0.0
        rows.append((float("inf") if bound == "+Inf" else float(bound) * 1000, share))
    return total, rows


def slow_stretches(trace_path, threshold_ms=TARGET_P99_MS, slot_ms=100):
    """From the fixed-rate phase's trace: requests slower than the threshold, and in how many
    100 ms slots of scheduled time they fall (a few long stretches mean stalls; many scattered
    slots mean a spread-out tail)."""
    slow, total, slots, stretches, last = 0, 0, set(), [], None
    with open(trace_path) as lines:
        next(lines)
        for line in lines:
            start, latency, _ = line.split(",")
            total += 1
            if float(latency) > threshold_ms:
                slow += 1
                slots.add(int(float(start) // slot_ms))
    for slot in sorted(slots):
        if last is not None and slot == last + 1:
            stretches[-1] += 1
        else:
            stretches.append(1)
        last = slot
    return slow, total, len(slots), sorted(stretches, reverse=True)


def busiest(before, after, ours, limit=6):
    """The processes that used the most CPU between two `procs` snapshots, % of one core."""
    wall = after["time"] - before["time"]
    used = []
    for pid, (name, seconds) in after["procs"].items():
        start = before["procs"].get(pid, [name, 0.0])[1]
        if seconds - start > 0:
            used.append((seconds - start, pid, name))
    used.sort(reverse=True)
    return ", ".join(f"{name}{' (ours)' if pid in ours or name == 'ingest_load' else ''} {100 * delta / wall:.0f} %"
                     for delta, pid, name in used[:limit]), wall


def cpu_row(result):
    cpu = result["cpu"]
    wall = cpu["window_s"]
    pct = lambda seconds: 100.0 * seconds / wall if wall > 0 and seconds >= 0 else float("nan")
    ours = sum(max(0.0, cpu.get(k, 0.0)) for k in ("ingest_s", "tansu_s", "load_generator_s"))
    cores = cpu["machine_total_s"] / wall if wall > 0 else 2
    rest = max(0.0, cpu["machine_busy_s"] - ours)  # can come out slightly negative: clock-tick rounding
    idle = cpu["machine_total_s"] - cpu["machine_busy_s"]
    return (pct(cpu.get("ingest_s", -1)), pct(cpu.get("tansu_s", -1)), pct(cpu["load_generator_s"]), pct(rest),
            pct(idle), cores)


def summary(args):
    load = lambda path: json.load(open(path)) if path else None
    top, paced, swift, swift_window, baseline, healthz = (load(p) for p in (
        args.max, args.rate, args.swift, args.swift_window, args.baseline, args.healthz))

    w1, w2 = top["window"], paced["window"]
    lat1, lat2 = w1["latency_ms"], w2["latency_ms"]
    print()
    print("Ingest load benchmark (issue 3): signed `generic` webhooks over keep-alive HTTP/1.1 connections;")
    print("a 202 is counted only because Ingest answers 202 after Kafka acknowledged the event (acks=all).")
    print()
    print("| phase | result |")
    print("|---|---|")
    print(f"| max throughput: {top['connections']} connections, closed loop, {top['measured_s']:.0f} s after "
          f"{top['warmup_s']:.0f} s warm-up | **{w1['accepted_per_s']:,.0f} accepted/s**; non-202 {w1['non_202']}, "
          f"errors {w1['errors']}, unanswered {w1['unanswered']}; latency p50 {lat1['p50']:.2f} ms, "
          f"p99 {lat1['p99']:.2f} ms |")
    print(f"| fixed rate: {paced['rate']:,.0f}/s, {paced['connections']} connections, open loop, "
          f"{paced['measured_s']:.0f} s after {paced['warmup_s']:.0f} s | **p50 {lat2['p50']:.2f} ms, "
          f"p90 {lat2['p90']:.2f} ms, p99 {lat2['p99']:.2f} ms, max {lat2['max']:.2f} ms**; "
          f"{w2['accepted']:,}/{w2['sent']:,} answered 202, non-202 {w2['non_202']}, errors {w2['errors']}, "
          f"unanswered {w2['unanswered']} |")
    for label, result in (
        (f"raw produce, Swift wrapper (`kafka-benchmark`), {swift['throughput']['window']:,} outstanding", swift),
        (f"raw produce, Swift wrapper, {swift_window['throughput']['window']:,} outstanding (as many as the "
         f"Ingest connections)", swift_window),
        (f"raw produce, confluent-kafka {baseline.get('confluent_kafka', '?')} (`kafka_baseline.py`)", baseline),
    ):
        t = result["throughput"]
        print(f"| {label}: {t['messages']:,} x {t['message_size']} B | {t['msgs_per_sec']:,.0f} msg/s, "
              f"{t['failed']} failed |")
    if healthz:
        wh = healthz["window"]
        print(f"| diagnostic: GET /healthz (HTTP server alone), {healthz['connections']} connections, closed loop | "
              f"{wh['answered_per_s']:,.0f} answers/s, non-200 {wh['answered'] - wh['statuses'].get('200', 0)} |")
    print()
    print("CPU over each measured window, % of one core (the machine has "
          f"{cpu_row(top)[5]:.0f}); 'rest' is everything else that ran (kernel softirq for loopback TCP, "
          "other users):")
    print()
    print("| phase | Ingest | broker (tansu) | load generator | rest | idle | Ingest CPU per answer |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    phases = [("max throughput", top), ("fixed rate", paced)] + ([("GET /healthz", healthz)] if healthz else [])
    for name, result in phases:
        ingest, tansu, generator, rest, idle, _ = cpu_row(result)
        answered = result["window"]["answered"]
        per = 1e6 * result["cpu"].get("ingest_s", 0) / answered if answered else float("nan")
        print(f"| {name} | {ingest:.0f} % | {tansu:.0f} % | {generator:.0f} % | {rest:.0f} % | {idle:.0f} % | "
              f"{per:.0f} µs |")
    if args.procs:
        print()
        print("Busiest processes while each phase ran (warm-up and drain included), % of one core:")
        print()
        names = ["max throughput", "fixed rate"] + (["GET /healthz"] if healthz else [])
        files = list(args.procs)
        for name, (before, after) in zip(names, zip(files[0::2], files[1::2])):
            text, wall = busiest(load(before), load(after), set(args.ours or []))
            print(f"- {name} ({wall:.0f} s): {text}")
    if args.metrics:
        print()
        print("Ingest's own publish duration (`callbridge_ingest_publish_duration_seconds`: send to Kafka's "
              "acknowledgement), share of publishes within each bound, warm-up and drain included:")
        print()
        files = list(args.metrics)
        for name, (before, after) in zip(["max throughput", "fixed rate"], zip(files[0::2], files[1::2])):
            total, rows = publish_histogram(before, after)
            shown = [f"≤ {bound:g} ms {100 * share:.2f} %" for bound, share in rows
                     if bound in (1, 2, 5, 10, 20, 50, 100)]
            print(f"- {name} ({total:,.0f} publishes): " + ", ".join(shown))
    if args.trace:
        slow, total, slots, stretches = slow_stretches(args.trace)
        print()
        if slow:
            longest = ", ".join(f"{n * 100} ms" for n in stretches[:5])
            print(f"Fixed rate: {slow:,} of {total:,} requests took over {TARGET_P99_MS:.0f} ms; they were scheduled in "
                  f"{slots} slots of 100 ms ({slots / 10:.1f} s of the {paced['measured_s']:.0f} s), in {len(stretches)} "
                  f"stretch(es), the longest {longest}.")
        else:
            print(f"Fixed rate: none of the {total:,} requests took over {TARGET_P99_MS:.0f} ms.")
    records = load(args.records) if args.records else None
    lost = False
    if records and not records.get("complete", True):
        print()
        print(f"Not checked that every 202 is on {records['topic']}: reading it back did not finish within "
              f"{records['seconds']:.0f} s ({records['records']:,} records read).")
    elif records:
        print()
        for name, result, prefix in zip(("max throughput", "fixed rate"), (top, paced), args.record_prefixes):
            entry = records["prefixes"][prefix]
            accepted = result["whole_run"]["accepted"]
            expected_distinct = min(result["requests_taken"], result["pool"])
            ok = entry["records"] >= accepted and entry["distinct_call_ids"] >= min(accepted, expected_distinct)
            lost = lost or not ok
            print(f"- {name}: {accepted:,} answered 202 (warm-up and drain included); {entry['records']:,} records "
                  f"of that phase on {records['topic']}, {entry['distinct_call_ids']:,} distinct callIds "
                  f"({'every 202 is on the topic' if ok else 'FEWER RECORDS THAN 202 ANSWERS'})")

    ratio1 = w1["accepted_per_s"] / TARGET_ACCEPTED_PER_S
    met1 = ratio1 >= 1.0 and w1["non_202"] == 0 and w1["errors"] == 0
    clean2 = w2["non_202"] == 0 and w2["errors"] == 0 and w2["unanswered"] == 0 and paced["rate"] >= TARGET_RATE
    met2 = lat2["p99"] < TARGET_P99_MS and clean2
    print()
    print("| target | measured | ratio | |")
    print("|---|---:|---:|---|")
    print(f"| >= {TARGET_ACCEPTED_PER_S:,} webhooks/s accepted with Kafka ack | {w1['accepted_per_s']:,.0f}/s | "
          f"{ratio1:.2f} x target | {'met' if met1 else '**not met**'} |")
    note = "" if clean2 else " (not every request was answered 202)"
    print(f"| p99 < {TARGET_P99_MS:.0f} ms at {TARGET_RATE:,}/s | {lat2['p99']:.2f} ms at {paced['rate']:,.0f}/s | "
          f"{lat2['p99'] / TARGET_P99_MS:.2f} x limit | {'met' if met2 else '**not met**'}{note} |")
    if lost:
        print()
        print("WARNING: fewer records on the topic than 202 answers: an acknowledged webhook is missing.")

    if args.out:
        json.dump({
            "max_throughput": top, "fixed_rate": paced, "produce_swift": swift, "produce_swift_window": swift_window,
            "produce_baseline": baseline, "healthz": healthz, "records": records,
            "targets": {"accepted_per_s": {"target": TARGET_ACCEPTED_PER_S, "measured": w1["accepted_per_s"], "met": met1},
                        "p99_ms_at_5000": {"target": TARGET_P99_MS, "measured": lat2["p99"], "met": met2}},
        }, open(args.out, "w"), indent=1, sort_keys=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    s = commands.add_parser("summary")
    for name in ("max", "rate", "swift", "swift-window", "baseline"):
        s.add_argument(f"--{name}", required=True)
    s.add_argument("--healthz")
    s.add_argument("--records", help="output of `count`")
    s.add_argument("--record-prefixes", nargs=2, metavar=("MAX", "RATE"), help="the callId prefix of each phase")
    s.add_argument("--procs", nargs="+", help="`procs` snapshots: before and after each phase")
    s.add_argument("--ours", nargs="*", help="pids of this benchmark's processes")
    s.add_argument("--metrics", nargs="+", help="Ingest /metrics scrapes: before and after each of the two phases")
    s.add_argument("--trace", help="the fixed-rate phase's --trace file")
    s.add_argument("--out")
    c = commands.add_parser("count")
    c.add_argument("--brokers", required=True)
    c.add_argument("--topic", required=True)
    c.add_argument("--prefix", action="append", required=True)
    c.add_argument("--timeout", type=float, default=60)
    commands.add_parser("procs")
    args = parser.parse_args()
    {"count": count, "procs": procs, "summary": summary}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
