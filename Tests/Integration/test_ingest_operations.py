"""Operations: --help, health, readiness, metrics, disabled providers, logs free of
secrets and phone numbers, graceful shutdown, and Kafka being down."""

import json
import re
import subprocess
import time
import uuid

import requests

import signing
from conftest import SECRETS
from harness import Broker, Ingest, TopicReader, bin_path, http_get, temp_dir


def test_help_lists_options_and_environment():
    out = subprocess.run([str(bin_path() / "Ingest"), "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0
    for text in ["--kafka-brokers", "KAFKA_BROKERS", "--port", "PORT", "--topic", "CALLS_TOPIC", "--public-base-url",
                 "--twilio-auth-token-file", "LOG_LEVEL", "--publish-timeout-ms", "--kafka-linger-ms", "KAFKA_LINGER_MS"]:
        assert text in out.stdout, text


def test_bad_configuration_is_a_clear_error():
    out = subprocess.run([str(bin_path() / "Ingest"), "--port", "70000"], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "port" in out.stderr.lower()
    out = subprocess.run([str(bin_path() / "Ingest"), "--twilio-auth-token-file", "/nonexistent/token"], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "/nonexistent/token" in out.stderr
    out = subprocess.run([str(bin_path() / "Ingest"), "--kafka-linger-ms", "9000"], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "--kafka-linger-ms" in out.stderr


def test_health_readiness_and_metrics(ingest):
    assert http_get(ingest.url + "/healthz")[0] == 200
    status, body = http_get(ingest.url + "/readyz")
    assert status == 200 and "ready" in body
    # One accepted and one rejected request show up in the counters.
    body_bytes = signing.compact({"type": "call.started", "callId": "m-" + uuid.uuid4().hex[:6], "clientId": "acme"})
    assert requests.post(ingest.url + "/webhooks/generic", data=body_bytes, headers=signing.generic(body_bytes)).status_code == 202
    assert requests.post(ingest.url + "/webhooks/generic", data=body_bytes, headers={"Content-Type": "application/json"}).status_code == 401
    status, metrics = http_get(ingest.url + "/metrics")
    assert status == 200
    assert re.search(r'callbridge_ingest_webhook_requests_total\{provider="generic",status="202"\} [1-9]', metrics), metrics[:2000]
    assert re.search(r'callbridge_ingest_webhook_requests_total\{provider="generic",status="401"\} [1-9]', metrics)
    assert "callbridge_ingest_publish_duration_seconds_bucket" in metrics
    assert "callbridge_ingest_kafka_errors_total" in metrics


def test_logs_hold_no_secret_and_no_full_number(ingest):
    log = ingest.process.log()
    for secret in SECRETS.values():
        assert secret not in log
    assert not re.search(r"\+?1?4155554321|5554321", log)


def test_provider_without_secret_is_disabled(broker):
    workdir = temp_dir("callbridge-disabled-")
    only_generic = {"GENERIC_WEBHOOK_SECRET": SECRETS["GENERIC_WEBHOOK_SECRET"]}
    ingest = Ingest(broker, workdir, only_generic).start()
    try:
        response = requests.post(ingest.url + "/webhooks/twilio", data={"CallSid": "CA1"}, timeout=10)
        assert response.status_code == 404
        assert "disabled" in response.json()["error"]
    finally:
        assert ingest.stop() == 0


def test_kafka_down_answers_503_within_the_bound_then_recovers():
    """Its own broker: stopped, every request gets 503 + Retry-After within the publish
    timeout and none gets 202; once the broker is back, requests succeed again."""
    workdir = temp_dir("callbridge-kafka-down-")
    broker = Broker(workdir).start()
    ingest = Ingest(broker, workdir, SECRETS, extra_env={"PUBLISH_TIMEOUT_MS": "2000"}).start()

    def context(what: str) -> str:
        return f"{what}\n--- Ingest log (tail) ---\n{ingest.process.log()[-4000:]}"

    try:
        def send():
            body = signing.compact({"type": "call.started", "callId": "down-" + uuid.uuid4().hex[:8], "clientId": "acme"})
            started = time.monotonic()
            response = requests.post(ingest.url + "/webhooks/generic", data=body, headers=signing.generic(body), timeout=30)
            return response, time.monotonic() - started

        response, _ = send()
        assert response.status_code == 202, context(response.text)

        broker.stop()
        for attempt in range(3):
            response, elapsed = send()
            assert response.status_code == 503, context(f"attempt {attempt}: {response.status_code} {response.text}")
            assert response.headers.get("Retry-After", "").isdigit()
            assert "error" in response.json()
            assert elapsed < 2.0 + 3.0, context(f"503 took {elapsed:.1f}s, over the 2 s bound plus slack")
        status, body = http_get(ingest.url + "/readyz")
        assert status == 503, context(f"readyz while Kafka is down: {status} {body}")

        broker.start()  # same port, empty: Ingest re-creates its topics
        reader = TopicReader(broker.bootstrap, "calls.lifecycle.v1")

        def recovered():
            response, _ = send()
            return response.status_code == 202

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not recovered():
            time.sleep(0.5)
        assert recovered(), context("Ingest did not recover after the broker came back")
        assert len(reader.read(1, timeout=10)) >= 1, context("nothing on the topic after recovery")
        reader.close()
    finally:
        status = ingest.stop()
        broker.stop()
    assert status == 0, context(f"Ingest exited with {status}")


def test_sigterm_under_load_loses_no_acknowledged_event():
    """SIGTERM while requests are in flight: Ingest stops accepting, answers what it
    accepted, flushes, exits 0; every event answered 202 is on the topic. Its own broker,
    so its burst of events does not reach the other tests' readers."""
    import threading

    workdir = temp_dir("callbridge-shutdown-")
    broker = Broker(workdir).start()
    ingest = Ingest(broker, workdir, SECRETS).start()
    reader = TopicReader(broker.bootstrap, "calls.lifecycle.v1")
    reader.mark()
    accepted: list[str] = []
    other: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client():
        session = requests.Session()
        while not stop.is_set():
            body = signing.compact({"type": "call.started", "callId": "sd-" + uuid.uuid4().hex[:10], "clientId": "acme"})
            try:
                response = session.post(ingest.url + "/webhooks/generic", data=body, headers=signing.generic(body), timeout=10)
            except requests.RequestException as error:  # refused once the server stopped accepting
                with lock:
                    other.append(type(error).__name__)
                return
            with lock:
                (accepted if response.status_code == 202 else other).append(
                    response.json().get("eventId", str(response.status_code)) if response.status_code == 202 else str(response.status_code))

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    wait_until_count = time.monotonic() + 10
    while time.monotonic() < wait_until_count and len(accepted) < 200:
        time.sleep(0.01)
    status = ingest.stop()
    stop.set()
    for thread in threads:
        thread.join(timeout=15)

    assert status == 0, ingest.process.log()[-2000:]
    assert len(accepted) >= 200
    assert all(code not in ("500", "503") for code in other), other
    ids = {json.loads(record.value())["id"] for record in reader.read(len(accepted), timeout=20)}
    missing = set(accepted) - ids
    assert not missing, f"{len(missing)} events answered 202 are not on the topic"
    reader.close()
    broker.stop()
