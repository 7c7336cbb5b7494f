#!/usr/bin/env python3
"""Compares kafka-benchmark --json results with kafka_baseline.py --json results.

  kafka_compare.py [--swift-librdkafka VERSION] [--batch SWIFT_BATCH.json ...] SWIFT_1.json BASELINE_1.json [...]

Prints one table row per client and round, the median over the rounds (when there is
more than one), then the ratios of the medians against the targets of issue 2:
Swift throughput >= 70 % of the baseline's, Swift p50 latency <= 1.5 x the baseline's.
--batch adds throughput-only results of kafka-benchmark --batch-size N (send(contentsOf:))
as an extra row; the targets apply to the per-record send(_:) figures.
"""

import argparse
import json
import statistics

THROUGHPUT_TARGET = 0.70
P50_TARGET = 1.50


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--swift-librdkafka", default="?", help="librdkafka version the Swift wrapper links")
    parser.add_argument("--batch", action="append", default=[], help="kafka-benchmark --batch-size result (throughput only)")
    parser.add_argument("files", nargs="+", help="pairs of result files: Swift, baseline")
    args = parser.parse_args()
    if len(args.files) % 2:
        parser.error("give the result files in pairs: Swift, baseline")
    load = lambda path: json.load(open(path))
    pairs = [(load(s), load(b)) for s, b in zip(args.files[0::2], args.files[1::2])]
    batches = [load(path) for path in args.batch]

    base0 = pairs[0][1]
    names = (
        f"Swift wrapper (librdkafka {args.swift_librdkafka})",
        f"confluent-kafka {base0.get('confluent_kafka', '?')} (librdkafka {base0.get('librdkafka', '?')})",
    )
    suffix = len(", median")
    width = max(max(len(n) for n in names), len("Swift wrapper, send(contentsOf:) x 1000")) + max(suffix, len(f", r{len(pairs)}"))
    rule = f"{'-' * width}-|-{'-' * 13}-|-{'-' * 6}-|-{'-' * 7}-|-{'-' * 7}-|-{'-' * 7}-|-{'-' * 7}-|-{'-' * 11}"

    def row(label, messages_per_second, megabytes_per_second, latency):
        return (f"{label:<{width}} | {messages_per_second:>13,.0f} | {megabytes_per_second:>6.1f} | "
                f"{latency['p50_ms']:>7.3f} | {latency['p90_ms']:>7.3f} | {latency['p99_ms']:>7.3f} | "
                f"{latency['max_ms']:>7.3f} | {latency['received']}/{latency['sent']}")

    print()
    print(f"{'client':<{width}} | {'produce msg/s':>13} | {'MB/s':>6} | {'p50 ms':>7} | {'p90 ms':>7} | "
          f"{'p99 ms':>7} | {'max ms':>7} | received")
    print(rule)
    for index, pair in enumerate(pairs, 1):
        for name, result in zip(names, pair):
            t = result["throughput"]
            print(row(f"{name}, r{index}", t["msgs_per_sec"], t["mb_per_sec"], result["latency"]))

    def median(side, phase, field):
        return statistics.median(pair[side][phase][field] for pair in pairs)

    if len(pairs) > 1:
        print(rule)
        for side, name in enumerate(names):
            latency = {f: median(side, "latency", f) for f in ("p50_ms", "p90_ms", "p99_ms", "max_ms")}
            latency["received"] = sum(pair[side]["latency"]["received"] for pair in pairs)
            latency["sent"] = sum(pair[side]["latency"]["sent"] for pair in pairs)
            print(row(f"{name}, median", median(side, "throughput", "msgs_per_sec"),
                      median(side, "throughput", "mb_per_sec"), latency))

    if batches:
        size = batches[0]["throughput"].get("batch_size", "?")
        name = f"Swift wrapper, send(contentsOf:) x {size}"
        values = [b["throughput"]["msgs_per_sec"] for b in batches]
        mbs = [b["throughput"]["mb_per_sec"] for b in batches]
        print(rule)
        for index, batch in enumerate(batches, 1):
            t = batch["throughput"]
            print(f"{name + f', r{index}':<{width}} | {t['msgs_per_sec']:>13,.0f} | {t['mb_per_sec']:>6.1f} | (throughput only)")
        if len(batches) > 1:
            print(f"{name + ', median':<{width}} | {statistics.median(values):>13,.0f} | {statistics.median(mbs):>6.1f} |")

    throughput_ratio = median(0, "throughput", "msgs_per_sec") / median(1, "throughput", "msgs_per_sec")
    p50_ratio = median(0, "latency", "p50_ms") / median(1, "latency", "p50_ms")
    p99_ratio = median(0, "latency", "p99_ms") / median(1, "latency", "p99_ms")
    basis = f"medians over {len(pairs)} rounds" if len(pairs) > 1 else "1 round"
    swift = pairs[0][0]
    print()
    print(f"throughput:  Swift / baseline = {throughput_ratio:.2f} (target >= {THROUGHPUT_TARGET:.2f}): "
          f"{'met' if throughput_ratio >= THROUGHPUT_TARGET else 'NOT met'}")
    print(f"p50 latency: Swift / baseline = {p50_ratio:.2f} (target <= {P50_TARGET:.2f}): "
          f"{'met' if p50_ratio <= P50_TARGET else 'NOT met'}")
    print(f"p99 latency: Swift / baseline = {p99_ratio:.2f} (no target)")
    if batches:
        batch_ratio = statistics.median(b["throughput"]["msgs_per_sec"] for b in batches) / median(1, "throughput", "msgs_per_sec")
        print(f"throughput with send(contentsOf:): Swift / baseline = {batch_ratio:.2f} (for information)")
    print(f"({basis}; throughput {swift['throughput']['messages']} x {swift['throughput']['message_size']} B, "
          f"acks=all; latency {swift['latency']['sent']} records at {swift['latency']['rate']:.0f}/s)")


if __name__ == "__main__":
    main()
