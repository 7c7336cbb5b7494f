"""The broker frozen (SIGSTOP) under load, then thawed: while it is frozen Ingest answers
only 503 with Retry-After, never a 202 it cannot keep; after the thaw every delivery is
accepted, every 202 is in Kafka and on the dashboard exactly once."""

import signal
import time

from common import Report, Sender, Stack, Subscriber, arguments, bridge_clients, signal_tree, summarize_latencies, wait_for_calls


def main() -> None:
    options = arguments(__doc__, quick={"seconds": 14.0, "freeze": 7.0, "rate": 100.0},
                        full={"seconds": 30.0, "freeze": 10.0, "rate": 300.0})
    report = Report("broker_freeze", options)
    with Stack() as stack:
        dashboard = Subscriber(stack.bridge, bridge_clients.admin_token())
        dashboard.start()
        dashboard.ready.wait(10)
        sender = Sender(stack.ingest, [bridge_clients.new_id("acme")], options.rate, threads=8).start()
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
        wait_for_calls([dashboard], {dashboard: {d.call_id for d in accepted}}, timeout=30)
        in_kafka = set(stack.topic_event_ids())
        counts = dashboard.call_counts()
        dashboard.stop()

        during = [d for d in accepted if frozen_at + 0.5 < d.accepted_at < thawed_at]
        first_after = min((d.accepted_at for d in accepted if d.accepted_at > thawed_at), default=None)
        report.figure("deliveries", len(sender.deliveries))
        report.figure("accepted (202)", len(accepted))
        report.figure("answers", sender.status_counts())
        report.figure("202s while frozen (after the first 0.5 s)", len(during))
        report.figure("thaw to the next 202", f"{first_after - thawed_at:.2f} s" if first_after else "none")
        report.figure("answer latency of accepted deliveries (first send to 202)",
                      summarize_latencies([d.accepted_at - d.first_sent_at for d in accepted]))
        missing_kafka = [d for d in accepted if d.event_id not in in_kafka]
        missing_dashboard = [d for d in accepted if d.call_id not in counts]
        doubled = [c for c, n in counts.items() if n > 1]
        report.figure("accepted but not in Kafka", len(missing_kafka))
        report.figure("accepted but not on the dashboard", len(missing_dashboard))
        report.figure("doubled on the dashboard", len(doubled))
        report.check(all(d.event_id for d in sender.deliveries), "every delivery was eventually accepted")
        report.check(not sender.unexpected, f"no answer but 202 or 503 with Retry-After (got {sender.unexpected[:3]})")
        report.check(options.freeze <= 5 or "503" in sender.status_counts(), "a freeze longer than the publish timeout (5 s) is answered 503")
        report.check(not missing_kafka, "every 202 is in Kafka (no false 202)")
        report.check(not missing_dashboard, "every accepted call reached the dashboard")
        report.check(not doubled, "no call reached the dashboard twice")
    report.finish()


if __name__ == "__main__":
    main()
