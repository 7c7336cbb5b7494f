"""Operations: --help, refused configuration, health/readiness/metrics, start-up replay,
SIGTERM, client frame size and rate limits, and logs free of tokens, secrets and numbers."""

import os
import re
import signal
import struct
import subprocess
import time

import pytest
import requests
import websocket

from bridge_clients import (MINTED_TOKENS, Closed, WsClient, admin_token, client_token, metric, new_id, post_call,
                            raw_upgrade)
from conftest import BRIDGE_JWT_SECRET, SECRETS
from harness import Bridge, Broker, Ingest, bin_path, free_port, http_get, temp_dir

FLAGS = ["--host", "--port", "--kafka-brokers", "--topic", "--log-level", "--replay-window-seconds",
         "--max-call-seconds", "--history-events", "--history-seconds", "--outbound-limit-bytes",
         "--max-client-frame-bytes", "--client-messages-per-second", "--ping-interval-seconds",
         "--ping-timeout-seconds", "--jwt-secret-file"]
ENVS = ["HOST", "PORT", "KAFKA_BROKERS", "CALLS_TOPIC", "LOG_LEVEL", "REPLAY_WINDOW_SECONDS", "MAX_CALL_SECONDS",
        "ROOM_HISTORY_EVENTS", "ROOM_HISTORY_SECONDS", "OUTBOUND_LIMIT_BYTES", "MAX_CLIENT_FRAME_BYTES",
        "CLIENT_MESSAGES_PER_SECOND", "PING_INTERVAL_SECONDS", "PING_TIMEOUT_SECONDS", "BRIDGE_JWT_SECRET"]
METRICS = ["callbridge_bridge_connections", "callbridge_bridge_subscribers", "callbridge_bridge_events_consumed_total",
           "callbridge_bridge_frames_sent_total", "callbridge_bridge_slow_consumer_closes_total",
           "callbridge_bridge_consumer_lag"]


