"""The broker killed (SIGKILL) and restarted under load. The embedded broker keeps nothing,
so it comes back empty and Ingest re-creates the topic: every delivery is accepted again
(503 meanwhile), every event accepted after the restart reaches the dashboard exactly once,
and the dashboard is told (a `recovered:false` snapshot) that its position is void."""

import signal
import time

from common import Report, Stack, arguments, signal_tree, start_dashboard_load, summarize_latencies, wait_for_calls


def main() -> None:
    options = arguments(__doc__, quick={"seconds": 9.0, "rate": 100.0}, full={"seconds": 30.0, "rate": 300.0})
    report = Report("broker_restart", options)
    with Stack() as stack:
        dashboard, sender = start_dashboard_load(stack, options.rate, threads=8)
        time.sleep(options.seconds / 3)
        killed_at = time.monotonic()
        signal_tree(stack.broker.process.popen.pid, signal.SIGKILL)
        stack.broker.process.popen.wait()
        stack.broker.start()
        back_at = time.monotonic()
        time.sleep(max(0.0, options.seconds - (time.monotonic() - killed_at) - options.seconds / 3))
        sender.stop()

        accepted = sender.accepted
        after = [d for d in accepted if d.accepted_at > back_at]
        wait_for_calls([dashboard], {dashboard: {d.call_id for d in after}}, timeout=30)
        time.sleep(1)
        counts = dashboard.call_counts()
        told = [at for at, m in dashboard.messages if m.get("type") == "snapshot" and m.get("recovered") is False]
        in_kafka = set(stack.topic_event_ids())
        dashboard.stop()

        lost = [d for d in accepted if d.call_id not in counts]
        first_after = min((d.accepted_at for d in after), default=None)
        report.figure("deliveries", len(sender.deliveries))
        report.figure("accepted (202)", f"{len(accepted)}, {len(after)} after the broker was back")
        report.figure("answers", sender.status_counts())
        report.figure("broker down (kill to ready)", f"{back_at - killed_at:.2f} s")
        report.figure("kill to the next 202", f"{first_after - killed_at:.2f} s" if first_after else "none")
        report.figure("broker back to the recovered:false snapshot",
                      f"{told[0] - back_at:.2f} s" if told else "none")
        report.figure("answer latency of accepted deliveries (first send to 202)",
                      summarize_latencies([d.accepted_at - d.first_sent_at for d in accepted]))
        report.figure("accepted before the kill, lost with the broker's memory", len(lost))
        report.figure("accepted after the restart and in the new topic", sum(d.event_id in in_kafka for d in after))
        doubled = [c for c, n in counts.items() if n > 1]
        report.figure("doubled on the dashboard", len(doubled))
        report.check(all(d.event_id for d in sender.deliveries), "every delivery was eventually accepted")
        report.check(not sender.unexpected, f"no answer but 202 or 503 with Retry-After (got {sender.unexpected[:3]})")
        report.check(all(d.call_id in counts for d in after), "every event accepted after the restart reached the dashboard")
        report.check(not doubled, "no call reached the dashboard twice")
        report.check(len(told) >= 1, "the dashboard was told its position is void (recovered:false)")
        report.check(not lost or bool(told), "events lost with the broker are covered by a recovered:false snapshot")
    report.finish()


if __name__ == "__main__":
    main()
