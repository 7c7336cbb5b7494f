"""Soak: a steady webhook rate for a long time with many subscribers (default 30 minutes at
500 events/s, 2,000 subscribers). Prints a line of figures each minute (frames/s, the
slowest delivery of the minute, CPU and memory of the Bridge, Ingest and the broker) and
checks at the end that no event was lost or doubled and that the Bridge's memory stayed flat
after the warm-up. For the embedded broker, full runs batch webhooks for 500 ms in Ingest
(--linger-ms), use 8 partitions and let the Bridge's fetches wait 100 ms (--partitions,
--fetch-wait-ms); room
histories hold 100 events (--history-events), so they fill within the warm-up; Ingest accepts
signatures as old as the run (the load tool signs every webhook before it starts)."""

import time
from pathlib import Path

from common import Report, Stack, arguments, process_tree, rss_kib, run_load


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / 100


def main() -> None:
    options = arguments(__doc__, quick={"minutes": 2.0, "rate": 200.0, "subscribers": 500, "partitions": 6,
                                        "fetch_wait_ms": 5, "history_events": 100, "linger_ms": 1},
                        full={"minutes": 30.0, "rate": 500.0, "subscribers": 2000, "partitions": 8,
                              "fetch_wait_ms": 100, "history_events": 100, "linger_ms": 500})
    report = Report("soak", options)
    client_ids = max(1, options.subscribers // 4)
    # The embedded broker lists every stored batch of a partition to answer a fetch with data
    # in it, and holds every fetch for the whole fetch wait: its work grows with fetches x
    # batches stored, so a long run at full rate needs fewer, larger batches (Ingest's linger)
    # and fewer fetches (docs/reliability.md, "The soak").
    # Room histories grow until each holds --history-events; the memory check starts after
    # the warm-up, so they must fill within it.
    fill_seconds = options.history_events * (client_ids / options.rate)
    report.figure("room histories full after", f"about {fill_seconds:.0f} s ({options.history_events} events per room, "
                  f"{client_ids} client rooms at {options.rate / client_ids:.2f} events/s each)")
    bridge_args = ["--kafka-fetch-max-wait-ms", str(options.fetch_wait_ms), "--history-events", str(options.history_events)]
    # The load tool signs every webhook before it starts timing: a run longer than Ingest's
    # signature tolerance (300 s) would see its later webhooks refused as replays.
    ingest_args = ["--signature-tolerance-seconds", str(int(max(300, options.minutes * 60 + 600))),
                   "--kafka-linger-ms", str(options.linger_ms)]
    # One webhook in flight per sender connection, each answered after the linger and Kafka's
    # ack: enough senders for the rate with a second of answer time to spare.
    senders = max(64, int(options.rate * (options.linger_ms / 1000 + 1)))
    with Stack(partitions=options.partitions, bridge_args=bridge_args, ingest_args=ingest_args) as stack:
        processes = {"bridge": [stack.bridge.process.popen.pid], "ingest": [stack.ingest.process.popen.pid],
                     "broker": process_tree(stack.broker.process.popen.pid)}
        samples: list[dict] = []
        state = {"seconds": 0, "last_cpu": {name: cpu_seconds(pids) for name, pids in processes.items()},
                 "last_at": time.monotonic(), "max_e2e": 0.0, "frames": 0}

        def progress(line: str) -> None:
            if " frames/s," not in line:
                return
            parts = line.split()
            state["frames"] += int(parts[3])
            state["max_e2e"] = max(state["max_e2e"], float(line.split("max e2e")[1].split("ms")[0]))
            state["seconds"] += 1
            if state["seconds"] % 60:
                return
            now = time.monotonic()
            sample = {"minute": state["seconds"] // 60, "frames_per_s": state["frames"] / 60,
                      "max_e2e_ms": state["max_e2e"]}
            for name, pids in processes.items():
                cpu = cpu_seconds(pids)
                sample[f"{name}_cpu_pct"] = 100 * (cpu - state["last_cpu"][name]) / (now - state["last_at"])
                sample[f"{name}_rss_mib"] = sum(rss_kib(pid) for pid in pids) / 1024
                state["last_cpu"][name] = cpu
            state.update(last_at=now, max_e2e=0.0, frames=0)
            samples.append(sample)
            print("  minute {minute:3d}: {frames_per_s:9.0f} frames/s, slowest delivery {max_e2e_ms:8.1f} ms, "
                  "Bridge {bridge_cpu_pct:5.1f} % CPU {bridge_rss_mib:7.1f} MiB, Ingest {ingest_cpu_pct:5.1f} % "
                  "{ingest_rss_mib:6.1f} MiB, broker {broker_cpu_pct:5.1f} % {broker_rss_mib:7.1f} MiB".format(**sample),
                  flush=True)

        admins = max(1, options.subscribers // 100)
        result = run_load(stack, "--admin", str(admins), "--clients", str(options.subscribers - admins),
                          "--client-ids", str(client_ids), "--rate", str(options.rate),
                          "--warmup", "10", "--duration", str(options.minutes * 60), "--drain", "60",
                          "--connect-concurrency", "200", "--senders", str(senders), progress=progress)

        delivery = result["delivery"]
        latency = result["latency_ms"]
        events = result["events"]
        report.figure("webhooks accepted", f"{events['accepted']} of {events['scheduled']} "
                      f"(not 202: {events['non_202']}, errors: {events['errors']}, sent again on a new connection after "
                      f"Ingest closed an idle one under them: {events.get('sender_retries', 0)})")
        report.figure("frames delivered", delivery["delivered"])
        report.figure("delivery latency over the run", f"p50 {latency['p50']} ms, p99 {latency['p99']} ms, max {latency['max']} ms")
        report.figure("missing / duplicates / misrouted", f"{delivery['missing']} / {delivery['duplicates']} / {delivery['misrouted']}")
        warm_up_minutes = max(2, int(fill_seconds // 60) + 1)
        warm = [s["bridge_rss_mib"] for s in samples[min(warm_up_minutes, len(samples) - 1):]] if samples else []
        if warm:
            report.figure("Bridge RSS after warm-up (first, last, max)", f"{warm[0]:.1f}, {warm[-1]:.1f}, {max(warm):.1f} MiB")
        report.check(result["events"]["non_202"] == 0 and result["events"]["errors"] == 0, "every webhook was answered 202")
        report.check(delivery["complete"], "no event lost, doubled or misrouted for any subscriber")
        report.check(bool(warm) and max(warm) <= warm[0] * 1.2 + 16, "the Bridge's memory is flat after the warm-up (within 20 %)")
    report.finish()


if __name__ == "__main__":
    main()
