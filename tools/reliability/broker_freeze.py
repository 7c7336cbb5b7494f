"""The broker frozen (SIGSTOP) under load, then thawed: while it is frozen Ingest answers
only 503 with Retry-After, never a 202 it cannot keep; after the thaw every delivery is
accepted, every 202 is in Kafka and on the dashboard exactly once."""

import signal
import time

from common import Report, Stack, arguments, signal_tree, start_dashboard_load


def main() -> None:
    options = arguments(__doc__, quick={"seconds": 14.0, "freeze": 7.0, "rate": 100.0},
                        full={"seconds": 30.0, "freeze": 10.0, "rate": 300.0})
    report = Report("broker_freeze", options)
    with Stack() as stack:
        dashboard, sender = start_dashboard_load(stack, options.rate, threads=8)
        time.sleep(options.seconds / 4)
        broker = stack.broker.process.popen
        frozen_at = time.monotonic()
        # The launcher and the Tansu it runs.
        signal_tree(broker.pid, signal.SIGSTOP)
        time.sleep(options.freeze)
        thawed_at = time.monotonic()
        signal_tree(broker.pid, signal.SIGCONT)
        time.sleep(max(0.0, options.seconds - (time.monotonic() - frozen_at) - options.seconds / 4))
        sender.stop()
        accepted = sender.accepted
        during = [d for d in accepted if frozen_at + 0.5 < d.accepted_at < thawed_at]
        first_after = min((d.accepted_at for d in accepted if d.accepted_at > thawed_at), default=None)
        report.figure("202s while frozen (after the first 0.5 s)", len(during))
        report.figure("thaw to the next 202", f"{first_after - thawed_at:.2f} s" if first_after else "none")
        report.check(not during, "no 202 while the broker is frozen")
        report.check(options.freeze <= 5 or "503" in sender.status_counts(), "a freeze longer than the publish timeout (5 s) is answered 503")
        report.deliveries(stack, sender, dashboard)
    report.finish()


if __name__ == "__main__":
    main()
