import base64
import sys
from pathlib import Path

import pytest
from nacl.signing import SigningKey

sys.path.insert(0, str(Path(__file__).parent))

from harness import Bridge, Broker, Ingest, TopicReader, temp_dir  # noqa: E402

TELNYX_KEY = SigningKey.generate()

# Test-only secrets, never real ones.
SECRETS = {
    "TWILIO_AUTH_TOKEN": "twilio-test-auth-token-0123456789",
    "VAPI_SECRET": "vapi-test-secret-abcdef",
    "RETELL_API_KEY": "key_retell_test_0123",
    "TELNYX_PUBLIC_KEY": base64.b64encode(TELNYX_KEY.verify_key.encode()).decode(),
    "GENERIC_WEBHOOK_SECRET": "generic-test-secret-xyz",
    "CALLER_HASH_KEY": "caller-hash-test-key",
}
PUBLIC_BASE_URL = "https://hooks.example.com"
TOPIC = "calls.lifecycle.v1"
DEAD_LETTER_TOPIC = "calls.deadletter.v1"
# The Bridge's HS256 key of dashboard tokens (test-only). Kept out of SECRETS, which are Ingest's.
BRIDGE_JWT_SECRET = "bridge-test-jwt-secret-4f1c9a7e2b-0123456789abcdef-0123456789abcdef"


@pytest.fixture(scope="session")
def workdir() -> Path:
    return temp_dir("callbridge-it-")


@pytest.fixture(scope="session")
def broker(workdir):
    directory = workdir / "shared-broker"
    directory.mkdir()
    broker = Broker(directory).start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def ingest(broker, workdir):
    ingest = Ingest(broker, workdir, SECRETS, extra_env={"PUBLIC_BASE_URL": PUBLIC_BASE_URL}).start()
    yield ingest
    status = ingest.stop()
    assert status == 0, f"Ingest did not exit cleanly on SIGTERM (status {status}):\n{ingest.process.log()[-3000:]}"


@pytest.fixture()
def lifecycle(broker):
    reader = TopicReader(broker.bootstrap, TOPIC)
    reader.mark()
    yield reader
    reader.close()


@pytest.fixture()
def dead_letters(broker):
    reader = TopicReader(broker.bootstrap, DEAD_LETTER_TOPIC)
    reader.mark()
    yield reader
    reader.close()


@pytest.fixture(scope="session")
def bridge(broker, ingest, workdir):
    """The shared Bridge. It depends on `ingest`, which creates the topic before the Bridge
    starts. Tests select what they check by call ids (or client ids) they generate."""
    bridge = Bridge(broker, workdir, BRIDGE_JWT_SECRET).start()
    yield bridge
    status = bridge.stop()
    assert status == 0, f"Bridge did not exit cleanly on SIGTERM (status {status}):\n{bridge.log()[-3000:]}"
