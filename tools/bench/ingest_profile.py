#!/usr/bin/env python3
"""Where Ingest's CPU goes: a breakdown of a `perf record --call-graph dwarf` profile.

  perf script -F comm,tid,ip,sym,dso -i perf.data | swift demangle --simplified | ingest_profile.py

Reads the samples (one stack each), prints the share of samples per thread, then assigns
every sample to ONE category: the first in the list below whose pattern matches a frame of
its stack (so "trimmingCharacters" is counted once, whichever caller it has), and the
share of samples whose innermost frame is in the kernel. Options: --top N also prints the
N hottest innermost frames; --json prints the figures as JSON instead.
"""

import argparse
import collections
import json
import re
import sys

# (label, thread pattern or None, frame pattern or None); first match wins.
CATEGORIES = [
    ("HTTP server: NIO event-loop threads (socket I/O, HTTP/1 parsing, channel handlers)", r"^NIO-", None),
    ("librdkafka threads (batching, broker I/O)", r"^rdk:", None),
    # The poll thread keeps the name of the thread that created it (Foundation's Thread.name
    # set from outside does not rename the OS thread), so it is found by its frames.
    ("Kafka delivery reports (producer poll thread)", None, r"PollThread|pollOnce|rd_kafka_poll"),
    ("Foundation trimmingCharacters (bridged through NSString)", None, r"trimmingCharacters"),
    ("body JSON parse (JSONDecoder into JSONValue)", None, r"JSONObject\.parse"),
    ("signature check, the rest (header split, HMAC-SHA256)", None, r"GenericSignature\.verify|GenericProvider\.authenticate"),
    ("normalization, the rest (field access, dates)", None, r"GenericProvider\.normalize"),
    ("Logger metadata set (StreamLogHandler re-renders it)", None, r"Logger\.subscript\.setter|StreamLogHandler"),
    ("event build (masking, callerHash, event id, JSON encoding)", None, r"makeEvent|CallEvent\.encoded|CallEvent\.encode"),
    ("Kafka send (KafkaProducer.send, rd_kafka_produceva)", None, r"KafkaProducer\.send|CallEventPublisher\.publish|rd_kafka_produce"),
    ("rest of WebhookController", None, r"WebhookController"),
    ("Hummingbird/NIO async plumbing on Swift's cooperative pool", r"default-qos", None),
]


def read_samples(stream):
    samples, frames, comm = [], None, None
    for line in stream:
        line = line.rstrip("\n")
        if not line.strip():
            if frames is not None:
                samples.append((comm, frames))
            frames = None
            continue
        if not line.startswith(("\t", " ")):
            comm = re.sub(r"\s+\d+\s*$", "", line).strip()  # "<comm> <tid>"
            frames = []
            continue
        text = line.strip().split(" ", 1)
        rest = text[1] if len(text) > 1 else "?"
        match = re.match(r"(.*) \(([^()]*)\)$", rest)
        symbol, dso = (match.group(1), match.group(2)) if match else (rest, "")
        frames.append((symbol, dso))
    if frames:
        samples.append((comm, frames))
    return samples


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=0, help="also print the N hottest innermost frames")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    samples = read_samples(sys.stdin)
    total = len(samples)
    if total == 0:
        print("no samples", file=sys.stderr)
        sys.exit(1)

    threads = collections.Counter(re.sub(r"\d+$", "", comm) for comm, _ in samples)
    compiled = [(label, re.compile(t) if t else None, re.compile(f) if f else None) for label, t, f in CATEGORIES]
    shares = collections.Counter()
    kernel = 0
    leaves = collections.Counter()
    for comm, frames in samples:
        if frames and frames[0][1].startswith("[kernel"):
            kernel += 1
        leaves[frames[0][0][:120] if frames else "?"] += 1
        label = "other"
        for name, thread, frame in compiled:
            if thread and not thread.search(comm):
                continue
            if frame and not any(frame.search(symbol) for symbol, _ in frames):
                continue
            label = name
            break
        shares[label] += 1

    pct = lambda n: 100.0 * n / total
    if args.json:
        print(json.dumps({
            "samples": total,
            "threads": {k: round(pct(v), 2) for k, v in threads.most_common()},
            "categories": {name: round(pct(shares[name]), 2) for name, _, _ in CATEGORIES + [("other", None, None)]},
            "kernel_leaf": round(pct(kernel), 2),
        }, indent=1))
        return
    print(f"{total} samples")
    print("by thread:")
    for name, count in threads.most_common():
        print(f"  {pct(count):5.1f} %  {name}")
    print("by category (each sample counted once, first match in this order):")
    for name, _, _ in CATEGORIES + [("other", None, None)]:
        print(f"  {pct(shares[name]):5.1f} %  {name}")
    print(f"innermost frame in the kernel (syscalls, scheduler, TCP): {pct(kernel):.1f} %")
    if args.top:
        print("hottest innermost frames:")
        for name, count in leaves.most_common(args.top):
            print(f"  {pct(count):5.1f} %  {name}")


if __name__ == "__main__":
    main()
