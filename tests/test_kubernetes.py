"""Kubernetes, checked without a cluster: the readers' manifests against Kubernetes' own
schemas (kubernetes-validate), the analysts' Zero to JupyterHub values against the chart's own
values schema (kept in deploy/kubernetes/schema/), and each validator shown to catch a
misspelt key and a wrong type.

The reader tier's choices are checked too: cookie affinity and websocket timeouts at the
Ingress, probes that start no kernel, the room store from a Secret, memory sized from the
measured cost of a reader, and the pod running the image's (and ``make serve``'s) command.
"""

from __future__ import annotations

import copy
import json
import re
import shlex
import sys

import jsonschema
import kubernetes_validate
import pytest
import yaml

from explorer.serve.kernels import FORKED_KERNEL_MB, SERVER_RESERVE_MB

from conftest import ROOT

KUBERNETES = ROOT / "deploy" / "kubernetes"
READERS = KUBERNETES / "readers"
SCHEMA = KUBERNETES / "schema"
# The Kubernetes version the manifests are checked against (z2jh 4.4.0 needs >= 1.28).
KUBERNETES_VERSION = "1.33.0"
MANIFESTS = sorted(p.name for p in READERS.glob("*.yaml") if p.name != "kustomization.yaml")
# Measured before the result records (awaiting a re-run; docs/costs.md): an idle Voila and
# the preloader it forks kernels from.
SERVER_MB = 130  # Voila, before any reader (no result record yet: awaits a re-run)
PRELOADER_MB = 100  # the preloader it forks kernels from

sys.path.insert(0, str(ROOT / "deploy" / "proxy"))
from replicas import SERVE_COMMAND  # noqa: E402


def manifest(name: str) -> dict:
    return yaml.safe_load((READERS / name).read_text(encoding="utf-8"))


def validate_manifest(document: dict) -> None:
    """Kubernetes' schema for the document's kind, strict: an unknown key is an error."""
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


@pytest.fixture(scope="module")
def deployment() -> dict:
    return manifest("deployment.yaml")


@pytest.fixture(scope="module")
def container(deployment) -> dict:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


# -- the readers' tier: manifests -------------------------------------------------------------

@pytest.mark.parametrize("name", MANIFESTS)
def test_each_reader_manifest_is_valid_for_the_named_kubernetes_version(name):
    """Every manifest validates, strictly, against Kubernetes 1.33's schemas."""
    validate_manifest(manifest(name))


