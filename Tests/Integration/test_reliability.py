"""The fast fault scenarios of tools/reliability, each a program that starts its own broker,
Ingest and Bridge processes, injects its fault, checks its invariants and prints its figures
(run here with --quick; `scripts/reliability.sh` runs them at full size with the long ones)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAST = ["ingest_kill", "broker_freeze", "broker_restart", "bridge_failover", "stuck_subscribers", "malformed_input"]


@pytest.mark.parametrize("scenario", FAST)
def test_scenario_holds_its_invariants(scenario):
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "reliability" / f"{scenario}.py"), "--quick"],
                            capture_output=True, text=True, timeout=300, env=dict(os.environ))
    print(result.stdout)
    assert result.returncode == 0, f"{scenario} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    assert f"{scenario}: PASS" in result.stdout
