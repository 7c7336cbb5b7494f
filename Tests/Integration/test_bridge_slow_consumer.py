"""A subscriber that stops reading is closed with 4008 once its outbound queue passes the
bound, while the other subscribers keep receiving every event."""

import json
import threading
import time

from confluent_kafka import Producer

from bridge_clients import (Closed, FrameReader, WsClient, admin_token, bridge_on_own_broker, client_frame, client_token,
                            cloud_event, metric, new_id, produce_events, raw_upgrade)
from conftest import TOPIC

BATCH = 200
MAX_BATCHES = 80  # 16,000 events of ~1 KB: far past any socket buffer plus a 64 KiB bound


class Reader:
    """A client that reads continuously on its own thread (as a healthy dashboard does) and
    records the ids of the events it receives."""

    def __init__(self, client: WsClient):
        self.client = client
        client.next("snapshot")
        self.ids: list[str] = []
        self.close_code = None
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopping.is_set():
            try:
                message = self.client.recv(0.5)
            except TimeoutError:
                continue
            except Closed as closed:
                self.close_code = closed.code
                return
            if message.get("type") == "event":
                with self.lock:
                    self.ids.append(message["event"]["id"])

    def wait_for(self, ids: set[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                missing = ids - set(self.ids)
            if not missing:
                return
            assert self.close_code is None, f"a reading client was closed with {self.close_code}"
            time.sleep(0.02)
        raise AssertionError(f"{len(missing)} of {len(ids)} events did not reach a reading client within {timeout}s")

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=5)
        self.client.close()


def slow_closes(bridge) -> float:
    return metric(bridge.metrics(), "callbridge_bridge_slow_consumer_closes_total") or 0.0


def test_stuck_subscriber_is_closed_with_4008_and_others_get_everything():
    with bridge_on_own_broker("stuck", partitions=6, extra_args=["--outbound-limit-bytes", "65536"], check_exit=True) as (broker, bridge):
        client_id = new_id("stuck")
        room = f"client:{client_id}"

        # The stuck subscriber: a tiny receive window, upgraded by hand, then never read.
        stuck = raw_upgrade("127.0.0.1", bridge.port, f"/ws?token={client_token(client_id)}", rcvbuf=4096)
        assert stuck.status == 101, (stuck.status, stuck.body)
        readers = [Reader(WsClient(bridge.ws_url, client_token(client_id))), Reader(WsClient(bridge.ws_url, admin_token()))]
        before = slow_closes(bridge)

        producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 5, "acks": "all"})
        produced: list[str] = []
        overflowed_at = None
        for batch in range(MAX_BATCHES):
            events = [cloud_event("ended", new_id(f"stuck-{batch}"), client_id, pad=400) for _ in range(BATCH)]
            produce_events(producer, TOPIC, events)
            produced += [e["id"] for e in events]
            for reader in readers:
                reader.wait_for({e["id"] for e in events}, timeout=60)
            if slow_closes(bridge) > before:
                overflowed_at = time.monotonic()
                break
        assert overflowed_at is not None, (f"{len(produced)} events (~{len(produced)} KB) never overflowed a "
                                           f"64 KiB outbound bound: {slow_closes(bridge)} slow-consumer closes")

        # The stuck client now reads what was buffered for it: frames, then a 4008 close
        # frame, before the 5 s grace period ends.
        reader = FrameReader(stuck.sock, stuck.leftover)
        deadline = overflowed_at + 4.5
        close_code = None
        text_frames = 0
        while True:
            frame = reader.next_frame(deadline)
            if frame is None:
                break
            opcode, payload = frame
            if opcode == 0x8:
                close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                break
            if opcode == 0x9:  # ping: answer, like any client
                stuck.sock.sendall(client_frame(0xA, payload))
                continue
            assert opcode == 0x1, f"unexpected opcode {opcode}"
            message = json.loads(payload)
            assert message["type"] in ("snapshot", "event"), message
            text_frames += 1
        assert close_code == 4008, (f"expected a 4008 close frame within the grace period; got "
                                    f"{'EOF' if reader.eof else 'nothing'} after {text_frames} frames (close code {close_code})")
        assert text_frames < len(produced) + 1, "the stuck client was sent everything: no bound applied"
        print(f"overflowed after {len(produced)} events; the stuck client then read {text_frames} frames and 4008 "
              f"{time.monotonic() - overflowed_at:.2f}s after the overflow was counted")
        stuck.sock.close()

        # The others are unaffected: they received every event once, and still receive new ones.
        events = [cloud_event("started", new_id("stuck-after"), client_id) for _ in range(50)]
        produce_events(producer, TOPIC, events)
        for reader in readers:
            reader.wait_for({e["id"] for e in events}, timeout=30)
        time.sleep(0.3)
        for reader in readers:
            reader.stop()
            assert reader.close_code is None, f"a reading client was closed: {reader.close_code}"
            assert len(reader.ids) == len(set(reader.ids)), "an event was delivered twice"
            assert set(reader.ids) == set(produced) | {e["id"] for e in events}
        assert slow_closes(bridge) == before + 1, "only the stuck client was closed as slow"


def test_a_burst_larger_than_the_bound_reaches_a_client_that_reads():
    """One fan-out batch bigger than the outbound bound (a burst of records fetched
    together) is written to a reading client, not counted against it: the bound is what
    the socket would not take, checked once the batch is flushed."""
    with bridge_on_own_broker("burst", partitions=1, extra_args=["--outbound-limit-bytes", "65536"], check_exit=True) as (broker, bridge):
        client_id = new_id("burst")
        readers = [Reader(WsClient(bridge.ws_url, client_token(client_id))), Reader(WsClient(bridge.ws_url, admin_token()))]
        # Held back by the producer and sent as one batch: the Bridge fetches it at once.
        producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 200, "acks": "all"})
        produced: list[str] = []
        for burst in range(8):
            events = [cloud_event("ended", new_id(f"burst-{burst}"), client_id, pad=400) for _ in range(1000)]
            produce_events(producer, TOPIC, events)
            produced += [e["id"] for e in events]
            for reader in readers:
                reader.wait_for({e["id"] for e in events}, timeout=60)
        for reader in readers:
            reader.stop()
            assert reader.close_code is None, f"a reading client was closed: {reader.close_code}"
            assert sorted(reader.ids) == sorted(produced)
        assert slow_closes(bridge) == 0, "a client that reads was closed as slow"
