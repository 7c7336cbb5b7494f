#!/usr/bin/env python3
"""Calls and minutes per client per hour, read from CallBridge's Kafka topic.

A downstream analytics consumer of `calls.lifecycle.v1` (docs/analytics.md): it reads the
topic with a consumer group of its own, drops duplicate events by their CloudEvent `id`,
merges the events of each call, and prints one row per hour (UTC) and client:

    hour (UTC)         client  calls  ended  minutes  callers
    2026-01-27T16:00Z  acme        2      2    11.32        1

- a call is counted in the hour it started: `data.startedAt` when any of its events carries
  it, else the `time` of its `call.started`, else the `time` of its `call.ended`;
- `calls`: distinct calls (provider + `data.callId`) that started in that hour, ended or not;
- `ended`: those of them with a `call.ended`;
- `minutes`: the sum of their `data.durationSeconds` (else `endedAt` - `startedAt`) / 60;
- `callers`: distinct `data.callerHash` values among those calls (the hash of the `from`
  number; phone numbers are never on the topic).

Where it starts reading: by default where the group left off (its committed offsets), and
from the start of partitions the group has never committed; `--from-beginning` reads every
partition from its start whatever the group committed (a full recount). Offsets are
committed once the report is printed. The report covers what this run read: the tallies are
kept in memory, not between runs.

It stops after `--idle-exit SECONDS` without a new record (once partitions are assigned), or
on Ctrl-C / SIGTERM, then prints the report. A summary goes to standard error.

Needs confluent-kafka (tools/requirements.txt):

    .venv/bin/python examples/analytics/calls_per_client_hour.py --brokers 127.0.0.1:9092 \\
        --group analytics-demo --from-beginning --idle-exit 5
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

EVENT_MEDIA_TYPE = "application/cloudevents+json"
CALL_EVENT_TYPES = ("call.started", "call.ended")
# Partitions must be assigned within this long, or the run gives up (exit status 1).
JOIN_TIMEOUT_SECONDS = 60.0


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="calls_per_client_hour.py",
        description="Calls and minutes per client per hour (UTC), from CallBridge's call lifecycle "
                    "topic, read with a consumer group of its own; duplicate events are dropped by id.",
        epilog="Exit status: 0 after the report, 1 when no partition was assigned within "
               f"{JOIN_TIMEOUT_SECONDS:.0f} s or the consumer failed, 2 for bad arguments. "
               "See docs/analytics.md.",
    )
    parser.add_argument("--brokers", default="127.0.0.1:9092", help="Kafka bootstrap servers (default: %(default)s)")
    parser.add_argument("--topic", default="calls.lifecycle.v1", help="topic of call events (default: %(default)s)")
    parser.add_argument("--group", default="analytics-calls-per-client-hour",
                        help="this consumer's own group id, shared with no other application (default: %(default)s)")
    parser.add_argument("--from-beginning", action="store_true",
                        help="read every partition from its start, whatever the group committed (a full recount); "
                             "without it, continue where the group left off")
    parser.add_argument("--idle-exit", type=float, metavar="SECONDS",
                        help="print the report and exit after SECONDS without a new record, counted from the "
                             "partitions' assignment (default: run until Ctrl-C or SIGTERM)")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON document instead of a table")
    parser.add_argument("-X", "--config", action="append", default=[], metavar="KEY=VALUE",
                        help="extra librdkafka consumer property, repeatable (e.g. security.protocol=SASL_SSL)")
    arguments = parser.parse_args(argv)
    if arguments.idle_exit is not None and arguments.idle_exit <= 0:
        parser.error("--idle-exit must be a positive number of seconds")
    for item in arguments.config:
        if "=" not in item or item.startswith("="):
            parser.error(f"--config expects KEY=VALUE, not {item!r}")
    return arguments


def parse_time(text) -> datetime | None:
    """A contract timestamp (`2026-01-27T16:13:00.000Z`), or None when absent or unreadable."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass
