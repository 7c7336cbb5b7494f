"""What the reliability scenarios share: the system under test (real broker, Ingest and
Bridge processes on loopback, started with the system tests' harness), a webhook sender
that behaves like a provider (retries a delivery until 202), dashboard subscribers that
record every frame, and the report each scenario prints.

Each scenario is a program (`python tools/reliability/NAME.py --help`): it starts its own
processes in a temporary folder, injects its fault, checks its invariants, prints its
figures and exits 1 when an invariant does not hold."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "Integration"))

import bridge_clients  # noqa: E402
import harness  # noqa: E402
import signing  # noqa: E402
from conftest import BRIDGE_JWT_SECRET, PUBLIC_BASE_URL, SECRETS, TOPIC  # noqa: E402


def arguments(description: str, quick: dict, full: dict) -> argparse.Namespace:
    """The scenario's options: `--quick` takes the short settings the test command uses;
    every setting can also be given on its own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="short run, as in the README's test command")
    for name, value in full.items():
        parser.add_argument("--" + name.replace("_", "-"), type=type(value), default=None,
                            help=f"default {value} (--quick: {quick[name]})")
    options = parser.parse_args()
    for name, value in full.items():
        if getattr(options, name) is None:
            setattr(options, name, quick[name] if options.quick else value)
    return options


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (the broker launcher and the Tansu it runs)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending.extend(children.get(current, []))
    return tree


def signal_tree(pid: int, signal_number: int) -> None:
    for member in process_tree(pid):
        try:
            os.kill(member, signal_number)
        except ProcessLookupError:
            pass


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def load_tool() -> Path:
    """tools/bench/bridge_load.c (subscribers and webhook senders in C, with latency and
    delivery figures), compiled once into a scratch folder."""
    binary = ROOT / ".build-reliability" / "bridge_load"
    source = ROOT / "tools" / "bench" / "bridge_load.c"
    header = source.with_name("bench_common.h")  # included by the source: a change to it rebuilds too
    if not binary.exists() or binary.stat().st_mtime < max(source.stat().st_mtime, header.stat().st_mtime):
        binary.parent.mkdir(exist_ok=True)
        subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-o", str(binary), str(source), "-lcrypto"], check=True)
    return binary


def run_load(stack: "Stack", *args: str, progress=None, bridges: list | None = None) -> dict:
    """Runs the load tool against the stack's Bridge(s) and Ingest; returns its JSON result.
    `progress(line)` gets each progress line (once a second) as it comes."""
    bridges = bridges or stack.bridges
    env = dict(os.environ, BRIDGE_JWT_SECRET=BRIDGE_JWT_SECRET, GENERIC_WEBHOOK_SECRET=SECRETS["GENERIC_WEBHOOK_SECRET"])
    command = [str(load_tool()), "--port", ",".join(str(b.port) for b in bridges), "--ingest-port", str(stack.ingest.port),
               "--watch", f"bridge={bridges[0].process.popen.pid}", "--watch", f"ingest={stack.ingest.process.popen.pid}", *args]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in process.stderr:
        if progress is not None:
            progress(line.rstrip())
    out = process.stdout.read()
    if process.wait() != 0:
        raise RuntimeError(f"the load tool failed ({process.returncode}): {out[-2000:]}")
    return json.loads(out)


class Stack:
    """A broker, an Ingest and `bridges` Bridges, in a temporary folder; stopped on exit."""

    def __init__(self, bridges: int = 1, bridge_args: list[str] | None = None, partitions: int | None = None,
                 ingest_args: list[str] | None = None):
        self.workdir = Path(tempfile.mkdtemp(prefix="callbridge-reliability-"))
        self.bridge_count = bridges
        self.bridge_args = bridge_args or []
        self.bridges: list[harness.Bridge] = []
        # The calls topic's partition count, given to both services (None: their default).
        self.partition_args = ["--topic-partitions", str(partitions)] if partitions else []
        self.ingest_args = ingest_args or []

    def __enter__(self) -> "Stack":
        self.broker = harness.Broker(self.workdir).start()
        self.ingest = harness.Ingest(self.broker, self.workdir, SECRETS, extra_env={"PUBLIC_BASE_URL": PUBLIC_BASE_URL},
                                     extra_args=self.partition_args + self.ingest_args).start()
        for _ in range(self.bridge_count):
            bridge = harness.Bridge(self.broker, self.workdir, BRIDGE_JWT_SECRET, extra_args=self.partition_args + self.bridge_args)
            self.bridges.append(bridge.start())
        return self

    def __exit__(self, *exc_info) -> None:
        for bridge in self.bridges:
            if bridge.process.alive():
                bridge.stop()
        if self.ingest.process.alive():
            self.ingest.stop()
        self.broker.stop()

    @property
    def bridge(self) -> harness.Bridge:
        return self.bridges[0]

    def topic_event_ids(self) -> list[str]:
        """Every event id in the calls topic, read from the start with a plain consumer."""
        reader = harness.TopicReader(self.broker.bootstrap, TOPIC)
        try:
            reader.marks = {}
            records = reader.read(count=10**9, timeout=5, settle=0)
        finally:
            reader.close()
        return [json.loads(record.value())["id"] for record in records]