def run_bridge(*args: str, secret: str | None = BRIDGE_JWT_SECRET, timeout: float = 15) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_SECRET", "_TOKEN", "_KEY"))}
    env["KAFKA_BROKERS"] = f"127.0.0.1:{free_port()}"  # nothing there: a refused option must not get that far
    env["PORT"] = str(free_port())
    if secret is not None:
        env["BRIDGE_JWT_SECRET"] = secret
    try:
        return subprocess.run([str(bin_path() / "Bridge"), *args], env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as expired:
        raise AssertionError(f"Bridge {' '.join(args)} was not refused: still running after {timeout}s "
                             f"(output: {(expired.stderr or b'')[-500:]!r})") from None


def test_help_lists_every_option_and_its_environment_variable():
    out = run_bridge("--help", secret=None)
    assert out.returncode == 0, out.stderr
    for text in FLAGS + ENVS:
        assert text in out.stdout, f"--help does not mention {text}"


def test_bad_configuration_is_refused_with_a_message_naming_it():
    cases = [
        (["--port", "70000"], "port"),
        (["--outbound-limit-bytes", "-1"], "outbound-limit-bytes"),
        (["--outbound-limit-bytes", "lots"], "outbound-limit-bytes"),
        (["--log-level", "chatty"], "log-level"),
        (["--jwt-secret-file", "/nonexistent/bridge-secret"], "/nonexistent/bridge-secret"),
        (["--cors-origins", "ftp://dash.example.com"], "cors-origins"),
        (["--cors-origins", "https://dash.example.com/path"], "cors-origins"),
        (["--cors-origins", "*,https://dash.example.com"], "cors-origins"),
    ]
    for args, named in cases:
        out = run_bridge(*args)
        assert out.returncode != 0, f"{args} was accepted"
        output = out.stderr + out.stdout
        # The flag (or, for an option set through the environment, its variable) is named.
        assert named in output.lower() or named.replace("-", "_") in output.lower(), \
            f"{args}: the message does not name {named!r}: {out.stderr[-500:]}"
    out = run_bridge(secret=None)
    assert out.returncode != 0, "started without BRIDGE_JWT_SECRET"
    assert "BRIDGE_JWT_SECRET" in out.stderr + out.stdout or "jwt-secret" in (out.stderr + out.stdout).lower()


def test_jwt_secret_from_a_file(broker, ingest, workdir):
    secret_file = workdir / f"bridge-secret-{new_id('f')}"
    secret_file.write_text("a-file-secret-for-bridge-tokens-77-0123456789\n")
    bridge = Bridge(broker, workdir, None, extra_args=["--jwt-secret-file", str(secret_file)]).start()
    try:
        client = WsClient(bridge.ws_url, admin_token(secret="a-file-secret-for-bridge-tokens-77-0123456789"))
        assert client.next("snapshot")["room"] == "admin"
        client.close()
        refused = raw_upgrade("127.0.0.1", bridge.port, f"/ws?token={admin_token()}")
        assert refused.status == 401, "a token signed with another key was accepted"
        refused.sock.close()
    finally:
        assert bridge.stop() == 0


def test_jwt_secret_from_the_file_its_FILE_variable_names(broker, ingest, workdir):
    """BRIDGE_JWT_SECRET_FILE (the Docker/Kubernetes convention): the file it names holds the
    key; BRIDGE_JWT_SECRET, when set as well, wins over it."""
    secret_file = workdir / f"bridge-secret-{new_id('f')}"
    secret_file.write_text("a-FILE-variable-secret-for-bridge-tokens-0123456789\n")
    bridge = Bridge(broker, workdir, None, extra_env={"BRIDGE_JWT_SECRET_FILE": str(secret_file)}).start()
    try:
        client = WsClient(bridge.ws_url, admin_token(secret="a-FILE-variable-secret-for-bridge-tokens-0123456789"))
        assert client.next("snapshot")["room"] == "admin"
        client.close()
    finally:
        assert bridge.stop() == 0
    # The value of BRIDGE_JWT_SECRET wins over the file: too short a value is refused although the file's is fine.
    env_file_out = subprocess.run([str(bin_path() / "Bridge")], env={**os.environ, "BRIDGE_JWT_SECRET": "short",
                                  "BRIDGE_JWT_SECRET_FILE": str(secret_file), "PORT": str(free_port()),
                                  "KAFKA_BROKERS": f"127.0.0.1:{free_port()}"}, capture_output=True, text=True, timeout=15)
    assert env_file_out.returncode == 64 and "32 bytes" in env_file_out.stderr
    assert "short" not in env_file_out.stderr and "FILE-variable" not in env_file_out.stderr


def test_health_readiness_and_metrics(bridge, ingest):
    assert http_get(bridge.url + "/healthz")[0] == 200
    assert http_get(bridge.url + "/readyz")[0] == 200
    client_id = new_id("metrics")
    admin = WsClient(bridge.ws_url, admin_token())
    client = WsClient(bridge.ws_url, client_token(client_id))
    try:
        admin.next("snapshot")
        client.next("snapshot")
        before = bridge.metrics()
        for name in (name for name in METRICS if name != "callbridge_bridge_consumer_lag"):  # checked below
            assert re.search(rf"^{name}(\{{|\s)", before, re.M), f"/metrics lacks {name}"
        assert (metric(before, "callbridge_bridge_connections", protocol="ws") or 0) >= 2
        assert (metric(before, "callbridge_bridge_subscribers", room_kind="admin") or 0) >= 1
        assert (metric(before, "callbridge_bridge_subscribers", room_kind="client") or 0) >= 1
        call = new_id("metrics-call")
        post_call(ingest, "started", call, client_id)
        admin.events_for({call}, 1)
        client.events_for({call}, 1)
        time.sleep(0.2)
        after = bridge.metrics()
        assert metric(after, "callbridge_bridge_events_consumed_total") >= metric(before, "callbridge_bridge_events_consumed_total") + 1
        assert metric(after, "callbridge_bridge_frames_sent_total") >= metric(before, "callbridge_bridge_frames_sent_total") + 2
        # A partition's lag is known once it has records and the consumer's statistics came
        # (every second): on a fresh broker (this test run alone) only after this event.
        deadline = time.monotonic() + 10
        while "callbridge_bridge_consumer_lag{" not in after and time.monotonic() < deadline:
            time.sleep(0.2)
            after = bridge.metrics()
        assert re.search(r'^callbridge_bridge_consumer_lag\{[^}]*partition="\d+"', after, re.M), "no consumer_lag with a partition label"
    finally:
        admin.close()
        client.close()
    # The gauges come down when the sockets go.
    time.sleep(0.5)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        now = bridge.metrics()
        if (metric(now, "callbridge_bridge_connections", protocol="ws") or 0) <= (metric(before, "callbridge_bridge_connections", protocol="ws") or 0) - 2:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"connections gauge did not drop after closing 2 sockets: {now}")


