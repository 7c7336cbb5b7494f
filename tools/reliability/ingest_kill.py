"""Ingest killed with SIGKILL under concurrent load, then restarted: every webhook answered
202 is in Kafka, and the dashboard shows every accepted call exactly once (deliveries that
were in flight at the kill are retried by the sender, as providers do)."""

import signal
import time

from common import Report, Sender, Stack, Subscriber, arguments, bridge_clients, summarize_latencies, wait_for_calls


def main() -> None:
    options = arguments(__doc__, quick={"seconds": 6.0, "rate": 150.0}, full={"seconds": 30.0, "rate": 300.0})
    report = Report("ingest_kill", options)
    with Stack() as stack:
        dashboard = Subscriber(stack.bridge, bridge_clients.admin_token())
        dashboard.start()
        dashboard.ready.wait(10)
        sender = Sender(stack.ingest, [bridge_clients.new_id("acme")], options.rate).start()
        time.sleep(options.seconds / 3)
        killed_at = time.monotonic()
        stack.ingest.process.popen.send_signal(signal.SIGKILL)
        stack.ingest.process.popen.wait()
        stack.ingest.start()
        back_at = time.monotonic()
        time.sleep(max(0.0, options.seconds - (time.monotonic() - killed_at) - options.seconds / 3))
        sender.stop()

        accepted = sender.accepted
        wait_for_calls([dashboard], {dashboard: {d.call_id for d in accepted}}, timeout=30)
        in_kafka = set(stack.topic_event_ids())
        counts = dashboard.call_counts()
        dashboard.stop()

        first_after = min((d.accepted_at for d in accepted if d.accepted_at and d.accepted_at > killed_at), default=None)
        report.figure("deliveries", len(sender.deliveries))
        report.figure("accepted (202)", len(accepted))
        report.figure("answers", sender.status_counts())
        report.figure("Ingest restart to ready", f"{back_at - killed_at:.2f} s")
        report.figure("kill to the next 202", f"{first_after - killed_at:.2f} s" if first_after else "none")
        report.figure("answer latency of accepted deliveries (first send to 202)",
                      summarize_latencies([d.accepted_at - d.first_sent_at for d in accepted]))
        missing_kafka = [d for d in accepted if d.event_id not in in_kafka]
        missing_dashboard = [d for d in accepted if d.call_id not in counts]
        doubled = [c for c, n in counts.items() if n > 1]
        report.figure("accepted but not in Kafka", len(missing_kafka))
        report.figure("accepted but not on the dashboard", len(missing_dashboard))
        report.figure("doubled on the dashboard", len(doubled))
        report.check(len(accepted) > 0 and all(d.event_id for d in sender.deliveries), "every delivery was eventually accepted")
        report.check(not sender.unexpected, f"no answer but 202 or 503 with Retry-After (got {sender.unexpected[:3]})")
        report.check(not missing_kafka, "every 202 is in Kafka")
        report.check(not missing_dashboard, "every accepted call reached the dashboard")
        report.check(not doubled, "no call reached the dashboard twice")
    report.finish()


if __name__ == "__main__":
    main()