@dataclass
class Delivery:
    call_id: str
    client_id: str
    body: bytes
    attempts: int = 0
    statuses: list = field(default_factory=list)
    event_id: str | None = None
    accepted_at: float | None = None
    first_sent_at: float | None = None


class Sender:
    """Posts signed generic `call.started` webhooks, each a new call, at about `rate` per
    second from `threads` threads. Like a provider, it retries a delivery (the same bytes,
    so the same event id) after a 503 or a connection error until Ingest answers 202 or
    the run is over. Any other answer is recorded as unexpected."""

    def __init__(self, ingest: harness.Ingest, client_ids: list[str], rate: float, threads: int = 4):
        self.ingest = ingest
        self.client_ids = client_ids
        self.rate = rate
        self.threads = threads
        self.deliveries: list[Delivery] = []
        self.unexpected: list[str] = []
        self.connection_errors = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self._counter = 0

    def start(self) -> "Sender":
        for index in range(self.threads):
            worker = threading.Thread(target=self._work, args=(index,), daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def stop(self, drain: float = 30) -> None:
        """Stops starting new deliveries; those in progress retry for up to `drain` seconds."""
        self._drain_until = time.monotonic() + drain
        self._stop.set()
        for worker in self._workers:
            worker.join()

    def _next(self) -> Delivery:
        with self._lock:
            self._counter += 1
            client_id = self.client_ids[self._counter % len(self.client_ids)]
            call_id = bridge_clients.new_id("call")
        delivery = Delivery(call_id, client_id, bridge_clients.generic_body("started", call_id, client_id))
        with self._lock:
            self.deliveries.append(delivery)
        return delivery

    def _work(self, index: int) -> None:
        session = requests.Session()
        interval = self.threads / self.rate
        next_at = time.monotonic() + index * interval / self.threads
        while not self._stop.is_set():
            now = time.monotonic()
            if now < next_at:
                time.sleep(min(next_at - now, 0.05))
                continue
            next_at += interval
            delivery = self._next()
            self._deliver(session, delivery)

    def _deliver(self, session: requests.Session, delivery: Delivery) -> None:
        delivery.first_sent_at = time.monotonic()
        while True:
            if self._stop.is_set() and time.monotonic() > getattr(self, "_drain_until", 0):
                return
            delivery.attempts += 1
            try:
                response = session.post(self.ingest.url + "/webhooks/generic", data=delivery.body,
                                        headers=signing.generic(delivery.body), timeout=15)
            except requests.RequestException:
                with self._lock:
                    self.connection_errors += 1
                delivery.statuses.append("connection error")
                session = requests.Session()
                time.sleep(0.1)
                continue
            delivery.statuses.append(response.status_code)
            if response.status_code == 202:
                delivery.event_id = response.json()["eventId"]
                delivery.accepted_at = time.monotonic()
                return
            if response.status_code == 503 and response.headers.get("Retry-After"):
                time.sleep(0.1)
                continue
            with self._lock:
                self.unexpected.append(f"{response.status_code} {response.text[:200]}")
            return

    @property
    def accepted(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.event_id is not None]

    def status_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for delivery in self.deliveries:
            for status in delivery.statuses:
                counts[str(status)] = counts.get(str(status), 0) + 1
        return counts


class Subscriber(threading.Thread):
    """A /ws dashboard that records every message with its arrival time; with
    `resume_to`, after its connection is lost it reconnects there with `since` (the last
    position it saw), as the dashboard page does."""

    def __init__(self, bridge: harness.Bridge, token: str, resume_to: harness.Bridge | None = None):
        super().__init__(daemon=True)
        self.bridge = bridge
        self.token = token
        self.resume_to = resume_to
        self.messages: list[tuple[float, dict]] = []
        self.close_codes: list[int | None] = []
        self.reconnects = 0
        self._stopping = threading.Event()
        self.ready = threading.Event()
        self.client = bridge_clients.WsClient(bridge.ws_url, token)

    def run(self) -> None:
        position = None
        while not self._stopping.is_set():
            try:
                message = self.client.recv(timeout=0.5)
            except TimeoutError:
                continue
            except bridge_clients.Closed as closed:
                self.close_codes.append(closed.code)
                if self.resume_to is None or self._stopping.is_set():
                    return
                self._reconnect(position)
                continue
            self.messages.append((time.monotonic(), message))
            if message.get("type") == "snapshot":
                self.ready.set()
            if "position" in message:
                position = message["position"]

    def _reconnect(self, position: str | None) -> None:
        deadline = time.monotonic() + 30
        while not self._stopping.is_set() and time.monotonic() < deadline:
            try:
                self.client = bridge_clients.WsClient(self.resume_to.ws_url, self.token, since=position)
                self.reconnects += 1
                return
            except Exception:  # noqa: BLE001 - the other instance may still be starting
                time.sleep(0.2)

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=5)
        self.client.close()

    def events(self) -> list[tuple[float, dict]]:
        return [(at, m) for at, m in self.messages if m.get("type") == "event"]

    def call_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, message in self.events():
            call_id = bridge_clients.event_call_id(message)
            counts[call_id] = counts.get(call_id, 0) + 1
        return counts

    def unrecovered_snapshots(self) -> int:
        return sum(1 for _, m in self.messages if m.get("type") == "snapshot" and m.get("recovered") is False)


