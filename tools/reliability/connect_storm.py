"""Connect storm: many dashboards connect in a burst (default 10,000), each gets its
snapshot; events flow; then all drop and reconnect at once with the position they last saw
(`since`), and each must get exactly what it missed and `resumed`."""

import asyncio
import json
import resource
import time

import websockets

from common import Report, Stack, arguments, bridge_clients, percentile, rss_kib


async def connect(url: str, since: str | None, timeout: float):
    """Opens a /ws connection (with `since`) and reads up to the snapshot or `resumed`."""
    started = time.monotonic()
    query = url + (f"&since={since}" if since else "")
    socket = await websockets.connect(query, open_timeout=timeout, max_queue=None, ping_interval=None)
    missed = 0
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), timeout))
        if message["type"] == "event":
            missed += 1
            continue
        return socket, message, time.monotonic() - started, missed


async def storm(url: str, count: int, concurrency: int, since: list | None, timeout: float):
    limit = asyncio.Semaphore(concurrency)

    async def one(index: int):
        async with limit:
            try:
                return await connect(url, since[index] if since else None, timeout)
            except Exception as error:  # noqa: BLE001 - counted as a failure
                return error
    started = time.monotonic()
    results = await asyncio.gather(*(one(i) for i in range(count)))
    return results, time.monotonic() - started


async def run(options, stack, report) -> None:
    bridge = stack.bridge
    client = bridge_clients.new_id("storm")
    url = f"{bridge.ws_url}/ws?token={bridge_clients.client_token(client)}"
    results, took = await storm(url, options.connections, options.concurrency, None, 30)
    sockets = [r for r in results if not isinstance(r, Exception)]
    failures = [r for r in results if isinstance(r, Exception)]
    report.figure("connections", options.connections)
    report.figure("burst: all snapshots in", f"{took:.2f} s ({len(failures)} failed{': ' + repr(failures[0])[:200] if failures else ''})")
    report.figure("burst: connect to snapshot", f"p50 {percentile([r[2] for r in sockets], 0.5) * 1000:.0f} ms, "
                  f"p99 {percentile([r[2] for r in sockets], 0.99) * 1000:.0f} ms")
    report.figure("Bridge RSS with all connected", f"{rss_kib(bridge.process.popen.pid) / 1024:.1f} MiB")
    report.check(not failures, "every connection of the burst got its snapshot")
    positions = [r[1]["position"] for r in sockets]

    # Events the dashboards will miss while they are away.
    for socket, *_ in sockets:
        await socket.close()
    calls = [bridge_clients.new_id("missed") for _ in range(options.missed)]
    for call in calls:
        bridge_clients.post_call(stack.ingest, "started", call, client)
    await asyncio.sleep(1)

    results, took = await storm(url, len(positions), options.concurrency, positions, 60)
    back = [r for r in results if not isinstance(r, Exception)]
    failures = [r for r in results if isinstance(r, Exception)]
    resumed = [r for r in back if r[1]["type"] == "resumed" and r[3] == options.missed]
    report.figure("reconnect with since: all answered in", f"{took:.2f} s ({len(failures)} failed)")
    report.figure("resumed with exactly the missed events", f"{len(resumed)} of {len(positions)}")
    report.figure("reconnect to resumed", f"p50 {percentile([r[2] for r in back], 0.5) * 1000:.0f} ms, "
                  f"p99 {percentile([r[2] for r in back], 0.99) * 1000:.0f} ms")
    report.check(len(resumed) == len(positions), "every dashboard resumed with exactly the events it missed")
    for socket, *_ in back:
        await socket.close()


def main() -> None:
    options = arguments(__doc__, quick={"connections": 1000, "concurrency": 200, "missed": 5},
                        full={"connections": 10000, "concurrency": 1000, "missed": 5})
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    report = Report("connect_storm", options)
    with Stack() as stack:
        asyncio.run(run(options, stack, report))
    report.finish()


if __name__ == "__main__":
    main()
