"""Malformed input at both services: hand-made HTTP requests (request smuggling, bad chunk
sizes, oversized and too many headers, bad request lines, truncated bodies, floods of them)
and WebSocket frames (bad opcodes, RSV bits, fragmented or oversized control frames,
invalid UTF-8, lengths past the limit or past 2^63). Every request gets a 4xx answer with
a JSON `error`, or the connection is closed; never a 5xx, a crash or a hang. Every bad
frame closes its WebSocket with a protocol close code, while a healthy subscriber keeps
receiving. Nothing is published, and both services answer /healthz afterwards."""

import json
import random
import socket
import struct
import time

from common import Report, Stack, arguments, bridge_clients, harness

HTTP_CASES = {
    "Content-Length and Transfer-Encoding": b"POST /webhooks/generic HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                            b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "two different Content-Lengths": b"POST /webhooks/generic HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\n{}",
    "invalid chunk size": b"POST /webhooks/generic HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    "chunk size past 2^63": b"POST /webhooks/generic HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
    "negative Content-Length": b"POST /webhooks/generic HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    "garbage request line": b"HELLO THERE\r\n\r\n",
    "unknown HTTP version": b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n",
    "header without a colon": b"GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n",
    "NUL in a header value": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
    # RFC 9112 5.2: a server either refuses obsolete line folding or reads it as a space.
    "obsolete line folding (may be accepted)": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
    "100 KB header": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n",
    "10,000 headers": b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(10_000)) + b"\r\n",
    "binary garbage": bytes(random.Random(7).randrange(256) for _ in range(4096)),
    "a request line of 100 KB": b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
}