def test_the_kustomization_applies_every_manifest():
    """`kubectl apply -k deploy/kubernetes/readers/` applies each manifest in the folder."""
    kustomization = yaml.safe_load((READERS / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == MANIFESTS
    assert {manifest(n)["kind"] for n in MANIFESTS} == {
        "Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget"}


@pytest.mark.parametrize(("breakage", "message"), [
    (lambda c: c.__setitem__("readinesProbe", c.pop("readinessProbe")),
     "'readinesProbe' was unexpected"),
    (lambda c: c["ports"][0].__setitem__("containerPort", "8866"),
     "'8866' is not of type 'integer'"),
], ids=["misspelt key", "wrong type"])
def test_kubernetes_validate_catches_a_broken_manifest(deployment, breakage, message):
    """A misspelt key or a wrong type in the Deployment is refused, naming it."""
    broken = copy.deepcopy(deployment)
    breakage(broken["spec"]["template"]["spec"]["containers"][0])
    with pytest.raises(kubernetes_validate.ValidationError) as refused:
        validate_manifest(broken)
    assert message in str(refused.value)


def test_a_reader_stays_on_one_pod_by_cookie_with_websocket_long_timeouts():
    """ingress-nginx keeps a reader on their pod by cookie, moves them if it goes, and keeps
    an idle tab's websocket open for an hour."""
    ingress = manifest("ingress.yaml")
    notes = ingress["metadata"]["annotations"]
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert notes["nginx.ingress.kubernetes.io/affinity-mode"] == "persistent"
    assert notes["nginx.ingress.kubernetes.io/session-cookie-change-on-failure"] == "true"
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(notes["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == manifest("service.yaml")["metadata"]["name"]


def test_probes_ask_for_the_page_that_starts_no_kernel(container):
    """Startup, readiness and liveness probes GET Voila's tree page, as HAProxy's check does
    (tests/browser/test_replicas.py shows it starts no kernel)."""
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/", "port": "http"}, probe
    template = (ROOT / "deploy" / "proxy" / "haproxy.cfg.in").read_text()
    assert "http-check send meth GET uri /\n" in template


def test_the_room_store_comes_from_a_secret(container):
    """EXPLORER_ROOM_DB (the shared PostgreSQL room store) is read from a Secret."""
    (room_db,) = [e for e in container["env"] if e["name"] == "EXPLORER_ROOM_DB"]
    assert room_db["valueFrom"]["secretKeyRef"] == {"name": "explorer-room-db", "key": "url"}
    assert "value" not in room_db


def mebibytes(quantity: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", quantity).groups()
    return int(number) * (1024 if unit == "Gi" else 1) * 2**20 / 1e6  # MB


def test_memory_holds_the_pods_readers_and_is_guaranteed(container):
    """The memory limit holds the Voila server, its preloader and a forked kernel for each
    reader the pod admits (PSS, as the limit counts them), with the room the server keeps
    aside when it fits its cap to the limit, so the pod keeps the cap it is given; no more
    than two readers' worth over; and it equals the request (a full pod is neither
    OOM-killed nor evicted first)."""
    cap = int(next(a for a in container["args"]
                   if a.startswith("--ThrottledKernelManager.max_kernels=")).split("=")[1])
    resources = container["resources"]
    assert resources["requests"]["memory"] == resources["limits"]["memory"]
    limit = mebibytes(resources["limits"]["memory"])
    needed = max(SERVER_MB + PRELOADER_MB, SERVER_MB + SERVER_RESERVE_MB) + cap * FORKED_KERNEL_MB
    assert needed <= limit < needed + 2 * FORKED_KERNEL_MB


def test_the_autoscaler_and_disruption_budget_govern_the_readers_pods(deployment):
    """The HPA (autoscaling/v2) scales the Deployment 2-10 on memory; the PDB covers its pods;
    the Deployment leaves the count to the HPA."""
    hpa, pdb = manifest("hpa.yaml"), manifest("pdb.yaml")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 10)
    assert "memory" in {m["resource"]["name"] for m in hpa["spec"]["metrics"]}
    assert "replicas" not in deployment["spec"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"]["maxUnavailable"] == 1


def test_the_pod_runs_the_images_and_make_serves_command(container):
    """The pod's command is the container image's, which is the launcher's serve command."""
    containerfile = (ROOT / "deploy" / "container" / "Containerfile").read_text()
    image_cmd = json.loads(re.search(r"^CMD (\[.*\])$", containerfile, re.M).group(1))
    serve = shlex.split(SERVE_COMMAND)
    assert container["args"][:len(serve)] == image_cmd[:len(serve)] == serve
    assert container["args"][len(serve):len(image_cmd)] == image_cmd[len(serve):]


# -- the analysts' tier: Zero to JupyterHub values ---------------------------------------------

def helm_merge(defaults: dict, values: dict) -> dict:
    """Values over the chart's defaults as Helm merges them: maps key by key, other values
    replaced, a null removing the key."""
    merged = copy.deepcopy(defaults)
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = helm_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@pytest.fixture(scope="module")
def chart_schema() -> jsonschema.Draft7Validator:
    schema = json.loads((SCHEMA / "values.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.fixture(scope="module")
def chart_defaults() -> dict:
    return yaml.safe_load((SCHEMA / "chart-values.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load((KUBERNETES / "values.yaml").read_text(encoding="utf-8"))


def schema_errors(validator, defaults, values) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(helm_merge(defaults, values))]


def test_the_z2jh_values_are_valid_for_the_charts_own_schema(chart_schema, chart_defaults,
                                                               values):
    """values.yaml over the chart's defaults validates against chart 4.4.0's values schema."""
    assert schema_errors(chart_schema, chart_defaults, {}) == []
    assert schema_errors(chart_schema, chart_defaults, values) == []


@pytest.mark.parametrize(("path", "key", "value", "message"), [
    (("singleuser",), "defaultURL", "/lab", "'defaultURL' was unexpected"),
    (("singleuser", "storage"), "homeMountpath", "/home/explorer",
     "'homeMountpath' was unexpected"),
    (("cull",), "timeout", "3600", "'3600' is not of type 'integer', 'null'"),
], ids=["misspelt singleuser key", "misspelt storage key", "wrong type"])
def test_the_charts_schema_catches_broken_values(chart_schema, chart_defaults, values, path,
                                                 key, value, message):
    """A misspelt key or a wrong type in the values is refused by the chart's schema."""
    broken = copy.deepcopy(values)
    section = broken
    for name in path:
        section = section[name]
    section[key] = value
    errors = schema_errors(chart_schema, chart_defaults, broken)
    assert any(message in error for error in errors), errors


def test_the_schema_is_kept_with_its_licence_and_where_it_came_from():
    """The schema's folder holds the chart's licence and names the chart version and commit,
    the same version values.yaml and the operators' guide (docs/operators.md) name."""
    note = (SCHEMA / "README.md").read_text(encoding="utf-8")
    assert "4.4.0" in note
    assert re.search(r"\b[0-9a-f]{40}\b", note)
    assert "BSD 3-Clause License" in (SCHEMA / "LICENSE").read_text(encoding="utf-8")
    assert "--version 4.4.0" in (KUBERNETES / "values.yaml").read_text(encoding="utf-8")
    assert "4.4.0" in (ROOT / "docs" / "operators.md").read_text(encoding="utf-8")
