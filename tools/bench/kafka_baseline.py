#!/usr/bin/env python3
"""Baseline for kafka-benchmark: the same two phases with a plain librdkafka client
(confluent-kafka, which bundles its own librdkafka), against the same broker.

  .venv/bin/python tools/bench/kafka_baseline.py --brokers 127.0.0.1:9092 [--json]

throughput: a fresh topic, produce() in a loop with poll(0), then flush(); the time
from the first produce() to the last delivery report gives msg/s and MB/s.
latency: a fresh topic, a consumer thread with every partition assigned at OFFSET_END
(no group, as the Swift wrapper's fan-out mode), confirmed by a warm-up record on every
partition, then records sent at --rate per second for --duration seconds, each carrying
its time.monotonic_ns() send time (CLOCK_MONOTONIC, the clock the Swift benchmark reads);
the consumer computes receive - send. Percentiles are exact (nearest rank over all samples).

The settings are the Swift wrapper's (Sources/KafkaClient/*Configuration.swift):
producer acks=all, enable.idempotence=true, linger.ms=1, message.timeout.ms=15000,
queue.buffering.max.messages=100000; consumer fetch.wait.max.ms=10,
fetch.error.backoff.ms=100, enable.partition.eof=false, no auto commit; both
socket.nagle.disable=true, reconnect.backoff.ms=100, reconnect.backoff.max.ms=1000.
"""

import argparse
import json
import math
import random
import struct
import sys
import threading
import time

from confluent_kafka import OFFSET_END, Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
import confluent_kafka

HEADER = struct.Struct(">QQ")  # send time (CLOCK_MONOTONIC ns), sequence number
WARM_UP = 2**64 - 1


def progress(message):
    print(f"[kafka-baseline] {message}", file=sys.stderr, flush=True)


def connection(brokers):
    return {
        "bootstrap.servers": brokers,
        "client.id": "kafka-baseline",
        "reconnect.backoff.ms": 100,
        "reconnect.backoff.max.ms": 1000,
        "socket.nagle.disable": True,
        "log.connection.close": False,
    }


def producer_config(brokers, on_delivery):
    config = connection(brokers)
    config.update({
        "acks": "all",
        "enable.idempotence": True,
        "message.timeout.ms": 15000,  # the wrapper: half its 30 s delivery timeout per attempt
        "linger.ms": 1,
        "queue.buffering.max.messages": 100000,
        "on_delivery": on_delivery,
    })
    return config


def consumer_config(brokers):
    config = connection(brokers)
    config.update({
        # confluent-kafka insists on a group.id; with assign() and no commits the group is never joined.
        "group.id": "kafka-baseline-unused",
        "fetch.wait.max.ms": 10,
        "fetch.error.backoff.ms": 100,
        "enable.partition.eof": False,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
    })
    return config


def payload(size, sequence, sent_at):
    return HEADER.pack(sent_at, sequence) + b"x" * (size - HEADER.size)


def create_topic(brokers, topic, partitions):
    admin = AdminClient(connection(brokers))
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)],
                                  request_timeout=10, operation_timeout=10)
    futures[topic].result(timeout=15)


class Deliveries:
    def __init__(self):
        self.done = 0
        self.failed = 0
        self.first_error = None

    def __call__(self, error, message):
        self.done += 1
        if error is not None:
            self.failed += 1
            if self.first_error is None:
                self.first_error = error
                progress(f"delivery failed: {error}")


