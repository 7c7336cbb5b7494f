"""callbridge-sim, the traffic simulator, against a real Ingest and broker: a few hundred calls
across the five providers, every answer the expected one, the summary's counts consistent
with each other and with the calls log, every call's events on Kafka under one id each
(retries never double an event), no full phone number on Kafka; its flags, exit statuses,
Ctrl-C, and scripts/run.sh --help."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import time
from collections import defaultdict
from pathlib import Path

import yaml

from conftest import PUBLIC_BASE_URL, SECRETS, TELNYX_KEY
from harness import ROOT, bin_path, decode, free_port

PROVIDERS = {"twilio", "vapi", "retell", "telnyx", "generic"}


def sim_env(**overrides: str | None) -> dict[str, str]:
    """The test secrets as Ingest gets them, plus the Telnyx private key (base64 of PyNaCl's
    32-byte seed); an override of None removes a variable."""
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_SECRET", "_TOKEN", "_KEY"))}
    env.update({k: v for k, v in SECRETS.items() if k != "CALLER_HASH_KEY"})
    env["TELNYX_PRIVATE_KEY"] = base64.b64encode(TELNYX_KEY.encode()).decode()
    env["PUBLIC_BASE_URL"] = PUBLIC_BASE_URL
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_sim(args: list[str], env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(bin_path() / "callbridge-sim"), *args], env=env or sim_env(),
                          capture_output=True, text=True, timeout=timeout)


def read_calls_log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def digits(number: str) -> str:
    return re.sub(r"\D", "", number)


def assert_no_secret_in(text: str) -> None:
    for name, value in sim_env().items():
        if name in SECRETS or name == "TELNYX_PRIVATE_KEY":
            if name != "TELNYX_PUBLIC_KEY":
                assert value not in text, f"the simulator's output shows {name}"


def test_a_few_hundred_calls_reach_kafka_once_each(ingest, lifecycle, tmp_path):
    calls_log = tmp_path / "calls.jsonl"
    result = run_sim([
        "--url", ingest.url, "--calls", "300", "--rate", "150", "--connections", "16", "--clients", "12",
        "--time-scale", "600", "--retry-ratio", "0.1", "--forged-ratio", "0.05", "--seed", "2026",
        "--json", "--no-progress", "--calls-log", str(calls_log),
    ], timeout=240)
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr[-3000:]}"
    assert_no_secret_in(result.stdout + result.stderr)
    summary = json.loads(result.stdout)
    statuses = {int(k): v for k, v in summary["statuses"].items()}

    # The summary adds up.
    assert summary["ok"] is True and summary["unexpected"] == 0 and summary["aborted"] is None, summary["unexpectedSamples"]
    assert summary["transportErrors"] == 0 and summary["resent"] == 0
    assert summary["sent"] == sum(statuses.values())
    assert set(statuses) <= {200, 202, 401}, statuses
    assert summary["accepted"] == statuses[202] and summary["ignored"] == statuses.get(200, 0) > 0
    assert summary["forged"] == summary["refusedAsIntended"] == statuses.get(401, 0) > 0
    assert summary["retried"] == summary["retriedSameEventId"] > 0
    events = summary["events"]
    assert summary["accepted"] == events["call.started"] + events["call.ended"] + summary["retried"]
    calls = summary["calls"]
    assert calls["started"] == calls["finished"] == 300 and calls["abandoned"] == 0
    assert calls["answered"] + calls["unanswered"] == 300 and calls["unanswered"] > 0
    assert events["call.ended"] == 300 and events["call.started"] == calls["answered"]
    assert calls["maxActive"] > 1, "calls never overlapped"
    assert set(summary["providers"]) == PROVIDERS
    assert sum(p["sent"] for p in summary["providers"].values()) == summary["sent"]
    assert sum(p["accepted"] for p in summary["providers"].values()) == summary["accepted"]
    # Keep-alive: the connections carried every webhook, none was opened per request.
    assert 1 <= summary["connectionsOpened"] <= 16
    latency = summary["latencyMs"]
    assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"]

    # The calls log agrees with the summary.
    log = read_calls_log(calls_log)
    assert len(log) == 300 and len({call["callId"] for call in log}) == 300
    assert {call["provider"] for call in log} == PROVIDERS
    assert len({call["clientId"] for call in log}) > 3
    for call in log:
        assert not call["abandoned"]
        assert sorted(call["eventIds"]) == sorted(call["expectedEvents"]), call
        assert ("call.started" in call["expectedEvents"]) == call["answered"], call
    ignored_stages = sum(len(call["stages"]) - len(call["expectedEvents"]) for call in log)
    assert ignored_stages == summary["ignored"]

    # Kafka: every 202 is one record; each call's events under exactly the ids Ingest
    # answered, so a consumer dropping duplicates by id sees each event once.
    by_call = {call["callId"]: call for call in log}
    records = lifecycle.read(summary["accepted"], timeout=60, settle=2)
    ours = [record for record in records if record.key().decode() in by_call]
    assert len(ours) == summary["accepted"], f"{len(ours)} records for {summary['accepted']} answers 202"
    ids: dict[tuple[str, str], set[str]] = defaultdict(set)
    for record in ours:
        event = decode(record)
        call = by_call[event["data"]["callId"]]
        ids[(call["callId"], event["type"])].add(event["id"])
        data = event["data"]
        assert data["provider"] == call["provider"] and data["clientId"] == call["clientId"]
        assert data["from"] == "***" + digits(call["from"])[-4:] and data["to"] == "***" + digits(call["to"])[-4:]
        raw = record.value().decode()
        for number in (call["from"], call["to"]):
            assert digits(number)[-10:] not in raw, f"a full phone number reached Kafka: {raw[:300]}"
        if event["type"] == "call.ended":
            assert data["endReason"] == call["endReason"]
    expected = {(call["callId"], event) for call in log for event in call["expectedEvents"]}
    assert set(ids) == expected
    for (call_id, event_type), found in ids.items():
        assert found == {by_call[call_id]["eventIds"][event_type]}, f"{call_id} {event_type}: ids {found}"


def test_help_and_bad_flags():
    out = run_sim(["--help"], timeout=30)
    assert out.returncode == 0, out.stderr
    for text in ["--url", "--rate", "--providers", "--clients", "--duration", "--calls", "--time-scale", "--json",
                 "--progress", "--calls-log", "TWILIO_AUTH_TOKEN", "TELNYX_PRIVATE_KEY", "--telnyx-private-key-file",
                 "PUBLIC_BASE_URL"]:
        assert text in out.stdout, text

    cases = [
        (["--rate", "0"], sim_env(), "--rate"),
        (["--rate", "fast"], sim_env(), "--rate"),
        (["--providers", "skype=1"], sim_env(), "skype"),
        (["--url", "https://example.com"], sim_env(), "http://"),
        (["--time-scale", "-2"], sim_env(), "--time-scale"),
        (["--no-such-flag"], sim_env(), "--no-such-flag"),
        (["--providers", "twilio"], sim_env(TWILIO_AUTH_TOKEN=None), "TWILIO_AUTH_TOKEN"),
        ([], sim_env(TELNYX_PRIVATE_KEY=base64.b64encode(bytes(32)).decode()), "TELNYX_PUBLIC_KEY"),
        (["--vapi-secret-file", "/nonexistent/vapi"], sim_env(), "/nonexistent/vapi"),
        (["--calls-log", "/nonexistent/dir/calls.jsonl"], sim_env(), "--calls-log"),
    ]
    for args, env, fragment in cases:
        out = run_sim([*args, "--calls", "1"], env=env, timeout=30)
        assert out.returncode == 2, f"{args}: exit {out.returncode}\n{out.stderr}"
        assert fragment in out.stderr, f"{args}: {out.stderr}"
        assert out.stdout == "", f"{args} printed a summary"


def test_refused_deliveries_and_an_absent_ingest_exit_1(ingest):
    # A Vapi secret Ingest does not know: every delivery is refused 401, unexpectedly.
    out = run_sim(["--url", ingest.url, "--providers", "vapi", "--calls", "3", "--rate", "50", "--time-scale", "1000",
                   "--json", "--no-progress"], env=sim_env(VAPI_SECRET="not-the-configured-secret"), timeout=60)
    assert out.returncode == 1, out.stdout + out.stderr
    summary = json.loads(out.stdout)
    assert summary["ok"] is False and summary["unexpected"] == summary["sent"] == summary["statuses"]["401"] > 0
    assert "not-the-configured-secret" not in out.stdout + out.stderr

    # Nothing listens: the run gives up after repeated connection failures instead of spinning.
    started = time.monotonic()
    out = run_sim(["--url", f"http://127.0.0.1:{free_port()}", "--rate", "200", "--no-progress"], timeout=60)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "ABORTED" in out.stdout and "no answer" in out.stdout
    assert time.monotonic() - started < 30


def test_progress_and_ctrl_c_hang_up_every_call(ingest, lifecycle, tmp_path):
    """Real-time calls (minutes long) cannot end by themselves within the test: SIGINT must
    end every call in progress (call.ended for each), then print the summary and exit 0."""
    calls_log = tmp_path / "calls.jsonl"
    process = subprocess.Popen(
        [str(bin_path() / "callbridge-sim"), "--url", ingest.url, "--rate", "40", "--progress", "--json",
         "--calls-log", str(calls_log), "--retry-ratio", "0"],
        env=sim_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(3.5)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, f"exit {process.returncode}\n{stdout}\n{stderr[-3000:]}"
    progress_lines = [line for line in stderr.splitlines() if "sent " in line and "active calls" in line]
    assert len(progress_lines) >= 2, stderr
    summary = json.loads(stdout)
    assert summary["interrupted"] is True and summary["ok"] is True
    calls = summary["calls"]
    assert calls["started"] > 5 and calls["started"] == calls["finished"]
    log = read_calls_log(calls_log)
    assert len(log) == calls["started"]
    assert all(sorted(call["eventIds"]) == sorted(call["expectedEvents"]) for call in log)
    ended = [r for r in lifecycle.read(summary["accepted"], timeout=30) if decode(r)["type"] == "call.ended"]
    assert {decode(r)["data"]["callId"] for r in ended} >= {call["callId"] for call in log}


def test_compose_gives_the_simulator_flags_it_knows():
    """deploy/compose.yaml's `sim` profile: every flag is one callbridge-sim --help lists,
    and its secrets are mounted files."""
    service = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())["services"]["simulator"]
    help_text = run_sim(["--help"], timeout=30).stdout
    known = set(re.findall(r"^\s+(--[a-z][a-z0-9-]*)", help_text, re.MULTILINE))
    command = service["command"]
    flags = [argument.split("=", 1)[0] for argument in command if argument.startswith("--")]
    assert flags and set(flags) <= known, set(flags) - known
    for index, argument in enumerate(command):
        if argument.endswith("-file"):
            assert command[index + 1].removeprefix("/run/secrets/") in service["secrets"]


def session_processes(session: int) -> list[str]:
    """Every process of the session `session` (run.sh's children keep its session when monitor
    mode puts each in a process group of its own), as "pid command" lines."""
    out = subprocess.run(["ps", "-eo", "pid=,sid=,args="], capture_output=True, text=True).stdout
    found = []
    for line in out.splitlines():
        pid, sid, *args = line.split(None, 2)
        if sid == str(session):
            found.append(f"{pid} {' '.join(args)}")
    return found


def test_run_script_brings_the_dashboard_alive_and_ctrl_c_leaves_nothing(tmp_path):
    """scripts/run.sh on the debug build (CALLBRIDGE_BIN: no setup, no build) on free ports: the
    simulator's calls from all five providers reach Ingest at once; Ctrl-C (SIGINT to run.sh's
    process group, as a terminal sends it) stops everything, the broker's Tansu included."""
    ports = {"BROKER_PORT": free_port(), "INGEST_PORT": free_port(), "BRIDGE_PORT": free_port()}
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_SECRET", "_TOKEN", "_KEY"))}
    env.update({k: str(v) for k, v in ports.items()})
    env.update({"CALLBRIDGE_BIN": str(bin_path()), "CALLBRIDGE_RUN_DIR": str(tmp_path / "run")})
    stderr_path = tmp_path / "run.stderr"
    with open(stderr_path, "w") as stderr, open(tmp_path / "run.stdout", "w") as stdout:
        process = subprocess.Popen([str(ROOT / "scripts" / "run.sh"), "--sim-rate", "25"], env=env, stdout=stdout,
                                   stderr=stderr, stdin=subprocess.DEVNULL, start_new_session=True)
    ingest_metrics = f"http://127.0.0.1:{ports['INGEST_PORT']}/metrics"
    try:
        deadline = time.monotonic() + 90
        while "[run] everything is up" not in stderr_path.read_text():
            assert process.poll() is None, f"run.sh exited {process.returncode}:\n{stderr_path.read_text()[-3000:]}"
            assert time.monotonic() < deadline, stderr_path.read_text()[-3000:]
            time.sleep(0.2)
        log = stderr_path.read_text()
        assert re.search(rf"dashboard: http://127\.0\.0\.1:{ports['BRIDGE_PORT']}/\?token=\S+", log), log[-2000:]
        assert len(session_processes(process.pid)) >= 6, session_processes(process.pid)

        def accepted_by_provider() -> dict[str, int]:
            text = subprocess.run(["curl", "-fs", ingest_metrics], capture_output=True, text=True).stdout
            found = re.findall(r'callbridge_ingest_webhook_requests_total\{provider="(\w+)",status="202"\} (\d+)', text)
            return {provider: int(count) for provider, count in found}
        deadline = time.monotonic() + 30
        while {provider for provider, count in accepted_by_provider().items() if count > 0} != PROVIDERS:
            assert time.monotonic() < deadline, f"not every provider's calls reached Ingest: {accepted_by_provider()}"
            time.sleep(0.5)
    finally:
        try:
            os.killpg(process.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        # A process that has just exited may show for a moment as <defunct> until it is reaped.
        deadline = time.monotonic() + 5
        while (left := session_processes(process.pid)) and time.monotonic() < deadline:
            time.sleep(0.2)
        for line in left:
            os.kill(int(line.split()[0]), signal.SIGKILL)
    assert process.returncode == 130, stderr_path.read_text()[-3000:]
    assert not left, f"processes left behind: {left}"
    summary = (tmp_path / "run.stdout").read_text()
    assert "interrupted: calls in progress were hung up" in summary and "every answer was the expected one" in summary, summary
    secrets = (tmp_path / "run" / "dev-secrets.env").read_text()
    assert re.search(r"^TELNYX_PRIVATE_KEY=\S{44}$", secrets, re.M) and re.search(r"^TELNYX_PUBLIC_KEY=\S{44}$", secrets, re.M)


def test_run_script_help():
    out = subprocess.run([str(ROOT / "scripts" / "run.sh"), "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    for text in ["--no-sim", "--kafka", "callbridge-sim", "Ctrl-C"]:
        assert text in out.stdout, text
    bad = subprocess.run([str(ROOT / "scripts" / "run.sh"), "--no-such-option"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "--no-such-option" in bad.stderr