def wait_for_calls(subscribers: list[Subscriber], expected: dict[Subscriber, set[str]], timeout: float) -> None:
    """Waits until each subscriber has seen each of its expected calls (or the timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(expected[s] <= set(s.call_counts()) for s in subscribers):
            return
        time.sleep(0.2)


def start_dashboard_load(stack: "Stack", rate: float, threads: int = 4) -> tuple["Subscriber", "Sender"]:
    """An admin dashboard, ready, and a sender of new calls at `rate` per second."""
    dashboard = Subscriber(stack.bridge, bridge_clients.admin_token())
    dashboard.start()
    dashboard.ready.wait(10)
    return dashboard, Sender(stack.ingest, [bridge_clients.new_id("acme")], rate, threads=threads).start()


class Report:
    """Figures and invariant checks of one run; `finish()` prints them and exits."""

    def __init__(self, scenario: str, options: argparse.Namespace):
        self.scenario = scenario
        self.options = options
        self.figures: dict[str, object] = {}
        self.failures: list[str] = []
        self.started = time.monotonic()

    def figure(self, name: str, value) -> None:
        self.figures[name] = value
        print(f"  {name}: {value}", flush=True)

    def check(self, condition: bool, invariant: str) -> None:
        print(f"  [{'ok' if condition else 'FAILED'}] {invariant}", flush=True)
        if not condition:
            self.failures.append(invariant)

    def timing_check(self, condition: bool, invariant: str) -> None:
        """A target on time (latency, a ratio of latencies): checked on full runs, which are
        benchmarks; only printed on `--quick` runs, which are tests on a shared, noisy machine."""
        if self.options.quick:
            print(f"  [{'met' if condition else 'not met'}, not checked with --quick] {invariant}", flush=True)
        else:
            self.check(condition, invariant)

    def deliveries(self, stack: "Stack", sender: "Sender", dashboard: "Subscriber") -> None:
        """After the sender stopped: the answers, and that every delivery was accepted,
        every 202 is in Kafka and reached the dashboard exactly once."""
        accepted = sender.accepted
        wait_for_calls([dashboard], {dashboard: {d.call_id for d in accepted}}, timeout=30)
        in_kafka = set(stack.topic_event_ids())
        counts = dashboard.call_counts()
        dashboard.stop()
        self.figure("deliveries", len(sender.deliveries))
        self.figure("accepted (202)", len(accepted))
        self.figure("answers", sender.status_counts())
        self.figure("answer latency of accepted deliveries (first send to 202)",
                    summarize_latencies([d.accepted_at - d.first_sent_at for d in accepted]))
        missing_kafka = [d for d in accepted if d.event_id not in in_kafka]
        missing_dashboard = [d for d in accepted if d.call_id not in counts]
        doubled = [c for c, n in counts.items() if n > 1]
        self.figure("accepted but not in Kafka", len(missing_kafka))
        self.figure("accepted but not on the dashboard", len(missing_dashboard))
        self.figure("doubled on the dashboard", len(doubled))
        self.check(bool(accepted) and all(d.event_id for d in sender.deliveries), "every delivery was eventually accepted")
        self.check(not sender.unexpected, f"no answer but 202 or 503 with Retry-After (got {sender.unexpected[:3]})")
        self.check(not missing_kafka, "every 202 is in Kafka (no false 202)")
        self.check(not missing_dashboard, "every accepted call reached the dashboard")
        self.check(not doubled, "no call reached the dashboard twice")

    def finish(self) -> None:
        for failure in self.failures:
            print(f"  failure: {failure}", flush=True)
        settings = {k: v for k, v in vars(self.options).items() if k != "quick"}
        print(f"{self.scenario}: {'PASS' if not self.failures else 'FAIL'} in {time.monotonic() - self.started:.0f} s; "
              f"settings {settings}; CPU {cpu_model()}; {os.cpu_count()} cores", flush=True)
        sys.exit(1 if self.failures else 0)


def summarize_latencies(values: list[float]) -> str:
    if not values:
        return "none"
    return (f"p50 {percentile(values, 0.5) * 1000:.1f} ms, p99 {percentile(values, 0.99) * 1000:.1f} ms, "
            f"max {max(values) * 1000:.1f} ms, mean {statistics.fmean(values) * 1000:.1f} ms (n={len(values)})")
