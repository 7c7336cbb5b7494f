"""Processes and clients for the integration tests: the embedded broker, Ingest (and
later Bridge) as real executables, and a Kafka reader, all on free loopback ports."""

from __future__ import annotations

import functools
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import regress
from confluent_kafka import Consumer, TopicPartition
from jsonschema import Draft202012Validator, ValidationError
from jsonschema.validators import extend
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parents[2]


def bin_path() -> Path:
    """The folder of the debug build (scripts/test.sh builds it before pytest runs)."""
    explicit = os.environ.get("CALLBRIDGE_BIN")
    if explicit:
        return Path(explicit)
    out = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, check=True, capture_output=True, text=True)
    return Path(out.stdout.strip())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ProcessExited(RuntimeError):
    """Raised by a wait's predicate when the process it waits for has died: no use waiting on."""


def wait_until(predicate, timeout: float, interval: float = 0.05, what: str = "condition"):
    """Calls `predicate` until it returns something truthy (returned) or `timeout` passes.
    Exceptions count as "not yet", except `ProcessExited`, which ends the wait at once."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            result = predicate()
            if result:
                return result
        except ProcessExited:
            raise
        except Exception as error:  # noqa: BLE001 - keep trying until the deadline
            last = error
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached within {timeout}s (last error: {last})")


@dataclass
class Process:
    """A child process whose output goes to a log file, stopped with SIGTERM."""

    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen | None = None

    def start(self) -> "Process":
        self.log_file = open(self.log_path, "ab")
        self.popen = subprocess.Popen(self.args, env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM, wait; returns the exit status (SIGKILL after the timeout, status -9)."""
        if self.popen is None:
            return 0
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.log_file.close()
        return self.popen.returncode


class Broker:
    """The embedded broker, started through the project's own launcher on a free port."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.ready_file = workdir / "broker.ready"
        self.port = 0
        self.process: Process | None = None

    def start(self) -> "Broker":
        if self.ready_file.exists():
            self.ready_file.unlink()
        env = dict(os.environ)
        self.process = Process(
            "broker",
            [str(bin_path() / "callbridge-broker"), "--port", str(self.port), "--ready-file", str(self.ready_file)],
            env,
            self.workdir / "broker.log",
        ).start()
        wait_until(lambda: self.ready_file.exists() and self.ready_file.read_text().strip(), 30, what="broker ready")
        self.bootstrap = self.ready_file.read_text().strip()
        self.port = int(self.bootstrap.rsplit(":", 1)[1])
        return self

    def stop(self) -> int:
        return self.process.stop() if self.process else 0

    def restart(self) -> None:
        """Stops and starts again on the same port (the broker keeps nothing: topics are gone)."""
        self.stop()
        self.start()


@dataclass
class Ingest:
    broker: Broker
    workdir: Path
    secrets: dict[str, str]
    extra_env: dict[str, str] = field(default_factory=dict)
    extra_args: list[str] = field(default_factory=list)

    port: int = 0

    def start(self, wait_ready: bool = True) -> "Ingest":
        """Starts on `port`, or a free one the first time (a restart keeps its port)."""
        self.port = self.port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.endswith(("_SECRET", "_TOKEN", "_KEY"))}
        env.update({"PORT": str(self.port), "KAFKA_BROKERS": self.broker.bootstrap, "LOG_LEVEL": "debug"})
        env.update(self.secrets)
        env.update(self.extra_env)
        self.process = Process("ingest", [str(bin_path() / "Ingest"), *self.extra_args], env, self.workdir / f"ingest-{self.port}.log").start()
        wait_until(lambda: http_get(self.url + "/healthz")[0] == 200, 30, what="ingest /healthz")
        if wait_ready:
            wait_until(lambda: http_get(self.url + "/readyz")[0] == 200, 30, what="ingest /readyz")
        return self

    def stop(self) -> int:
        return self.process.stop()


def http_get(url: str, timeout: float = 5) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class TopicReader:
    """Reads what a topic gained after `mark()`, with a plain librdkafka consumer (no group)."""

    def __init__(self, bootstrap: str, topic: str, check_events: bool | None = None):
        """`check_events`: check every record read against the call event's schema (see
        `check_lifecycle_record`); by default for every topic but a dead-letter one."""
        self.bootstrap = bootstrap
        self.topic = topic
        self.check_events = ".deadletter." not in topic if check_events is None else check_events
        self.consumer = Consumer({
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{os.getpid()}-{time.monotonic_ns()}",
            "enable.auto.commit": False,
            "enable.partition.eof": False,
            "fetch.wait.max.ms": 10,
        })
        self.marks: dict[int, int] = {}

    def partitions(self) -> list[int]:
        metadata = self.consumer.list_topics(self.topic, timeout=10)
        topic = metadata.topics.get(self.topic)
        if topic is None or topic.error is not None:
            return []
        return sorted(topic.partitions)

    def mark(self) -> None:
        """Remembers the end of every partition: `read` returns only what comes after. A
        metadata answer without the topic (a busy broker) is asked again, not taken as "no
        partitions": that made `read` start from offset 0 and return old records."""
        self.marks = {}
        deadline = time.monotonic() + 15
        partitions = self.partitions()
        while not partitions and time.monotonic() < deadline:
            time.sleep(0.2)
            partitions = self.partitions()
        for partition in partitions:
            _, high = self.consumer.get_watermark_offsets(TopicPartition(self.topic, partition), timeout=10)
            self.marks[partition] = high

    def read(self, count: int, timeout: float = 15, settle: float = 0.5, key: str | None = None) -> list:
        """Records after the mark (only those with this key, if given): waits for `count`,
        then `settle` seconds more to catch extras."""
        # A partition that was not there at the mark is read from its start (it is new).
        assignment = [TopicPartition(self.topic, p, self.marks.get(p, 0)) for p in self.partitions()]
        self.consumer.assign(assignment)
        records = []
        deadline = time.monotonic() + timeout
        def wanted(message) -> bool:
            if message is None or message.error() is not None:
                return False
            return key is None or (message.key() or b"").decode() == key

        while time.monotonic() < deadline and len(records) < count:
            message = self.consumer.poll(0.1)
            if wanted(message):
                records.append(message)
        settle_until = time.monotonic() + settle
        while time.monotonic() < settle_until:
            message = self.consumer.poll(0.05)
            if wanted(message):
                records.append(message)
        self.consumer.unassign()
        if self.check_events:
            for record in records:
                check_lifecycle_record(record)
        return records

    def close(self) -> None:
        self.consumer.close()


