"""Ingest killed with SIGKILL under concurrent load, then restarted: every webhook answered
202 is in Kafka, and the dashboard shows every accepted call exactly once (deliveries that
were in flight at the kill are retried by the sender, as providers do)."""

import signal
import time

from common import Report, Stack, arguments, start_dashboard_load


def main() -> None:
    options = arguments(__doc__, quick={"seconds": 6.0, "rate": 150.0}, full={"seconds": 30.0, "rate": 300.0})
    report = Report("ingest_kill", options)
    with Stack() as stack:
        dashboard, sender = start_dashboard_load(stack, options.rate)
        time.sleep(options.seconds / 3)
        killed_at = time.monotonic()
        stack.ingest.process.popen.send_signal(signal.SIGKILL)
        stack.ingest.process.popen.wait()
        stack.ingest.start()
        back_at = time.monotonic()
        time.sleep(max(0.0, options.seconds - (time.monotonic() - killed_at) - options.seconds / 3))
        sender.stop()
        first_after = min((d.accepted_at for d in sender.accepted if d.accepted_at > killed_at), default=None)
        report.figure("Ingest restart to ready", f"{back_at - killed_at:.2f} s")
        report.figure("kill to the next 202", f"{first_after - killed_at:.2f} s" if first_after else "none")
        report.deliveries(stack, sender, dashboard)
    report.finish()


if __name__ == "__main__":
    main()