STALENESS = "callbridge_bridge_event_staleness_seconds"
FANOUT = "callbridge_bridge_fanout_seconds"


def test_staleness_histograms_count_live_events_not_the_start_up_replay(broker, ingest, workdir):
    """Record timestamp -> applied, and -> written per protocol, and the Bridge's own time
    (poll thread -> written) per protocol: a live event is counted in each, in seconds;
    events replayed at start are not (they are old by design)."""
    client_id = new_id("stale")
    post_call(ingest, "started", new_id("stale-replayed"), client_id)
    bridge = Bridge(broker, workdir, BRIDGE_JWT_SECRET).start()
    try:
        ready = bridge.metrics()
        assert (metric(ready, STALENESS + "_count", stage="applied") or 0) == 0, "the replayed window was counted"
        assert (metric(ready, FANOUT + "_count", protocol="ws") or 0) == 0, "the replayed window was counted"
        assert re.search(rf'^{STALENESS}_bucket\{{[^}}]*le="0.005"', ready, re.M), "no 5 ms bucket"
        assert re.search(rf'^{FANOUT}_bucket\{{[^}}]*le="0.00025"', ready, re.M), "no 0.25 ms bucket"
        with WsClient(bridge.ws_url, client_token(client_id)) as client:
            client.next("snapshot")
            call = new_id("stale-live")
            post_call(ingest, "started", call, client_id)
            client.events_for({call}, 1)
            time.sleep(0.2)
        after = bridge.metrics()
        for labels in ({"stage": "applied"}, {"stage": "written", "protocol": "ws"}):
            count = metric(after, STALENESS + "_count", **labels)
            total = metric(after, STALENESS + "_sum", **labels)
            assert count is not None and count >= 1, f"{labels}: {count}"
            assert 0 <= total / count < 30, f"{labels}: mean staleness {total / count} s is not in seconds"
        assert (metric(after, STALENESS + "_count", stage="written", protocol="socketio") or 0) == 0, "no Socket.IO subscriber here"
        count, total = metric(after, FANOUT + "_count", protocol="ws"), metric(after, FANOUT + "_sum", protocol="ws")
        assert count is not None and count >= 1, f"fan-out: {count}"
        assert 0 <= total / count < 1, f"mean fan-out {total / count} s is not in seconds"
        assert (metric(after, FANOUT + "_count", protocol="socketio") or 0) == 0, "no Socket.IO subscriber here"
    finally:
        assert bridge.stop() == 0


def test_readyz_is_503_while_kafka_is_unreachable(workdir):
    nowhere = f"127.0.0.1:{free_port()}"
    bridge = Bridge(None, workdir, BRIDGE_JWT_SECRET, kafka_brokers=nowhere).start(wait_ready=False)
    try:
        for _ in range(4):
            status, body = http_get(bridge.url + "/readyz")
            assert status == 503, f"/readyz with no broker: {status} {body}"
            time.sleep(0.4)
        assert http_get(bridge.url + "/healthz")[0] == 200
        refused = raw_upgrade("127.0.0.1", bridge.port, "/ws")
        assert refused.status == 401
        refused.sock.close()
    finally:
        assert bridge.stop() == 0, bridge.log()[-2000:]


