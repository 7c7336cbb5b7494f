"""Headless Chromium (Debian's `chromium`) driven over the DevTools protocol with
websocket-client: the real browser of the dashboard and Socket.IO client tests."""

import base64
import functools
import http.server
import json
import shutil
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import websocket

from harness import free_port, wait_until


class PageServer:
    """Serves test pages from another origin (another port), as dashboards are deployed."""

    def __init__(self, folder: Path, files: dict[str, bytes]):
        for name, content in files.items():
            (folder / name).write_bytes(content)
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        handler.log_message = lambda *args: None
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Chrome:
    """One headless Chromium page, driven through the DevTools protocol."""

    def __init__(self, workdir, state: str = "null"):
        if CHROMIUM is None:
            pytest.fail("chromium is not installed (scripts/setup.sh installs Debian's chromium)")
        self.port = free_port()
        self.log_file = open(workdir / f"chromium-{self.port}.log", "ab")
        self.process = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--disable-extensions", "--no-first-run", "--no-default-browser-check", "--mute-audio",
             f"--remote-debugging-port={self.port}", "--remote-allow-origins=*",
             f"--user-data-dir={workdir / f'chromium-profile-{self.port}'}", "about:blank"],
            stdout=self.log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        target = None
        while time.monotonic() < deadline and target is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=2) as response:
                    pages = [t for t in json.loads(response.read()) if t.get("type") == "page"]
                    target = pages[0] if pages else None
            except OSError:
                time.sleep(0.2)
        assert target is not None, "chromium's DevTools endpoint did not come up"
        self.ws = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []
        # A JavaScript expression describing the page, shown when a wait fails.
        self.state = state
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.call("Network.enable")

    def call(self, method: str, **params):
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 15, what: str = ""):
        """Waits until `expression` is truthy; on failure, shows the page's ``state`` expression."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        state = self.evaluate(self.state)
        raise AssertionError(f"{what or expression} not true within {timeout}s; page state: {json.dumps(state)[:3000]}")

    def log_of(self, name: str) -> list[dict]:
        """The page's `window.logs[name]`: what a test page's client recorded."""
        return self.evaluate(f"window.logs[{json.dumps(name)}] || []")

    def wait_log(self, name: str, predicate, what: str, timeout: float = 20) -> list[dict]:
        result = {}

        def check():
            result["log"] = self.log_of(name)
            return predicate(result["log"])

        try:
            wait_until(check, timeout, what=f"{name}: {what}")
        except TimeoutError as error:
            raise TimeoutError(f"{error}; log so far: {json.dumps(result.get('log'))[:3000]}") from None
        return result["log"]

    def navigate(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def websocket_urls(self) -> list[str]:
        return [e["params"]["url"] for e in self.events if e.get("method") == "Network.webSocketCreated"]

    def console_errors(self) -> list[str]:
        out = []
        for e in self.events:
            if e.get("method") == "Runtime.exceptionThrown":
                out.append(json.dumps(e["params"]["exceptionDetails"])[:500])
        return out

    # ---- for the dashboard tests

    def enable_log(self) -> None:
        """Browser log entries (a resource that failed to load, such as a missing favicon; a
        refused WebSocket handshake) arrive as `Log.entryAdded` once the Log domain is on."""
        self.call("Log.enable")

    def console_messages(self, levels: tuple[str, ...] = ("error",)) -> list[str]:
        """What the page's console showed at these levels: uncaught exceptions,
        `console.error` (and `console.assert`), and the browser's own log entries (after
        ``enable_log``). Reads pending protocol events first."""
        self.evaluate("true")
        console_types = {"error": ("error", "assert"), "warning": ("warning",), "info": ("info", "log")}
        wanted_types = {t for level in levels for t in console_types.get(level, ())}
        out = []
        for e in self.events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.exceptionThrown" and "error" in levels:
                out.append("exception: " + json.dumps(params.get("exceptionDetails"))[:500])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in wanted_types:
                texts = [str(a.get("value", a.get("description", ""))) for a in params.get("args", [])]
                out.append(f"console.{params.get('type')}: {' '.join(texts)}"[:500])
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") in levels:
                entry = params["entry"]
                out.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}"[:500])
        return out

    def websocket_frames(self, direction: str = "sent") -> list[str]:
        """The payloads of the page's WebSocket frames, `sent` or `received`, in order."""
        method = {"sent": "Network.webSocketFrameSent", "received": "Network.webSocketFrameReceived"}[direction]
        self.evaluate("true")
        return [e["params"]["response"].get("payloadData", "") for e in self.events if e.get("method") == method]

    def requests(self) -> list[str]:
        """The URLs of every request the page made (documents, scripts, icons, fetches)."""
        self.evaluate("true")
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def set_viewport(self, width: int, height: int) -> None:
        """Emulates a window of this size in CSS pixels; it holds across navigations."""
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def screenshot(self, path, full_page: bool = True) -> None:
        """Writes a PNG of the page (the whole page, or the viewport) to `path`."""
        params: dict = {"format": "png"}
        if full_page:
            width, height = self.evaluate("[window.innerWidth, document.documentElement.scrollHeight]")
            params.update(captureBeyondViewport=True, clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})
        data = self.call("Page.captureScreenshot", **params)["data"]
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except Exception:  # noqa: BLE001
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log_file.close()

