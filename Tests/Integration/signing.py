"""Sign webhooks the way each provider does: with the provider's own SDK where one exists."""

import base64
import hashlib
import hmac
import json
import time

from retell.lib.webhook_auth import symmetric as retell_webhooks
from twilio.request_validator import RequestValidator

from conftest import PUBLIC_BASE_URL, SECRETS, TELNYX_KEY


def twilio(path_and_query: str, params: dict[str, str], token: str = SECRETS["TWILIO_AUTH_TOKEN"]) -> dict[str, str]:
    """Twilio's own validator computes the signature over the public URL and the params."""
    signature = RequestValidator(token).compute_signature(PUBLIC_BASE_URL + path_and_query, params)
    return {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}


def retell(body: bytes, key: str = SECRETS["RETELL_API_KEY"], timestamp_ms: int | None = None) -> dict[str, str]:
    """retell-sdk's signer: v=<ms>,d=hex(HMAC-SHA256(key, body + ms))."""
    signature = retell_webhooks["sign"](body.decode(), key, timestamp_ms)
    return {"x-retell-signature": signature, "Content-Type": "application/json"}


def telnyx(body: bytes, timestamp: int | None = None, key=TELNYX_KEY) -> dict[str, str]:
    """Ed25519 over "<timestamp>|<body>", signed with PyNaCl."""
    ts = str(timestamp if timestamp is not None else int(time.time()))
    signature = key.sign(ts.encode() + b"|" + body).signature
    return {
        "telnyx-signature-ed25519": base64.b64encode(signature).decode(),
        "telnyx-timestamp": ts,
        "Content-Type": "application/json",
    }


def vapi(secret: str = SECRETS["VAPI_SECRET"]) -> dict[str, str]:
    return {"X-Vapi-Secret": secret, "Content-Type": "application/json"}


def generic(body: bytes, secret: str = SECRETS["GENERIC_WEBHOOK_SECRET"], timestamp: int | None = None) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    digest = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Signature": f"t={ts},v1={digest}", "Content-Type": "application/json"}


def caller_hash(number: str) -> str:
    digits = "".join(c for c in number if c.isdigit())
    return hmac.new(SECRETS["CALLER_HASH_KEY"].encode(), digits.encode(), hashlib.sha256).hexdigest()


def compact(document: dict) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()