class Call:
    """What the events of one call say; the first value given for a field wins, later
    events only fill what is missing (as the Bridge merges them)."""

    client_id: str
    started_event_time: datetime | None = None
    ended_event_time: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_seconds: int | None = None
    caller_hash: str | None = None
    ended: bool = False

    def add(self, event_type: str, time_: datetime | None, data: dict) -> None:
        if event_type == "call.started":
            self.started_event_time = self.started_event_time or time_
        else:
            self.ended = True
            self.ended_event_time = self.ended_event_time or time_
        self.started_at = self.started_at or parse_time(data.get("startedAt"))
        self.ended_at = self.ended_at or parse_time(data.get("endedAt"))
        duration = data.get("durationSeconds")
        if self.duration_seconds is None and isinstance(duration, int) and not isinstance(duration, bool) and duration >= 0:
            self.duration_seconds = duration
        caller_hash = data.get("callerHash")
        if self.caller_hash is None and isinstance(caller_hash, str):
            self.caller_hash = caller_hash

    def start(self) -> datetime | None:
        return self.started_at or self.started_event_time or self.ended_event_time

    def seconds(self) -> int:
        if not self.ended:
            return 0
        if self.duration_seconds is not None:
            return self.duration_seconds
        if self.started_at and self.ended_at and self.ended_at >= self.started_at:
            return int((self.ended_at - self.started_at) // timedelta(seconds=1))
        return 0


@dataclass
class Tally:
    records: int = 0
    events: int = 0
    duplicates: int = 0
    skipped: int = 0
    seen_ids: set = field(default_factory=set)
    calls: dict = field(default_factory=dict)

    def add(self, headers, value: bytes | None) -> None:
        """One record of the topic: skipped unless it is a call event, dropped if its id was seen."""
        self.records += 1
        content_types = [v for k, v in (headers or []) if k == "content-type"]
        if content_types != [EVENT_MEDIA_TYPE.encode()] or value is None:
            self.skipped += 1  # not a CloudEvent of this topic's producer
            return
        try:
            event = json.loads(value)
        except ValueError:
            self.skipped += 1
            return
        data = event.get("data") if isinstance(event, dict) else None
        if (not isinstance(data, dict) or event.get("specversion") != "1.0"
                or event.get("type") not in CALL_EVENT_TYPES or not isinstance(event.get("id"), str)):
            self.skipped += 1  # another kind of event: a tolerant reader ignores it
            return
        call_id, client_id, provider = data.get("callId"), data.get("clientId"), data.get("provider")
        if not all(isinstance(x, str) and x for x in (call_id, client_id, provider)):
            self.skipped += 1
            return
        if event["id"] in self.seen_ids:
            self.duplicates += 1  # a provider's retry, or a record read again after a broker failure
            return
        self.seen_ids.add(event["id"])
        self.events += 1
        call = self.calls.setdefault((provider, call_id), Call(client_id=client_id))
        call.add(event["type"], parse_time(event.get("time")), data)

    def rows(self) -> list[dict]:
        groups: dict[tuple[str, str], dict] = {}
        for call in self.calls.values():
            start = call.start()
            if start is None:
                continue
            hour = start.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:00Z")
            row = groups.setdefault((hour, call.client_id), {
                "hour": hour, "clientId": call.client_id, "calls": 0, "ended": 0, "seconds": 0, "callers": set(),
            })
            row["calls"] += 1
            row["ended"] += 1 if call.ended else 0
            row["seconds"] += call.seconds()
            if call.caller_hash:
                row["callers"].add(call.caller_hash)
        rows = []
        for key in sorted(groups):
            row = groups[key]
            rows.append({
                "hour": row["hour"], "clientId": row["clientId"], "calls": row["calls"], "ended": row["ended"],
                "seconds": row["seconds"], "minutes": round(row["seconds"] / 60, 2), "callers": len(row["callers"]),
            })
        return rows


def print_report(tally: Tally, as_json: bool) -> None:
    rows = tally.rows()
    if as_json:
        print(json.dumps({
            "rows": rows, "records": tally.records, "events": tally.events,
            "duplicates": tally.duplicates, "skipped": tally.skipped,
        }, indent=2))
        return
    width = max([len("client")] + [len(row["clientId"]) for row in rows])
    print(f"{'hour (UTC)':<17}  {'client':<{width}}  {'calls':>5}  {'ended':>5}  {'minutes':>8}  {'callers':>7}")
    for row in rows:
        print(f"{row['hour']:<17}  {row['clientId']:<{width}}  {row['calls']:>5}  {row['ended']:>5}  "
              f"{row['seconds'] / 60:>8.2f}  {row['callers']:>7}")


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    # Imported after the arguments, so --help works without the package.
    from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException

    settings = {
        "bootstrap.servers": arguments.brokers,
        "group.id": arguments.group,
        # Partitions this group never committed are read from their start.
        "auto.offset.reset": "earliest",
        # Offsets are committed after the report is printed, not while reading.
        "enable.auto.commit": False,
        # Apache Kafka accepts 6 s (its minimum by default); the embedded broker (Tansu)
        # answers a JoinGroup only after half of it, so librdkafka's 45 s default would
        # make every start wait 22 s there.
        "session.timeout.ms": 6000,
    }
    for item in arguments.config:
        key, value = item.split("=", 1)
        settings[key.strip()] = value

    stopping = False

    def stop(signum, frame):  # noqa: ARG001 - signal handler signature
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    tally = Tally()
    started = time.monotonic()
    assigned_at: float | None = None
    last_record = started
    rewound: set[int] = set()

    def on_assign(consumer, partitions):
        nonlocal assigned_at, last_record
        if arguments.from_beginning:
            # Each partition once: a later rebalance continues where this run is.
            for partition in partitions:
                if partition.partition not in rewound:
                    partition.offset = OFFSET_BEGINNING
                    rewound.add(partition.partition)
            consumer.assign(partitions)
        assigned_at = last_record = time.monotonic()

    consumer = Consumer(settings)
    status = 0
    try:
        consumer.subscribe([arguments.topic], on_assign=on_assign)
        while not stopping:
            message = consumer.poll(0.2)
            now = time.monotonic()
            if message is None or message.error() is not None:
                if arguments.idle_exit is not None and assigned_at is not None and now - last_record >= arguments.idle_exit:
                    break
                if assigned_at is None and now - started >= JOIN_TIMEOUT_SECONDS:
                    print(f"error: no partition of {arguments.topic} was assigned within {JOIN_TIMEOUT_SECONDS:.0f} s",
                          file=sys.stderr)
                    status = 1
                    break
            if message is None:
                continue
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    continue
                if error.fatal():
                    raise KafkaException(error)
                print(f"warning: {error.str()}", file=sys.stderr)
                continue
            last_record = now
            tally.add(message.headers(), message.value())

        if status:
            return status
        print_report(tally, arguments.json)
        sys.stdout.flush()
        print(f"read {tally.records} records: {tally.events} events, {tally.duplicates} duplicates dropped, "
              f"{tally.skipped} skipped (not call events)", file=sys.stderr)
        try:
            consumer.commit(asynchronous=False)
        except KafkaException as error:
            if error.args[0].code() != KafkaError._NO_OFFSET:  # nothing read: nothing to commit
                raise
    except KafkaException as error:
        print(f"error: {error}", file=sys.stderr)
        status = 1
    finally:
        consumer.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