def decode(record) -> dict:
    return json.loads(record.value())


def headers(record) -> dict[str, str]:
    return {k: (v.decode() if v is not None else None) for k, v in (record.headers() or [])}


def temp_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


@dataclass
class Bridge:
    """A Bridge process on a free port (or `port`, to restart one in place) against
    `kafka_brokers` (default: the broker's bootstrap). `secret` is BRIDGE_JWT_SECRET
    (None leaves it unset). Every instance ever started is kept in `Bridge.instances`,
    so a test can scan all of their logs."""

    broker: Broker | None
    workdir: Path
    secret: str | None
    extra_env: dict[str, str] = field(default_factory=dict)
    extra_args: list[str] = field(default_factory=list)
    port: int = 0
    kafka_brokers: str | None = None

    instances = []  # type: ignore[var-annotated]  # class-level registry, not a dataclass field

    def start(self, wait_ready: bool = True, timeout: float = 60) -> "Bridge":
        self.port = self.port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.endswith(("_SECRET", "_TOKEN", "_KEY"))}
        brokers = self.kafka_brokers or (self.broker.bootstrap if self.broker else "127.0.0.1:9092")
        env.update({"PORT": str(self.port), "KAFKA_BROKERS": brokers, "LOG_LEVEL": "debug"})
        if self.secret is not None:
            env["BRIDGE_JWT_SECRET"] = self.secret
        env.update(self.extra_env)
        log_path = self.workdir / f"bridge-{self.port}-{time.monotonic_ns()}.log"
        self.process = Process("bridge", [str(bin_path() / "Bridge"), *self.extra_args], env, log_path).start()
        Bridge.instances.append(self)

        def answered(path: str):
            def check():
                if not self.process.alive():
                    raise ProcessExited(f"Bridge exited with {self.process.popen.returncode} before {path} answered 200:\n"
                                        f"{self.process.log()[-3000:]}")
                return http_get(self.url + path, timeout=2)[0] == 200
            return check

        wait_until(answered("/healthz"), timeout, what="bridge /healthz")
        if wait_ready:
            wait_until(answered("/readyz"), timeout, what="bridge /readyz")
        return self

    def stop(self, timeout: float = 15) -> int:
        return self.process.stop(timeout)

    def log(self) -> str:
        return self.process.log()

    def metrics(self) -> str:
        status, body = http_get(self.url + "/metrics")
        assert status == 200, f"/metrics answered {status}: {body[:500]}"
        return body


