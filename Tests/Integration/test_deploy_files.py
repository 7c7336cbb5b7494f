"""The deployment files in deploy/ checked against what they deploy, where the linters of
scripts/lint-deploy.sh cannot look: every environment variable and flag that the compose file
and the Kubernetes manifests give Ingest or the Bridge is one its --help lists; no secret is
given as a value; ports, probes, Prometheus annotations and the proxy agree with the binaries'
defaults and with each other; the image build's context holds everything the build reads."""

from __future__ import annotations

import fnmatch
import functools
import re
import subprocess
from pathlib import Path

import yaml

from harness import ROOT, bin_path

DEPLOY = ROOT / "deploy"
PRODUCTS = ("Ingest", "Bridge")


@functools.cache
def help_text(product: str) -> str:
    out = subprocess.run([str(bin_path() / product), "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout


def help_env(product: str) -> set[str]:
    """Every variable the help names as `env NAME` (options, and secrets' `instead of env NAME`)."""
    return set(re.findall(r"\benv\s+([A-Z][A-Z0-9_]*)", help_text(product)))


def help_secrets(product: str) -> set[str]:
    """The variables whose value is a secret: those a `--NAME-file` flag stands in for."""
    return set(re.findall(r"instead\s+of\s+env\s+([A-Z][A-Z0-9_]*)", help_text(product)))


def help_flags(product: str) -> set[str]:
    return set(re.findall(r"^\s+(--[a-z][a-z0-9-]*)", help_text(product), re.MULTILINE))


def help_default_port(product: str) -> int:
    return int(re.search(r"env\s+PORT,\s+default\s+(\d+)", help_text(product)).group(1))


def product_of(image: str) -> str | None:
    name = image.rsplit("/", 1)[-1].split(":", 1)[0]
    return {"callbridge-ingest": "Ingest", "callbridge-bridge": "Bridge"}.get(name)


def flags_with_values(arguments: list[str]) -> dict[str, str | None]:
    """`--flag value` and `--flag=value` pairs of a command line."""
    flags: dict[str, str | None] = {}
    for index, argument in enumerate(arguments):
        if not argument.startswith("--"):
            continue
        name, _, value = argument.partition("=")
        if not value and index + 1 < len(arguments) and not arguments[index + 1].startswith("--"):
            value = arguments[index + 1]
        flags[name] = value or None
    return flags


def test_the_binaries_document_what_these_checks_read():
    for product in PRODUCTS:
        assert {"HOST", "PORT", "KAFKA_BROKERS", "LOG_LEVEL"} <= help_env(product), product
        assert help_secrets(product), f"{product} --help names no secret variable"
        assert "--port" in help_flags(product)
    assert help_default_port("Ingest") == 8080 and help_default_port("Bridge") == 8081
    assert help_secrets("Bridge") == {"BRIDGE_JWT_SECRET"}


# --- compose -------------------------------------------------------------------------------

@functools.cache
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def compose_services_by_product() -> dict[str, dict[str, dict]]:
    found: dict[str, dict[str, dict]] = {product: {} for product in PRODUCTS}
    for name, service in compose()["services"].items():
        product = product_of(service.get("image", ""))
        if product:
            found[product][name] = service
    return found


def test_compose_runs_two_of_each_with_options_the_binaries_know():
    for product, services in compose_services_by_product().items():
        assert len(services) == 2, f"{product}: {sorted(services)}"
        for name, service in services.items():
            environment = service.get("environment", {})
            assert set(environment) <= help_env(product), f"{name}: {set(environment) - help_env(product)}"
            secret_variables = set(environment) & help_secrets(product)
            assert not secret_variables, f"{name} sets secrets in its environment: {secret_variables}"
            flags = flags_with_values(service.get("command", []))
            assert set(flags) <= help_flags(product), f"{name}: {set(flags) - help_flags(product)}"
            mounted = set(service.get("secrets", []))
            for flag, path in flags.items():
                if flag.endswith("-file"):
                    assert path and path.startswith("/run/secrets/"), f"{name} {flag} {path}"
                    assert path.removeprefix("/run/secrets/") in mounted, f"{name}: {path} is not a mounted secret"
    # The Bridge cannot start without its token key: every Bridge gets it, as a file.
    for name, service in compose_services_by_product()["Bridge"].items():
        assert "--jwt-secret-file" in flags_with_values(service["command"]), name


def test_compose_secrets_are_files_kept_out_of_git_and_the_image_context():
    secrets = compose()["secrets"]
    assert secrets
    for name, secret in secrets.items():
        assert set(secret) == {"file"}, f"secret {name} must come from a file, not {secret}"
        path = (DEPLOY / secret["file"]).resolve()
        assert path.parent == DEPLOY / "secrets", f"secret {name} outside deploy/secrets: {path}"
        relative = str(path.relative_to(ROOT))
        ignored = subprocess.run(["git", "check-ignore", "-q", relative], cwd=ROOT)
        assert ignored.returncode == 0, f"{relative} is not ignored by git"
        assert dockerignore_excludes(relative), f"{relative} would be in the image build's context"
    used = {secret for service in compose()["services"].values() for secret in service.get("secrets", [])}
    assert used <= set(secrets), used - set(secrets)


def test_the_proxy_reaches_every_compose_instance_on_its_port_and_sticks_bridges():
    config = (DEPLOY / "haproxy" / "haproxy.cfg").read_text()
    backends = {match.group(1): match.group(2) for match in re.finditer(r"^backend (\S+)\n(.*?)(?=^\S|\Z)", config, re.M | re.S)}
    for product, backend in (("Ingest", "ingest"), ("Bridge", "bridge")):
        body = backends[backend]
        servers = {name: (host, int(port)) for name, host, port in re.findall(r"^\s+server (\S+) ([^\s:]+):(\d+)", body, re.M)}
        services = compose_services_by_product()[product]
        assert {host for host, _ in servers.values()} == set(services), f"{backend}: {servers} against {sorted(services)}"
        for name, service in services.items():
            port = int(service.get("environment", {}).get("PORT", help_default_port(product)))
            assert (name, port) in servers.values(), f"the proxy does not reach {name}:{port}"
        assert re.search(r"option httpchk GET /readyz", body), f"{backend} is not checked on /readyz"
    bridge = backends["bridge"]
    assert re.search(r"^\s+cookie \S+ insert", bridge, re.M), "Bridges are not sticky by cookie"
    assert all(" cookie " in line for line in bridge.splitlines() if line.strip().startswith("server "))


# --- Kubernetes ----------------------------------------------------------------------------

@functools.cache
def manifests() -> list[dict]:
    documents = []
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        documents += [document for document in yaml.safe_load_all(path.read_text()) if document]
    return documents


def of_kind(kind: str) -> list[dict]:
    return [document for document in manifests() if document["kind"] == kind]


def config_map(name: str) -> dict:
    return next(document for document in of_kind("ConfigMap") if document["metadata"]["name"] == name)


def deployments_by_product() -> dict[str, tuple[dict, dict]]:
    found = {}
    for deployment in of_kind("Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            product = product_of(container["image"])
            if product:
                found[product] = (deployment, container)
    assert set(found) == set(PRODUCTS), sorted(found)
    return found


def container_environment(container: dict) -> dict[str, dict]:
    """Every variable the container gets: its `env` entries, and each key of its ConfigMaps."""
    environment = {entry["name"]: entry for entry in container.get("env", [])}
    for source in container.get("envFrom", []):
        assert "configMapRef" in source, f"only ConfigMaps are read whole: {source}"
        for key, value in config_map(source["configMapRef"]["name"]).get("data", {}).items():
            environment.setdefault(key, {"name": key, "value": value})
    return environment


def test_no_secret_is_written_in_the_manifests():
    for secret in of_kind("Secret"):
        assert not secret.get("data") and not secret.get("stringData"), f"Secret {secret['metadata']['name']} holds values"
    for product, (_, container) in deployments_by_product().items():
        for name, entry in container_environment(container).items():
            if name in help_secrets(product):
                assert "secretKeyRef" in entry.get("valueFrom", {}), f"{product}: {name} is not taken from a Secret"
        for data in [document.get("data", {}) for document in of_kind("ConfigMap")]:
            assert not set(data) & help_secrets(product), f"a ConfigMap holds {set(data) & help_secrets(product)}"


def test_manifests_give_only_options_the_binaries_know():
    for product, (deployment, container) in deployments_by_product().items():
        environment = container_environment(container)
        assert set(environment) <= help_env(product), f"{product}: {set(environment) - help_env(product)}"
        arguments = container.get("command", []) + container.get("args", [])
        flags = flags_with_values(arguments)
        assert set(flags) <= help_flags(product), f"{product}: {set(flags) - help_flags(product)}"
        mounts = [mount["mountPath"] for mount in container.get("volumeMounts", [])]
        for flag, path in flags.items():
            if flag.endswith("-file"):
                assert path and any(path.startswith(mount + "/") for mount in mounts), f"{product}: {flag} {path} is not mounted"
        volumes = {volume["name"]: volume for volume in deployment["spec"]["template"]["spec"].get("volumes", [])}
        for mount in container.get("volumeMounts", []):
            assert "secret" in volumes[mount["name"]], f"{product}: {mount['name']} is not a Secret volume"
    # The Bridge refuses to start without its token key.
    _, bridge = deployments_by_product()["Bridge"]
    bridge_flags = flags_with_values(bridge.get("args", []))
    assert "--jwt-secret-file" in bridge_flags or "BRIDGE_JWT_SECRET" in container_environment(bridge)


def test_ports_probes_scraping_and_the_objects_around_each_deployment():
    for product, (deployment, container) in deployments_by_product().items():
        environment = container_environment(container)
        assert environment.get("HOST", {}).get("value") == "0.0.0.0", f"{product} would listen on loopback only"
        port = int(environment.get("PORT", {}).get("value", help_default_port(product)))
        named = {entry.get("name"): entry["containerPort"] for entry in container["ports"]}
        assert port in named.values(), f"{product} listens on {port}, the container declares {named}"

        def resolve(reference):
            return named[reference] if isinstance(reference, str) else reference

        for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
            get = container[probe]["httpGet"]
            assert get["path"] == path and resolve(get["port"]) == port, f"{product} {probe}: {get}"
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/path"] == "/metrics"
        assert int(annotations["prometheus.io/port"]) == port, f"{product} is scraped on the wrong port"
        resources = container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]) and {"cpu", "memory"} <= set(resources["limits"]), product

        labels = deployment["spec"]["template"]["metadata"]["labels"]
        name = deployment["metadata"]["name"]
        services = [service for service in of_kind("Service") if service["spec"]["selector"].items() <= labels.items()]
        assert len(services) == 1, f"{product}: {len(services)} Services select its pods"
        assert all(resolve(entry["targetPort"]) == port for entry in services[0]["spec"]["ports"])
        if product == "Bridge":
            assert services[0]["spec"].get("sessionAffinity") == "ClientIP", "polling sessions need affinity"
        autoscalers = [hpa for hpa in of_kind("HorizontalPodAutoscaler") if hpa["spec"]["scaleTargetRef"]["name"] == name]
        assert len(autoscalers) == 1, f"{product}: {len(autoscalers)} autoscalers"
        budgets = [pdb for pdb in of_kind("PodDisruptionBudget")
                   if pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()]
        assert len(budgets) == 1, f"{product}: {len(budgets)} disruption budgets"


# --- the image -----------------------------------------------------------------------------

def dockerfile_stages() -> dict[str, list[tuple[str, str]]]:
    """Each stage's instructions, as (INSTRUCTION, rest), continuation lines joined."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "docker" / "Dockerfile").read_text())
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        if instruction.upper() == "FROM":
            current = []
            stages[rest.split()[-1] if " AS " in rest.upper() else rest] = current
        current.append((instruction.upper(), rest.strip()))
    return stages


@functools.cache
def dockerignore_patterns() -> list[tuple[bool, str]]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [(line.startswith("!"), line.lstrip("!").strip("/")) for line in map(str.strip, lines) if line and not line.startswith("#")]


def dockerignore_excludes(path: str) -> bool:
    """Docker's rule for the patterns used here: the last pattern matching the path, or a
    folder above it, decides."""
    parts = path.strip("/").split("/")
    excluded = False
    for negated, pattern in dockerignore_patterns():
        if any(fnmatch.fnmatchcase("/".join(parts[:depth]), pattern) for depth in range(1, len(parts) + 1)):
            excluded = not negated
    return excluded


def test_each_image_exposes_and_checks_the_port_its_binary_uses():
    stages = dockerfile_stages()
    for product in PRODUCTS:
        instructions = stages[product.lower()]
        values = {instruction: rest for instruction, rest in instructions}
        port = help_default_port(product)
        assert values["EXPOSE"] == str(port), f"{product} exposes {values['EXPOSE']}, listens on {port}"
        assert f"PORT={port}" in values["ENV"], f"{product}: the health check reads PORT"
        assert "HEALTHCHECK" in values, product
        user = values["USER"].split(":")[0]
        assert user.isdigit() and int(user) != 0, f"{product} runs as {values['USER']}"
        assert values["ENTRYPOINT"] == f'["/app/{product}"]'
    assert "/healthz" in (DEPLOY / "docker" / "healthcheck.sh").read_text()
    runtime = {instruction: rest for instruction, rest in stages["runtime"]}
    assert "HOST=0.0.0.0" in runtime["ENV"], "the services listen on loopback by default"


def test_the_bridge_image_carries_its_resource_bundle():
    # The build stages copy CallBridge_<product>.resources next to the binary when it exists:
    # the Bridge's must exist where the build puts it (it refuses to start without it).
    assert "CallBridge_$product.resources" in (DEPLOY / "docker" / "stage.sh").read_text()
    assert (bin_path() / "CallBridge_Bridge.resources").is_dir()


def test_the_build_context_holds_what_the_build_reads_and_nothing_local():
    sources = []
    for stage in dockerfile_stages().values():
        for instruction, rest in stage:
            if instruction == "COPY" and "--from=" not in rest:
                sources += [word for word in rest.split()[:-1] if not word.startswith("--")]
    assert sources
    for source in sources:
        matched = [path for path in ROOT.glob(source.rstrip("/")) if path.exists()]
        files = [path for match in matched for path in ([match] if match.is_file() else match.rglob("*")) if path.is_file()]
        included = [path for path in files if not dockerignore_excludes(str(path.relative_to(ROOT)))]
        assert included, f"COPY {source}: nothing of it is in the build context"
    # SwiftPM refuses a package whose target folders are missing: each one must be there.
    manifest = (ROOT / "Package.swift").read_text()
    for kind, name in re.findall(r"\.(target|executableTarget|systemLibrary|testTarget)\(\s*name:\s*\"([^\"]+)\"", manifest):
        folder = ("Tests/" if kind == "testTarget" else "Sources/") + name
        files = [path for path in (ROOT / folder).rglob("*") if path.is_file()]
        assert any(not dockerignore_excludes(str(path.relative_to(ROOT))) for path in files), f"{folder} is not in the context"
    for local in (".build/debug/Bridge", ".build-fuzz/x", ".venv/bin/python", "run/dev-secrets.env", ".git/config",
                  "deploy/secrets/bridge_jwt_secret", "Tests/Integration/harness.py"):
        assert dockerignore_excludes(local), f"{local} would be sent to the image build"
