"""One of two Bridges killed (SIGKILL) under load: its dashboards reconnect to the other
with the position of the last event they saw (`since`) and get exactly what they missed.
Counted per dashboard: 0 missed, 0 doubled."""

import signal
import time

from common import Report, Sender, Stack, Subscriber, arguments, bridge_clients, summarize_latencies, wait_for_calls


def main() -> None:
    options = arguments(__doc__, quick={"seconds": 8.0, "rate": 100.0, "dashboards": 10},
                        full={"seconds": 30.0, "rate": 300.0, "dashboards": 50})
    report = Report("bridge_failover", options)
    with Stack(bridges=2) as stack:
        doomed, survivor = stack.bridges
        clients = [bridge_clients.new_id("tenant") for _ in range(options.dashboards)]
        dashboards = {client: Subscriber(doomed, bridge_clients.client_token(client), resume_to=survivor) for client in clients}
        for dashboard in dashboards.values():
            dashboard.start()
        for dashboard in dashboards.values():
            dashboard.ready.wait(10)
        sender = Sender(stack.ingest, clients, options.rate).start()
        time.sleep(options.seconds / 2)
        killed_at = time.monotonic()
        doomed.process.popen.send_signal(signal.SIGKILL)
        doomed.process.popen.wait()
        time.sleep(options.seconds / 2)
        sender.stop()

        accepted = sender.accepted
        expected = {dashboards[c]: {d.call_id for d in accepted if d.client_id == c} for c in clients}
        wait_for_calls(list(dashboards.values()), expected, timeout=30)
        time.sleep(1)
        missed = doubled = 0
        worst: list[str] = []
        for client, dashboard in dashboards.items():
            counts = dashboard.call_counts()
            lost = expected[dashboard] - set(counts)
            twice = [c for c, n in counts.items() if n > 1]
            missed += len(lost)
            doubled += len(twice)
            if lost or twice:
                worst.append(f"{client}: {len(lost)} missed, {len(twice)} doubled")
        resumed = [d for d in dashboards.values() if d.reconnects >= 1]
        snapshots = sum(d.unrecovered_snapshots() for d in dashboards.values())
        gaps = []
        for dashboard in dashboards.values():
            after = [at for at, m in dashboard.events() if at > killed_at]
            if after:
                gaps.append(after[0] - killed_at)
        for dashboard in dashboards.values():
            dashboard.stop()

        report.figure("deliveries accepted", len(accepted))
        report.figure("dashboards", len(dashboards))
        report.figure("dashboards that resumed on the other Bridge", len(resumed))
        report.figure("kill to each dashboard's next event", summarize_latencies(gaps))
        report.figure("recovered:false snapshots", snapshots)
        report.figure("missed (all dashboards)", missed)
        report.figure("doubled (all dashboards)", doubled)
        report.check(not sender.unexpected and all(d.event_id for d in sender.deliveries), "every delivery was accepted")
        report.check(len(resumed) == len(dashboards), "every dashboard reconnected to the other Bridge")
        report.check(missed == 0 and doubled == 0, f"0 missed, 0 doubled per dashboard ({worst[:3]})")
    report.finish()


if __name__ == "__main__":
    main()
