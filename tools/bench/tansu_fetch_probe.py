#!/usr/bin/env python3
"""How the embedded broker (Tansu, in-memory engine) serves fetches as a topic grows.

  .venv/bin/python tools/bench/tansu_fetch_probe.py [--partitions 6,24,48] [--fetch-wait-ms 5,10]
      [--rate 1000] [--seconds 20] [--window 5] [--idle-seconds 10] [--tansu .venv/bin/tansu]

For every (partitions, fetch wait) pair, a fresh Tansu on a free port and a fresh topic:
  idle: one consumer (every partition assigned, no group, as the Bridge's) and no records for
        --idle-seconds: Tansu's CPU for fetches alone;
  load: records of about one call event (600 bytes) produced at --rate per second for
        --seconds (acks=all, idempotent, linger.ms=1: Ingest's producer settings), each
        carrying its CLOCK_MONOTONIC send time; the consumer computes receive - send.
        Latency p50/p99/max and Tansu's CPU are printed per --window seconds, so the
        growth with the topic's length shows.
The clients are confluent-kafka (librdkafka). Percentiles are nearest rank over all samples.
Tansu 0.6's in-memory engine answers a fetch that has data by listing every stored batch of
the partition (tansu-storage/src/dynostore.rs, `fetch`), so its fetch cost grows with the
batches stored per partition; this tool measures what that means here.
"""

import argparse
import os
import socket
import struct
import subprocess
import sys
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition

TOPIC = "fetch-probe"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nearest_rank(values, fraction):
    return values[min(len(values) - 1, max(0, int(round(fraction * len(values))) - 1))]


class Broker:
    """A Tansu process on a free loopback port, stopped on exit."""

    def __init__(self, tansu):
        self.tansu = tansu
        self.port = free_port()
        url = f"tcp://127.0.0.1:{self.port}"
        self.process = subprocess.Popen([tansu, "broker", "--listener-url", url, "--advertised-listener-url", url],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.bootstrap = f"127.0.0.1:{self.port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"tansu did not start on port {self.port}")
                time.sleep(0.05)

    def create_topic(self, partitions):
        subprocess.run([self.tansu, "topic", "create", TOPIC, "--partitions", str(partitions),
                        "--broker", f"tcp://{self.bootstrap}"], check=True, capture_output=True)

    def cpu(self):
        return cpu_seconds(self.process.pid)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def consumer_for(bootstrap, partitions, fetch_wait_ms):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "fetch-probe", "enable.auto.commit": False,
                         "fetch.wait.max.ms": fetch_wait_ms, "socket.nagle.disable": True})
    consumer.assign([TopicPartition(TOPIC, p, -1) for p in range(partitions)])  # from the end
    return consumer


def run_pair(args, partitions, fetch_wait_ms):
    broker = Broker(args.tansu)
    try:
        broker.create_topic(partitions)
        consumer = consumer_for(broker.bootstrap, partitions, fetch_wait_ms)
        consumer.poll(0.5)
        before = broker.cpu()
        started = time.monotonic()
        while time.monotonic() - started < args.idle_seconds:
            consumer.poll(0.1)
        idle_pct = 100 * (broker.cpu() - before) / (time.monotonic() - started)

        producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "enable.idempotence": True,
                             "linger.ms": 1, "socket.nagle.disable": True})
        # The first send waits for the idempotent producer's id; keep it out of the figures.
        producer.produce(TOPIC, b"warm-up")
        producer.flush(15)
        samples = []  # (receive time, latency ms)
        stop = threading.Event()

        def consume():
            while not stop.is_set():
                message = consumer.poll(0.05)
                if message is None or message.error() or len(message.value()) < 8:
                    continue
                now = time.monotonic_ns()
                samples.append((now, (now - struct.unpack_from("<q", message.value())[0]) / 1e6))

        thread = threading.Thread(target=consume)
        thread.start()
        padding = b"." * 592
        windows = []
        start_ns = time.monotonic_ns()
        sent = 0
        window_cpu = broker.cpu()
        next_window = start_ns + args.window * 1_000_000_000
        end_ns = start_ns + args.seconds * 1_000_000_000
        while True:
            now = time.monotonic_ns()
            if now >= next_window:
                cpu = broker.cpu()
                windows.append(100 * (cpu - window_cpu) / args.window)
                window_cpu = cpu
                next_window += args.window * 1_000_000_000
            if now >= end_ns:
                break
            due = start_ns + sent * 1_000_000_000 // args.rate
            if due > now:
                time.sleep((due - now) / 1e9)
                continue
            producer.produce(TOPIC, struct.pack("<q", time.monotonic_ns()) + padding, key=str(sent).encode())
            producer.poll(0)
            sent += 1
        producer.flush(15)
        time.sleep(2)
        stop.set()
        thread.join()
        consumer.close()
        del producer  # disconnects before the broker stops
        print(f"\n{partitions} partitions, fetch wait {fetch_wait_ms} ms: idle consumer, Tansu {idle_pct:.0f} % of a core; "
              f"{args.rate} records/s: {len(samples):,} of {sent:,} received", flush=True)
        print("| window | records stored at its end | p50 ms | p99 ms | max ms | Tansu CPU |")
        print("|---|---:|---:|---:|---:|---:|")
        for index, tansu_pct in enumerate(windows):
            low = start_ns + index * args.window * 1_000_000_000
            high = low + args.window * 1_000_000_000
            values = sorted(latency for at, latency in samples if low <= at < high)
            if not values:
                continue
            print(f"| {index * args.window}-{(index + 1) * args.window} s | {min(sent, (index + 1) * args.window * args.rate):,} "
                  f"| {nearest_rank(values, 0.5):.1f} | {nearest_rank(values, 0.99):.1f} | {values[-1]:.1f} | {tansu_pct:.0f} % |")
    finally:
        broker.stop()


def numbers(text):
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("values must be positive")
    return values


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser.add_argument("--tansu", default=os.path.join(root, ".venv", "bin", "tansu"))
    parser.add_argument("--partitions", type=numbers, default=[6, 24, 48])
    parser.add_argument("--fetch-wait-ms", type=numbers, default=[5, 10])
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--idle-seconds", type=int, default=10)
    args = parser.parse_args()
    if not os.access(args.tansu, os.X_OK):
        parser.error(f"no tansu binary at {args.tansu} (run scripts/setup.sh)")
    if min(args.rate, args.seconds, args.window) < 1 or args.idle_seconds < 0:
        parser.error("--rate, --seconds and --window must be positive")
    for partitions in args.partitions:
        for fetch_wait_ms in args.fetch_wait_ms:
            run_pair(args, partitions, fetch_wait_ms)


if __name__ == "__main__":
    main()