def test_start_up_replay_puts_earlier_events_in_the_first_snapshot(broker, ingest, workdir):
    """Events posted before a Bridge starts: once /readyz says 200, they are in its snapshot."""
    client_id = new_id("replay")
    active, ended = new_id("replay-active"), new_id("replay-ended")
    post_call(ingest, "started", active, client_id)
    post_call(ingest, "started", ended, client_id)
    post_call(ingest, "ended", ended, client_id, durationSeconds=9, endReason="completed")
    bridge = Bridge(broker, workdir, BRIDGE_JWT_SECRET).start(wait_ready=False)
    try:
        statuses = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = http_get(bridge.url + "/readyz")[0]
            statuses.append(status)
            if status == 200:
                break
            assert status == 503, f"/readyz answered {status}"
            time.sleep(0.02)
        assert statuses[-1] == 200, "never ready"
        with WsClient(bridge.ws_url, client_token(client_id)) as client:
            snapshot = client.next("snapshot")
        assert [c["callId"] for c in snapshot["activeCalls"]] == [active], snapshot
        assert [c["callId"] for c in snapshot["recentCalls"]] == [ended], snapshot
        assert snapshot["recentCalls"][0]["endReason"] == "completed"
    finally:
        assert bridge.stop() == 0


def test_recent_calls_after_a_start_up_replay_are_newest_end_first(workdir):
    """A replay reads the partitions one after another; recent calls still come out in the
    order the calls ended (before: partition-replay order, an older end above a newer one).
    A broker of its own, so the admin room holds only these calls."""
    broker = Broker(workdir).start()
    ingest = Ingest(broker, workdir, SECRETS).start()
    bridge = None
    try:
        clients = [new_id(f"order{i}") for i in range(4)]  # spread over the topic's partitions
        base = int(time.time()) - 600
        expected = []
        for step in range(12):  # ends one second apart, cycling through the clients
            call_id = new_id(f"order-{step}")
            post_call(ingest, "ended", call_id, clients[step % len(clients)], timestamp=base + step)
            expected.insert(0, call_id)
        bridge = Bridge(broker, workdir, BRIDGE_JWT_SECRET).start()
        with WsClient(bridge.ws_url, admin_token()) as client:
            snapshot = client.next("snapshot")
        assert [c["callId"] for c in snapshot["recentCalls"]] == expected, snapshot["recentCalls"]
    finally:
        if bridge is not None:
            assert bridge.stop() == 0
        assert ingest.stop() == 0
        broker.stop()


def test_sigterm_closes_clients_with_1001_and_exits_0(broker, ingest, workdir):
    bridge = Bridge(broker, workdir, BRIDGE_JWT_SECRET).start()
    clients = [WsClient(bridge.ws_url, admin_token()), WsClient(bridge.ws_url, client_token("acme"))]
    for client in clients:
        client.next("snapshot")
    bridge.process.popen.send_signal(signal.SIGTERM)
    try:
        codes = [client.wait_close(timeout=10) for client in clients]
        assert codes == [1001, 1001], f"close codes on SIGTERM: {codes}"
        status = bridge.process.popen.wait(timeout=15)
        assert status == 0, f"exit status {status}\n{bridge.log()[-2000:]}"
        # Stopped accepting.
        try:
            refused = requests.get(bridge.url + "/healthz", timeout=2)
            raise AssertionError(f"still answering after exit: {refused.status_code}")
        except requests.ConnectionError:
            pass
    finally:
        for client in clients:
            client.close()
        bridge.stop()


def test_oversized_client_frame_closes_with_1009(bridge):
    with WsClient(bridge.ws_url, admin_token()) as client:
        client.next("snapshot")
        client.send_text('{"type":"join","room":"admin","pad":"' + "x" * 5000 + '"}')
        assert client.wait_close(timeout=10) == 1009


def test_a_frame_within_the_limit_is_fine(bridge):
    with WsClient(bridge.ws_url, admin_token()) as client:
        client.next("snapshot")
        message = '{"type":"join","room":"admin","since":null,"pad":"' + "x" * 3900 + '"}'
        assert len(message) <= 4096
        client.send_text(message)
        assert client.next("snapshot")["room"] == "admin"


