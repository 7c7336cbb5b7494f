"""Browsers on other origins (issue #10): `--cors-origins` decides the CORS headers of every
`/socket.io/` answer, errors included, and the answers to preflights; with an allow-list,
the allowed origin is echoed with credentials, and WebSocket upgrades from other origins
are refused with 403. Without the option there are no CORS headers and any origin may
open a WebSocket (a token still decides what it sees)."""

from __future__ import annotations

import json

import pytest
import requests

from bridge_clients import admin_token, raw_upgrade
from conftest import BRIDGE_JWT_SECRET
from harness import Bridge

ALLOWED = "https://dash.example.com"
ALSO_ALLOWED = "http://localhost:5173"
OTHER = "https://evil.example.net"
POLLING = "/socket.io/?EIO=4&transport=polling"


@pytest.fixture(scope="module")
def listed(broker, ingest, workdir):
    """A Bridge with an allow-list (`ingest` creates the topic first)."""
    bridge = Bridge(broker, workdir, BRIDGE_JWT_SECRET, extra_args=["--cors-origins", f"{ALLOWED}, {ALSO_ALLOWED.upper()}"]).start()
    yield bridge
    assert bridge.stop() == 0


@pytest.fixture(scope="module")
def anyone(broker, ingest, workdir):
    bridge = Bridge(broker, workdir, BRIDGE_JWT_SECRET, extra_env={"CORS_ORIGINS": "*"}).start()
    yield bridge
    assert bridge.stop() == 0


def get(bridge, path: str, origin: str | None, method: str = "GET", headers: dict | None = None) -> requests.Response:
    sent = dict(headers or {})
    if origin is not None:
        sent["Origin"] = origin
    return requests.request(method, bridge.url + path, headers=sent, timeout=10)


@pytest.mark.parametrize("origin", [ALLOWED, ALSO_ALLOWED])
def test_an_allowed_origin_is_echoed_with_credentials_on_errors_too(listed, origin):
    handshake = get(listed, POLLING, origin)
    assert handshake.status_code == 200 and handshake.text.startswith("0")
    assert handshake.headers["Access-Control-Allow-Origin"] == origin
    assert handshake.headers["Access-Control-Allow-Credentials"] == "true"
    response = get(listed, POLLING + "&sid=unknown", origin)  # an error, still readable by the page
    assert response.status_code == 400
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in response.headers["Vary"]
    assert json.loads(response.text)["message"] == "Session ID unknown"
    bad_version = get(listed, "/socket.io/?EIO=3&transport=polling", origin)
    assert bad_version.status_code == 400 and bad_version.headers["Access-Control-Allow-Origin"] == origin


def test_another_origin_gets_no_cors_headers(listed):
    for path in (POLLING, POLLING + "&sid=unknown"):
        response = get(listed, path, OTHER)
        assert response.status_code in (200, 400)
        assert "Access-Control-Allow-Origin" not in response.headers


def test_preflights_are_answered_for_allowed_origins_only(listed):
    asked = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    allowed = get(listed, POLLING, ALLOWED, method="OPTIONS", headers=asked)
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert allowed.headers["Access-Control-Allow-Headers"] == "content-type"
    assert "Content-Length" not in allowed.headers
    refused = get(listed, POLLING, OTHER, method="OPTIONS", headers=asked)
    assert refused.status_code == 204 and "Access-Control-Allow-Origin" not in refused.headers


@pytest.mark.parametrize("path", ["/socket.io/?EIO=4&transport=websocket", "/ws"])
def test_with_a_list_upgrades_from_other_origins_are_refused(listed, path):
    query = ("&" if "?" in path else "?") + f"token={admin_token()}"
    refused = raw_upgrade("127.0.0.1", listed.port, path + query, headers={"Origin": OTHER})
    refused.sock.close()
    assert refused.status == 403, refused.status
    assert "origin" in json.loads(refused.body)["error"]
    for origin in (ALLOWED, None):  # an allowed page; a client that is not a browser page
        accepted = raw_upgrade("127.0.0.1", listed.port, path + query, headers={"Origin": origin} if origin else None)
        accepted.sock.close()
        assert accepted.status == 101, (origin, accepted.status)


def test_a_star_allows_every_origin_without_credentials(anyone):
    response = get(anyone, POLLING, OTHER)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    upgraded = raw_upgrade("127.0.0.1", anyone.port, f"/ws?token={admin_token()}", headers={"Origin": OTHER})
    upgraded.sock.close()
    assert upgraded.status == 101


def test_by_default_there_are_no_cors_headers_and_any_origin_may_upgrade(bridge):
    response = get(bridge, POLLING, OTHER)
    assert "Access-Control-Allow-Origin" not in response.headers
    upgraded = raw_upgrade("127.0.0.1", bridge.port, f"/ws?token={admin_token()}", headers={"Origin": OTHER})
    upgraded.sock.close()
    assert upgraded.status == 101