def throughput_phase(brokers, partitions, messages, size):
    topic = f"bench-throughput-{random.getrandbits(32)}"
    create_topic(brokers, topic, partitions)
    deliveries = Deliveries()
    producer = Producer(producer_config(brokers, deliveries))

    # Warm-up (not timed): metadata, connections and the idempotent producer id.
    for partition in range(partitions):
        producer.produce(topic, payload(size, WARM_UP, 0), partition=partition)
    if producer.flush(30) != 0:
        raise RuntimeError("throughput: warm-up records were not acknowledged")
    deliveries.done = 0

    value = payload(size, 0, 0)
    progress(f"throughput: sending {messages} records of {size} B to {topic} ({partitions} partitions)")
    produce, poll = producer.produce, producer.poll
    start = time.monotonic_ns()
    next_report = start + 1_000_000_000
    for index in range(messages):
        while True:
            try:
                produce(topic, value)
                break
            except BufferError:  # queue.buffering.max.messages reached: wait for reports
                poll(0.01)
        poll(0)
        if (index & 0x3FFF) == 0 and time.monotonic_ns() >= next_report:
            next_report += 1_000_000_000
            progress(f"throughput: {deliveries.done} / {messages} acknowledged")
    remaining = producer.flush(60)
    elapsed = (time.monotonic_ns() - start) / 1e9
    if remaining != 0 or deliveries.done != messages:
        raise RuntimeError(f"throughput: {deliveries.done} of {messages} reported, {remaining} outstanding")
    result = {
        "messages": messages,
        "message_size": size,
        "window": 100000,
        "batch_size": 1,
        "seconds": elapsed,
        "msgs_per_sec": messages / elapsed,
        "mb_per_sec": messages * size / elapsed / 1e6,
        "failed": deliveries.failed,
    }
    progress(f"throughput: {messages} records in {elapsed:.3f} s = {result['msgs_per_sec']:.0f} msg/s")
    return result