def test_a_fragmented_message_is_reassembled(bridge):
    """websocket-client's own fragmentation: a masked text message in three frames is one
    message (before: 1002 "client frames must be masked", the mask was checked after NIO's
    aggregator had merged and unmasked the fragments)."""
    with WsClient(bridge.ws_url, admin_token()) as client:
        client.next("snapshot")
        message = '{"type":"leave","room":"admin"}'
        client.ws.send_frame(websocket.ABNF.create_frame(message[:10], websocket.ABNF.OPCODE_TEXT, fin=0))
        client.ws.send_frame(websocket.ABNF.create_frame(message[10:20], websocket.ABNF.OPCODE_CONT, fin=0))
        client.ws.ping(b"between fragments")  # a control frame may come between fragments
        client.ws.send_frame(websocket.ABNF.create_frame(message[20:], websocket.ABNF.OPCODE_CONT, fin=1))
        assert client.next("left")["room"] == "admin"


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 2999, 5000])
def test_an_invalid_close_code_is_answered_with_1002(bridge, code):
    """RFC 6455 7.4: codes an endpoint may not send (before: echoed back)."""
    with WsClient(bridge.ws_url, admin_token()) as client:
        client.next("snapshot")
        client.ws.send_frame(websocket.ABNF.create_frame(struct.pack("!H", code), websocket.ABNF.OPCODE_CLOSE))
        assert client.wait_close(timeout=10) == 1002


@pytest.mark.parametrize("code", [1000, 1001, 1003, 1011, 3000, 4999])
def test_a_valid_close_code_is_echoed(bridge, code):
    with WsClient(bridge.ws_url, admin_token()) as client:
        client.next("snapshot")
        client.ws.send_frame(websocket.ABNF.create_frame(struct.pack("!H", code) + "bye ✓".encode(), websocket.ABNF.OPCODE_CLOSE))
        assert client.wait_close(timeout=10) == code


def test_message_flood_is_rate_limited_then_closed_with_1008(bridge):
    with WsClient(bridge.ws_url, client_token("acme")) as client:
        client.next("snapshot")
        for _ in range(200):
            try:
                client.send_json({"type": "leave", "room": "client:flood"})
            except Exception:  # noqa: BLE001 - the server may already have closed
                break
        errors = []
        code = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                message = client.recv(max(0.01, deadline - time.monotonic()))
            except Closed as closed:
                code = closed.code
                break
            if message.get("type") == "error":
                errors.append(message["code"])
        assert "rate_limited" in errors, f"no rate_limited error; errors: {errors[:10]}"
        assert code == 1008, f"close code after the flood: {code}"


def test_logs_hold_no_token_secret_or_full_number(bridge, ingest):
    """Debug logs of every Bridge started so far, after traffic with tokens in URLs and
    headers, good and bad: no token, no secret, no full phone number."""
    query_token = client_token("acme")
    header_token = admin_token()
    client = WsClient(bridge.ws_url, query_token)
    client.next("snapshot")
    client.close()
    client = WsClient(bridge.ws_url, headers=[f"Authorization: Bearer {header_token}"])
    client.next("snapshot")
    client.close()
    bad = admin_token(secret="wrong-secret-for-log-test-123-0123456789abcdef")
    raw_upgrade("127.0.0.1", bridge.port, f"/ws?token={bad}").sock.close()
    post_call(ingest, "started", new_id("log-call"), "acme")
    time.sleep(0.5)

    assert Bridge.instances, "no Bridge was started"
    for instance in Bridge.instances:
        log = instance.log()
        where = instance.process.log_path.name
        assert BRIDGE_JWT_SECRET not in log, f"{where}: the JWT secret is logged"
        for secret in SECRETS.values():
            assert secret not in log, f"{where}: an Ingest secret is logged"
        for minted in MINTED_TOKENS:
            signature = minted.rsplit(".", 1)[-1]
            assert minted not in log, f"{where}: a token is logged"
            assert not signature or len(signature) < 16 or signature not in log, f"{where}: a token signature is logged"
        assert not re.search(r"415\D{0,2}555\D?(4321|1212)", log), f"{where}: a full phone number is logged"
    assert len(bridge.log()) > 0, "the shared Bridge logged nothing at debug level"
