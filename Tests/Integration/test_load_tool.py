"""The C load tool that the soak and the fan-out benchmark rely on (tools/bench/bridge_load.c)
keeps every webhook sender usable when Ingest closes idle keep-alive connections: a sender
closed while idle was pushed onto the idle list a second time, which looped the list, lost
senders and made the soak's webhook rate sink after 20 minutes."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "reliability"))

from common import Stack, run_load  # noqa: E402


def test_senders_closed_while_idle_come_back_and_every_webhook_is_answered():
    # About 25 webhooks in flight (each waits 200 ms in Ingest's producer) over 64 senders,
    # and a 300 ms idle timeout: the senders below the busy ones are closed while idle, again
    # and again, as in the soak.
    with Stack(ingest_args=["--idle-timeout-ms", "300", "--kafka-linger-ms", "200"]) as stack:
        result = run_load(stack, "--admin", "2", "--clients", "8", "--client-ids", "4", "--rate", "120", "--senders", "64",
                          "--warmup", "1", "--duration", "8", "--drain", "10")
    events = result["events"]
    assert events["non_202"] == 0 and events["errors"] == 0, events
    assert events["accepted"] == events["scheduled"], events
    assert result["delivery"]["complete"], result["delivery"]
