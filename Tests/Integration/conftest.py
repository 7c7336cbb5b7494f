import base64
import sys
from pathlib import Path

import pytest
from nacl.signing import SigningKey

sys.path.insert(0, str(Path(__file__).parent))

from harness import CONTRACT_VIOLATIONS, Bridge, Broker, Ingest, TopicReader, temp_dir  # noqa: E402

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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.call_failed = report.failed
    return report


@pytest.fixture(autouse=True)
def contract_violations(request):
    """Fails a test during which a message broke docs/schema/ on a thread that could not raise
    (the checks themselves are in harness.py and bridge_clients.py); a test that failed
    already (most violations raise where the message is read) is not reported twice."""
    before = len(CONTRACT_VIOLATIONS)
    yield
    found = CONTRACT_VIOLATIONS[before:]
    if not getattr(request.node, "call_failed", False):
        assert not found, f"{len(found)} message(s) broke the contract's schemas: {found[:3]}"


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


def reader_from_now(broker, topic):
    """A reader of `topic` that sees only what is written after the test starts."""
    reader = TopicReader(broker.bootstrap, topic)
    reader.mark()
    yield reader
    reader.close()


@pytest.fixture()
def lifecycle(broker):
    yield from reader_from_now(broker, TOPIC)


@pytest.fixture()
def dead_letters(broker):
    yield from reader_from_now(broker, DEAD_LETTER_TOPIC)


@pytest.fixture(scope="session")
def bridge(broker, ingest, workdir):
    """The shared Bridge. It depends on `ingest`, which creates the topic before the Bridge
    starts. Tests select what they check by call ids (or client ids) they generate."""
    bridge = Bridge(broker, workdir, BRIDGE_JWT_SECRET).start()
    yield bridge
    status = bridge.stop()
    assert status == 0, f"Bridge did not exit cleanly on SIGTERM (status {status}):\n{bridge.log()[-3000:]}"
