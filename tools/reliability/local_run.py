#!/usr/bin/env python3
"""The long local run (issue 12): `scripts/run.sh` exactly as a new user starts it (the
embedded broker, Ingest, Bridge and the simulator at its default rate), watched for
--minutes (60) from the outside.

Every --interval seconds (60) it records the RSS and CPU of the broker (Tansu), Ingest and
the Bridge, and, from the Bridge's /metrics, how stale the dashboards are over that interval
(record timestamp -> frame written to a /ws subscriber, p50 / p99) and the Bridge's own
fan-out time (its poll thread -> frames flushed). One admin /ws subscriber stays connected
the whole time, as a dashboard would, and counts the events it gets. At the end it stops
run.sh with SIGINT (Ctrl-C), takes the simulator's JSON summary, checks that no process is
left behind, prints the figures (with the CPU model) and writes them as JSON (--out).

Exit status 1 when the simulator saw an unexpected answer, the subscriber was cut off or got
no events, or a process was left behind.

  .venv/bin/python tools/reliability/local_run.py --minutes 60 --out run/local-run.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "bench"))
sys.path.insert(0, str(ROOT / "tools" / "reliability"))

from bridge_report import histogram_quantiles_between  # noqa: E402
from common import cpu_model, process_tree, rss_kib  # noqa: E402
from harness import free_port  # noqa: E402  (common puts Tests/Integration on the path)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, exited but not yet reaped, does not count)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


class Subscriber(threading.Thread):
    """An admin dashboard on /ws: counts events, notes when it is cut off."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.events, self.cut_off, self.stopping = url, 0, None, False

    def run(self) -> None:
        try:
            with connect(self.url, open_timeout=10, max_size=None) as socket:
                self.socket = socket
                while not self.stopping:
                    message = json.loads(socket.recv())
                    if message.get("type") == "event":
                        self.events += 1
        except Exception as error:  # noqa: BLE001 - reported, not raised: the run goes on
            if not self.stopping:
                self.cut_off = f"{type(error).__name__}: {error}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60, help="how long to run (default 60)")
    parser.add_argument("--interval", type=float, default=60, help="seconds between samples (default 60)")
    parser.add_argument("--out", type=Path, help="write the figures here as JSON")
    parser.add_argument("--bin", help="ready-built binaries (CALLBRIDGE_BIN); default: run.sh sets up and builds release")
    parser.add_argument("--sim-rate", type=float, help="the simulator's webhooks/s (run.sh's --sim-rate; default: run.sh's, 2)")
    args = parser.parse_args()
    if args.minutes <= 0 or args.interval <= 0 or (args.sim_rate is not None and args.sim_rate <= 0):
        parser.error("--minutes, --interval and --sim-rate must be positive")

    run_dir = Path(tempfile.mkdtemp(prefix="callbridge-local-run-"))
    ports = {"BROKER_PORT": free_port(), "INGEST_PORT": free_port(), "BRIDGE_PORT": free_port()}
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_SECRET", "_TOKEN", "_KEY"))}
    env.update({k: str(v) for k, v in ports.items()}, CALLBRIDGE_RUN_DIR=str(run_dir))
    if args.bin:
        env["CALLBRIDGE_BIN"] = args.bin
    stdout, stderr = open(run_dir / "run.stdout", "w+"), open(run_dir / "run.stderr", "w+")
    print(f"[local-run] scripts/run.sh (logs in {run_dir}), {args.minutes:g} min", file=sys.stderr)
    rate = ["--sim-rate", f"{args.sim_rate:g}"] if args.sim_rate else []
    # A program started in the background inherits SIGINT ignored, and a shell cannot trap a
    # signal ignored on entry: give run.sh SIGINT back, so that it stops as on Ctrl-C.
    run = subprocess.Popen([str(ROOT / "scripts" / "run.sh"), *rate, "--", "--json"], env=env, stdout=stdout, stderr=stderr,
                           start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    bridge = f"http://127.0.0.1:{ports['BRIDGE_PORT']}"
    deadline = time.monotonic() + 1800  # setup and a release build on a fresh machine
    while "everything is up" not in Path(run_dir / "run.stderr").read_text():
        if run.poll() is not None or time.monotonic() > deadline:
            print(Path(run_dir / "run.stderr").read_text()[-3000:], file=sys.stderr)
            print("[local-run] run.sh did not come up", file=sys.stderr)
            return 1
        time.sleep(1)

    processes = {}
    for pid in process_tree(run.pid):
        name = {"tansu": "broker", "callbridge-brok": "broker-launcher", "Ingest": "ingest", "Bridge": "bridge",
                "callbridge-sim": "simulator"}.get(comm(pid))
        if name:
            processes[name] = pid
    secrets = dict(line.split("=", 1) for line in (run_dir / "dev-secrets.env").read_text().split()
                   if "=" in line and not line.startswith("#"))
    import jwt

    token = jwt.encode({"role": "admin", "exp": int(time.time()) + 86400}, secrets["BRIDGE_JWT_SECRET"].strip("'\""), algorithm="HS256")
    subscriber = Subscriber(f"ws://127.0.0.1:{ports['BRIDGE_PORT']}/ws?token={token}")
    subscriber.start()

    samples = []
    previous_metrics = requests.get(bridge + "/metrics", timeout=5).text
    previous_cpu = {name: cpu_seconds(pid) for name, pid in processes.items()}
    started = previous_at = time.monotonic()
    while time.monotonic() - started < args.minutes * 60:
        time.sleep(min(args.interval, max(0.0, args.minutes * 60 - (time.monotonic() - started))))
        now = time.monotonic()
        metrics = requests.get(bridge + "/metrics", timeout=5).text
        consumed = re.search(r"^callbridge_bridge_events_consumed_total(?:\{\})? (\S+)$", metrics, re.M)
        sample = {"minute": round((now - started) / 60, 2), "subscriber_events": subscriber.events,
                  "records_on_topic": int(float(consumed[1])) if consumed else None}
        for name, pid in processes.items():
            cpu = cpu_seconds(pid)
            sample[name] = {"rss_mib": round(rss_kib(pid) / 1024, 1), "cpu_percent": round(100 * (cpu - previous_cpu[name]) / (now - previous_at), 1)}
            previous_cpu[name] = cpu
        sample["staleness_ms"] = histogram_quantiles_between(
            previous_metrics, metrics, "callbridge_bridge_event_staleness_seconds", 'protocol="ws"')
        sample["fanout_ms"] = histogram_quantiles_between(previous_metrics, metrics, "callbridge_bridge_fanout_seconds", 'protocol="ws"')
        samples.append(sample)
        previous_metrics, previous_at = metrics, now
        s, f = sample["staleness_ms"] or {}, sample["fanout_ms"] or {}
        print(f"[local-run] {sample['minute']:6.1f} min, {sample['records_on_topic']} records: broker {sample['broker']['rss_mib']} MiB {sample['broker']['cpu_percent']} % CPU, "
              f"Bridge {sample['bridge']['rss_mib']} MiB; staleness p50/p99 {s.get('p50')}/{s.get('p99')} ms, "
              f"fan-out p99 {f.get('p99')} ms; {subscriber.events} events seen", file=sys.stderr)

    subscriber.stopping = True
    os.kill(run.pid, signal.SIGINT)
    try:
        run.wait(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
    time.sleep(1)
    # The services run in process groups of their own, and once run.sh is gone they are no
    # longer its descendants: check the ones seen at the start by pid, and stop any left.
    left = [f"{name} ({pid})" for name, pid in processes.items() if alive(pid)]
    for name, pid in processes.items():
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    stdout.seek(0)
    summaries = [json.loads(line) for line in stdout.read().splitlines() if line.startswith("{")]
    summary = summaries[-1] if summaries else None

    total = {"cpu_model": cpu_model(), "minutes": args.minutes, "samples": samples, "simulator": summary,
             "subscriber_events": subscriber.events, "subscriber_cut_off": subscriber.cut_off, "left_behind": left}
    if args.out:
        args.out.write_text(json.dumps(total, indent=1))
    print(f"\nLocal run, {args.minutes:g} min, {cpu_model()}:")
    print("| minute | records on the topic | broker RSS MiB | broker CPU % | Ingest CPU % | Bridge RSS MiB | Bridge CPU % | staleness p50 / p99 ms | Bridge fan-out p50 / p99 ms |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for sample in samples:
        s, f = sample["staleness_ms"] or {}, sample["fanout_ms"] or {}
        print(f"| {sample['minute']:g} | {sample['records_on_topic']} | {sample['broker']['rss_mib']} | {sample['broker']['cpu_percent']} | {sample['ingest']['cpu_percent']} | "
              f"{sample['bridge']['rss_mib']} | {sample['bridge']['cpu_percent']} | {s.get('p50')} / {s.get('p99')} | {f.get('p50')} / {f.get('p99')} |")
    print(f"simulator: {json.dumps(summary)}")
    print(f"subscriber: {subscriber.events} events, cut off: {subscriber.cut_off}; left behind: {left}")
    failed = (summary is None or summary.get("unexpected", 1) != 0 or subscriber.cut_off is not None
              or subscriber.events == 0 or left)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