def exchange(port: int, data: bytes, timeout: float) -> tuple[str, bytes]:
    """Sends `data`, half-closes, reads until the server closes or `timeout`. Returns the
    status line ('closed' if the server closed without answering, 'hang' on timeout) and the body."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may close before reading it all
        received = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                return "hang", received
            except OSError:
                break
            if not chunk:
                break
            received += chunk
        else:
            return "hang", received
    if not received:
        return "closed", b""
    head, _, body = received.partition(b"\r\n\r\n")
    return head.split(b"\r\n", 1)[0].decode(errors="replace"), body


def check_http_answer(report: Report, service: str, case: str, status_line: str, body: bytes, answers: dict) -> None:
    answers[status_line.split(" ")[1] if status_line.startswith("HTTP/") else status_line] = \
        answers.get(status_line.split(" ")[1] if status_line.startswith("HTTP/") else status_line, 0) + 1
    if status_line == "hang":
        report.failures.append(f"{service}, {case}: no answer and no close")
        return
    if status_line == "closed":
        return
    code = int(status_line.split(" ")[1])
    if code == 200 and "may be accepted" in case:
        return
    if code >= 500 or code < 400:
        report.failures.append(f"{service}, {case}: answered {status_line}")
        return
    try:
        error = json.loads(body.decode()).get("error")
    except (ValueError, UnicodeDecodeError, AttributeError):
        error = None
    if not error:
        report.failures.append(f"{service}, {case}: {status_line} without a JSON error body ({body[:80]!r})")


WS_CASES = {
    # name: (frame bytes, acceptable close codes)
    "reserved opcode 0x3": (lambda: bridge_clients.client_frame(0x3, b"x"), {1002}),
    "reserved opcode 0xB": (lambda: bridge_clients.client_frame(0xB, b"x"), {1002}),
    "RSV1 set": (lambda: bytes([0xC1]) + bridge_clients.client_frame(0x1, b"{}")[1:], {1002}),
    "fragmented ping": (lambda: bridge_clients.client_frame(0x9, b"x", fin=False), {1002}),
    "ping of 126 bytes": (lambda: bridge_clients.client_frame(0x9, b"x" * 126), {1002}),
    "invalid UTF-8 text": (lambda: bridge_clients.client_frame(0x1, b"\xff\xfe{}"), {1007, 1002}),
    "text over the frame limit": (lambda: bridge_clients.client_frame(0x1, b"x" * 70_000), {1009}),
    "length of 2^63 - 1": (lambda: bytes([0x81, 0xFF]) + struct.pack("!Q", 2**63 - 1) + b"\0\0\0\0", {1009, 1002}),
    "unmasked client frame": (lambda: bytes([0x81, 0x02]) + b"{}", {1002}),
    "continuation without a start": (lambda: bridge_clients.client_frame(0x0, b"x"), {1002}),
    # Checked on each fragment, before NIO's aggregator merges them (the merged frame has no
    # mask and no RSV bits of its own).
    "RSV1 on a continuation": (lambda: bridge_clients.client_frame(0x1, b'{"ty', fin=False)
                               + bytes([0xC0]) + bridge_clients.client_frame(0x0, b'pe":1}')[1:], {1002}),
    "unmasked continuation": (lambda: bridge_clients.client_frame(0x1, b'{"ty', fin=False) + bytes([0x80, 0x06]) + b'pe":1}', {1002}),
    "close code 1005": (lambda: bridge_clients.client_frame(0x8, struct.pack("!H", 1005)), {1002}),
    "close code 5000": (lambda: bridge_clients.client_frame(0x8, struct.pack("!H", 5000)), {1002}),
    "close with a 1-byte payload": (lambda: bridge_clients.client_frame(0x8, b"\x03"), {1002}),
    "close reason not UTF-8": (lambda: bridge_clients.client_frame(0x8, struct.pack("!H", 1000) + b"\xff"), {1007}),
}


def ws_attack(bridge: harness.Bridge, frame: bytes, timeout: float = 10) -> int | str:
    """Opens an admin /ws by hand, sends `frame`; returns the close code the server sent,
    'eof' if it only closed the connection, or 'open' if neither happened in time."""
    upgrade = bridge_clients.raw_upgrade("127.0.0.1", bridge.port, f"/ws?token={bridge_clients.admin_token()}")
    assert upgrade.status == 101, upgrade.status
    try:
        upgrade.sock.sendall(frame)
        reader = bridge_clients.FrameReader(upgrade.sock, upgrade.leftover)
        deadline = time.monotonic() + timeout
        while True:
            result = reader.next_frame(deadline)
            if result is None:
                return "eof" if reader.eof else "open"
            opcode, payload = result
            if opcode == 0x8:
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
    finally:
        upgrade.sock.close()


def main() -> None:
    options = arguments(__doc__, quick={"flood": 300}, full={"flood": 5000})
    report = Report("malformed_input", options)
    with Stack() as stack:
        bridge, ingest = stack.bridge, stack.ingest
        end_offsets_before = len(stack.topic_event_ids())
        watcher = bridge_clients.WsClient(bridge.ws_url, bridge_clients.admin_token())
        watcher.next("snapshot")
        answers: dict[str, int] = {}
        for service, port in (("Ingest", ingest.port), ("Bridge", bridge.port)):
            for case, data in HTTP_CASES.items():
                status_line, body = exchange(port, data, timeout=15)
                check_http_answer(report, service, case, status_line, body, answers)
        report.figure("HTTP cases (both services)", f"{2 * len(HTTP_CASES)}; answers {answers}")

        started = time.monotonic()
        flood_answers: dict[str, int] = {}
        cases = list(HTTP_CASES.items())
        for index in range(options.flood):
            case, data = cases[index % len(cases)]
            port = ingest.port if index % 2 else bridge.port
            status_line, body = exchange(port, data, timeout=15)
            check_http_answer(report, "flood", case, status_line, body, flood_answers)
        report.figure("flood of malformed requests", f"{options.flood} in {time.monotonic() - started:.1f} s; answers {flood_answers}")

        closes: dict[str, object] = {}
        for case, (make, codes) in WS_CASES.items():
            code = ws_attack(bridge, make())
            closes[case] = code
            if code not in codes and code != "eof":
                report.failures.append(f"WebSocket, {case}: closed with {code}, expected one of {sorted(codes)}")
        report.figure("WebSocket close codes", closes)

        call = bridge_clients.new_id("after-attacks")
        bridge_clients.post_call(ingest, "started", call, bridge_clients.new_id("acme"))
        healthy = [bridge_clients.event_call_id(m) for m in watcher.events_for({call}, 1)] == [call]
        watcher.close()
        published = len(stack.topic_event_ids()) - end_offsets_before - 1
        report.check(not report.failures, "every malformed request got a 4xx with a JSON error or a close, never a 5xx or a hang")
        report.check(healthy, "a subscriber connected throughout still receives events")
        report.check(harness.http_get(ingest.url + "/healthz")[0] == 200 and harness.http_get(bridge.url + "/healthz")[0] == 200,
                     "both services answer /healthz afterwards")
        report.check(published == 0, f"nothing was published by malformed input ({published} records)")
    report.finish()


if __name__ == "__main__":
    main()