def percentile(sorted_values, p):
    if not sorted_values:
        return 0
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_phase(brokers, partitions, size, rate, duration):
    topic = f"bench-latency-{random.getrandbits(32)}"
    create_topic(brokers, topic, partitions)
    expected = int(round(rate * duration))

    consumer = Consumer(consumer_config(brokers))
    consumer.assign([TopicPartition(topic, p, OFFSET_END) for p in range(partitions)])
    warmed = set()
    latencies_ns = []
    stop = threading.Event()
    lock = threading.Lock()

    def receive():
        while not stop.is_set() and len(latencies_ns) < expected:
            message = consumer.poll(0.1)
            if message is None:
                continue
            now = time.monotonic_ns()
            if message.error():
                progress(f"consumer error: {message.error()}")
                continue
            sent_at, sequence = HEADER.unpack_from(message.value())
            if sequence == WARM_UP:
                with lock:
                    warmed.add(message.partition())
                continue
            latencies_ns.append(now - sent_at)

    receiver = threading.Thread(target=receive, name="consumer", daemon=True)
    receiver.start()

    deliveries = Deliveries()
    producer = Producer(producer_config(brokers, deliveries))
    progress(f"latency: waiting for the consumer's assignment of {topic}")
    deadline = time.monotonic() + 30
    while True:
        with lock:
            missing = [p for p in range(partitions) if p not in warmed]
        if not missing:
            break
        if time.monotonic() > deadline:
            stop.set()
            raise RuntimeError(f"latency: the consumer was not assigned every partition of {topic} within 30 s")
        for partition in missing:
            producer.produce(topic, payload(size, WARM_UP, 0), partition=partition)
        producer.flush(10)
        time.sleep(0.2)

    progress(f"latency: sending {expected} records at {rate}/s for {duration} s")
    interval_ns = 1e9 / rate
    filler = b"x" * (size - HEADER.size)
    pack = HEADER.pack
    produce, poll = producer.produce, producer.poll
    start = time.monotonic_ns() + 5_000_000
    next_report = start + 1_000_000_000
    first_send = last_send = None
    for index in range(expected):
        due = start + int(round(index * interval_ns))
        now = time.monotonic_ns()
        if now < due:
            time.sleep((due - now) / 1e9)
        sent_at = time.monotonic_ns()
        produce(topic, pack(sent_at, index) + filler)
        poll(0)
        if first_send is None:
            first_send = sent_at
        last_send = sent_at
        if sent_at >= next_report:
            next_report += 1_000_000_000
            progress(f"latency: {index + 1} sent, {len(latencies_ns)} received")
    producer.flush(30)

    receiver.join(timeout=10)
    if receiver.is_alive():
        progress(f"latency: timed out waiting for records ({len(latencies_ns)} of {expected} received)")
        stop.set()
        receiver.join()
    consumer.close()

    values = sorted(latencies_ns)
    ms = lambda ns: ns / 1e6
    result = {
        "rate": rate,
        "duration": duration,
        "sent": expected,
        "received": len(values),
        "achieved_rate": (expected - 1) / ((last_send - first_send) / 1e9) if expected > 1 else rate,
        "p50_ms": ms(percentile(values, 50)),
        "p90_ms": ms(percentile(values, 90)),
        "p99_ms": ms(percentile(values, 99)),
        "max_ms": ms(values[-1]) if values else 0.0,
        "mean_ms": ms(sum(values) / len(values)) if values else 0.0,
    }
    progress(f"latency: {result['received']} / {expected} received, p50 {result['p50_ms']:.3f} ms, "
             f"p99 {result['p99_ms']:.3f} ms")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--brokers", required=True, help="bootstrap servers, host:port")
    parser.add_argument("--messages", type=int, default=200_000, help="records in the throughput phase")
    parser.add_argument("--message-size", type=int, default=200, help="record value size in bytes")
    parser.add_argument("--rate", type=float, default=1000, help="latency phase: records per second")
    parser.add_argument("--duration", type=float, default=10, help="latency phase: seconds of paced sending")
    parser.add_argument("--partitions", type=int, default=6, help="partitions of each benchmark topic")
    parser.add_argument("--phase", choices=["all", "throughput", "latency"], default="all")
    parser.add_argument("--json", action="store_true", help="print one JSON object with the results on stdout")
    args = parser.parse_args()
    if args.message_size < HEADER.size:
        parser.error(f"--message-size must be at least {HEADER.size}")

    results = {
        "client": "confluent-kafka",
        "brokers": args.brokers,
        "librdkafka": confluent_kafka.libversion()[0],
        "confluent_kafka": getattr(confluent_kafka, "__version__", None) or str(confluent_kafka.version()),
    }
    if args.phase != "latency":
        results["throughput"] = throughput_phase(args.brokers, args.partitions, args.messages, args.message_size)
    if args.phase != "throughput":
        results["latency"] = latency_phase(args.brokers, args.partitions, args.message_size, args.rate, args.duration)

    if args.json:
        print(json.dumps(results, sort_keys=True))
    else:
        print(f"client: confluent-kafka {results['confluent_kafka']} (librdkafka {results['librdkafka']}, brokers {args.brokers})")
        if "throughput" in results:
            t = results["throughput"]
            print(f"throughput: {t['messages']} x {t['message_size']} B in {t['seconds']:.3f} s = "
                  f"{t['msgs_per_sec']:.0f} msg/s, {t['mb_per_sec']:.2f} MB/s ({t['failed']} failed)")
        if "latency" in results:
            l = results["latency"]
            print(f"latency: {l['sent']} sent at {l['rate']:.0f}/s (achieved {l['achieved_rate']:.1f}/s), "
                  f"{l['received']} received: p50 {l['p50_ms']:.3f} ms, p90 {l['p90_ms']:.3f} ms, "
                  f"p99 {l['p99_ms']:.3f} ms, max {l['max_ms']:.3f} ms, mean {l['mean_ms']:.3f} ms")
    if "throughput" in results and results["throughput"]["failed"] > 0:
        progress(f"throughput phase: {results['throughput']['failed']} deliveries failed")
        sys.exit(1)
    if "latency" in results and results["latency"]["received"] != results["latency"]["sent"]:
        progress(f"latency phase: {results['latency']['sent']} sent but {results['latency']['received']} received")
        sys.exit(1)


if __name__ == "__main__":
    try:
        main()
    except KafkaException as error:
        progress(f"failed: {error}")
        sys.exit(1)