# ---------------------------------------------------------------- the contract's schemas
#
# Every event the tests see, on Kafka and on every Bridge protocol, is checked here against
# docs/schema/ (docs/contract.md, "Schemas"): TopicReader.read (records Ingest published),
# bridge_clients.WsClient (plain /ws), the Socket.IO and SSE readers of the tests (through
# bridge_clients). Records a test produces itself as bad input are never read through these.

SCHEMA_DIR = ROOT / "docs" / "schema"
CALL_EVENT_SCHEMA = "call-event.schema.json"
BRIDGE_MESSAGES_SCHEMA = "bridge-messages.schema.json"
EVENT_MEDIA_TYPE = "application/cloudevents+json"


class ContractViolation(AssertionError):
    """A service sent something that docs/schema/ does not allow."""


# Violations found on threads whose exceptions are only logged (python-socketio calls its
# handlers on its own threads): conftest's autouse fixture fails the test that saw one.
CONTRACT_VIOLATIONS: list[str] = []


@functools.cache
def _regex(pattern: str) -> regress.Regex:
    return regress.Regex(pattern)


def _ecma_pattern(validator, pattern, instance, schema):
    """`pattern` with ECMA-262 semantics, as JSON Schema specifies (Python's `re` would let `$`
    match before a trailing newline and `\\d` match non-ASCII digits)."""
    if validator.is_type(instance, "string") and _regex(pattern).find(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = extend(Draft202012Validator, {"pattern": _ecma_pattern})


@functools.cache
def schema_registry() -> Registry:
    """docs/schema/*.schema.json, each under its file name (they refer to each other by it)."""
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        contents = json.loads(path.read_text())
        # Registered as draft 2020-12 without their `$schema`, which would make jsonschema
        # switch to its stock validator (and Python's regexes) at each `$ref` to them.
        contents.pop("$schema", None)
        resources.append((path.name, Resource.from_contents(contents, default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


@functools.cache
def schema_validator(ref: str):
    """A validator of `ref` (a file name, with a `#/$defs/…` fragment if wanted)."""
    return _Validator({"$ref": ref}, registry=schema_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def contract_problems(instance, ref: str) -> list[str]:
    """What is wrong with `instance` according to `ref`; empty when it conforms."""
    problems = []
    for error in schema_validator(ref).iter_errors(instance):
        where = "/".join(str(part) for part in error.absolute_path) or "(top)"
        problems.append(f"{where}: {error.message}"[:500])
    if ref == CALL_EVENT_SCHEMA and not problems and instance["subject"] != instance["data"]["callId"]:
        problems.append(f"subject: {instance['subject']!r} is not data.callId {instance['data']['callId']!r}")
    return problems


def check_against(instance, ref: str, what: str) -> None:
    """Raises ContractViolation when `instance` does not conform to `ref`."""
    problems = contract_problems(instance, ref)
    if problems:
        message = f"{what} does not conform to docs/schema/{ref}: {problems}; got {json.dumps(instance)[:1000]}"
        CONTRACT_VIOLATIONS.append(message)
        raise ContractViolation(message)


def check_call_event(event: dict, what: str = "a call event") -> None:
    check_against(event, CALL_EVENT_SCHEMA, what)


def check_lifecycle_record(record) -> None:
    """A record Ingest published: key = callId, `content-type` header, the CloudEvent value."""
    where = f"the record at {record.topic()}[{record.partition()}]@{record.offset()}"
    try:
        event = json.loads(record.value())
    except ValueError as error:
        message = f"{where} is not JSON: {error}: {record.value()[:300]!r}"
        CONTRACT_VIOLATIONS.append(message)
        raise ContractViolation(message) from None
    check_call_event(event, where)
    problems = []
    if (record.key() or b"").decode(errors="replace") != event["data"]["callId"]:
        problems.append(f"key {record.key()!r} is not data.callId {event['data']['callId']!r}")
    content_types = [v for k, v in (record.headers() or []) if k == "content-type"]
    if content_types != [EVENT_MEDIA_TYPE.encode()]:
        problems.append(f"content-type headers {content_types!r}, expected exactly [{EVENT_MEDIA_TYPE!r}]")
    if problems:
        message = f"{where}: {problems}"
        CONTRACT_VIOLATIONS.append(message)
        raise ContractViolation(message)
