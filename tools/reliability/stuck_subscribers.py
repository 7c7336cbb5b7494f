"""1 % of the subscribers stop reading (a tiny receive window, never read): each is closed
with 4008 once its outbound bound is passed, while every other subscriber still gets every
event, with a delivery p99 within 2x of the same run without stuck subscribers, and the
Bridge's memory stays bounded."""

from common import Report, Stack, arguments, bridge_clients, run_load


def main() -> None:
    options = arguments(__doc__, quick={"subscribers": 100, "rate": 500.0, "seconds": 12.0},
                        full={"subscribers": 1000, "rate": 200.0, "seconds": 40.0})
    report = Report("stuck_subscribers", options)
    stuck_count = max(1, options.subscribers // 100)
    admins = max(1, options.subscribers // 50)
    load = ["--admin", str(admins), "--clients", str(options.subscribers - stuck_count - admins),
            "--client-ids", str(max(1, options.subscribers // 4)), "--rate", str(options.rate),
            "--warmup", "2", "--duration", str(options.seconds), "--drain", "20"]
    # Each phase on a stack of its own: the embedded broker's fetches slow down as its topic
    # grows, which would count against whichever phase ran second.
    with Stack(bridge_args=["--outbound-limit-bytes", "65536"]) as stack:
        alone = run_load(stack, *load, "--tag", "alone")
    with Stack(bridge_args=["--outbound-limit-bytes", "65536"]) as stack:
        bridge = stack.bridge
        # Stuck subscribers in the busiest room, so they fill their bound first.
        stuck = [bridge_clients.raw_upgrade("127.0.0.1", bridge.port, f"/ws?token={bridge_clients.admin_token()}", rcvbuf=4096)
                 for _ in range(stuck_count)]
        closes_before = bridge_clients.metric(bridge.metrics(), "callbridge_bridge_slow_consumer_closes_total") or 0
        with_stuck = run_load(stack, *load, "--tag", "stuck")
        closes = (bridge_clients.metric(bridge.metrics(), "callbridge_bridge_slow_consumer_closes_total") or 0) - closes_before
        for connection in stuck:
            connection.sock.close()

        def p99(result):
            return result["latency_ms"]["p99"]

        report.figure("subscribers", f"{options.subscribers} ({stuck_count} stuck)")
        for name, result in (("without stuck subscribers", alone), ("with stuck subscribers", with_stuck)):
            latency = result["latency_ms"]
            report.figure(f"delivery {name}", f"p50 {latency['p50']} ms, p99 {latency['p99']} ms, max {latency['max']} ms; "
                          f"{result['frames']['per_s']:.0f} frames/s; missing {result['delivery']['missing']}, "
                          f"duplicates {result['delivery']['duplicates']}; Bridge RSS end {result['rss_kb']['bridge']['end']} kB")
        ratio = p99(with_stuck) / p99(alone) if p99(alone) and p99(with_stuck) else float("inf")
        report.figure("p99 ratio (with / without)", f"{ratio:.2f}")
        report.figure("stuck subscribers closed with 4008", int(closes))
        growth = with_stuck["rss_kb"]["bridge"]["peak"] - alone["rss_kb"]["bridge"]["peak"]
        report.figure("Bridge peak RSS growth over the run without", f"{growth} kB")
        report.check(int(closes) == stuck_count, "every stuck subscriber was closed with 4008")
        report.check(with_stuck["delivery"]["complete"] and alone["delivery"]["complete"],
                     "every reading subscriber got every event of its rooms, once")
        report.timing_check(ratio <= 2.0, "the readers' p99 is within 2x of the run without stuck subscribers")
        # Each stuck subscriber may hold its bound plus what the kernel buffers.
        report.check(growth < 32 * 1024 + stuck_count * 1024, "the Bridge's memory stays bounded")
    report.finish()


if __name__ == "__main__":
    main()
