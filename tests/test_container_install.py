"""The container image's install recipe, run on the host: it installs, and the site it lays out
serves the explorer.

deploy/container/Containerfile runs deploy/container/install.sh; this test runs the same script
into a temporary virtual environment (pip's cache makes a repeat run take about a minute), then
serves the matrix page from the installed copy, from the laid-out site, with no checkout on the
path, as the image's command does.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from http_kit import http_get

from conftest import ROOT

INSTALL = ROOT / "deploy" / "container" / "install.sh"
CONTAINERFILE = ROOT / "deploy" / "container" / "Containerfile"
START_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(venv, site) made by install.sh, as the image makes them."""
    base = tmp_path_factory.mktemp("image")
    venv, site = base / "venv", base / "site"
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "EXPLORER_DATA")}
    env["PYTHON"] = sys.executable  # the Python this suite runs on (>= 3.11, as the image's)
    result = subprocess.run(["sh", str(INSTALL), str(ROOT), str(venv), str(site)], env=env,
                            capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return venv, site


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_image_runs_the_install_script():
    """The Containerfile runs install.sh, runs as a non-root user, checks health and uses 8866."""
    text = CONTAINERFILE.read_text(encoding="utf-8").replace("\\\n", " ")  # join lines
    assert re.search(r"^RUN .*deploy/container/install\.sh", text, re.MULTILINE)
    assert re.search(r"^USER (?!root\b)\S+", text, re.MULTILINE), "runs as a non-root user"
    assert re.search(r"^HEALTHCHECK ", text, re.MULTILINE)
    assert "8866" in text
    assert re.search(r'^CMD \["python", "-m", "explorer", "serve"', text, re.MULTILINE)


def test_the_site_is_laid_out_as_in_the_repository(installed):
    """install.sh lays out notebooks, voila.json, the analysis notebooks and the hub settings
    as in the repository."""
    _, site = installed
    assert sorted(p.name for p in (site / "notebooks").glob("*.ipynb")) == sorted(
        p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert (site / "voila.json").read_text() == (ROOT / "voila.json").read_text()
    assert (site / "deploy" / "jupyterhub" / "singleuser" / "jupyter_server_config.py").exists()
    # What the analysts' hub copies into each home (deploy/kubernetes/values.yaml's postStart).
    assert (site / "deploy" / "jupyterhub" / "seed_home.py").exists()
    assert sorted(p.name for p in (site / "analysis").iterdir()) == sorted(
        p.name for p in (ROOT / "analysis").iterdir() if p.suffix in (".ipynb", ".py", ".toml"))


def test_the_installed_copy_is_not_the_checkout(installed, tmp_path):
    """The installed environment imports its own copy of explorer, not the checkout's."""
    venv, _ = installed
    where = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import explorer; print(explorer.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True,
                           env={"PATH": os.environ.get("PATH", "")}).stdout.strip()
    assert Path(where).is_relative_to(venv), where


# What Jupyter finds in the installed environment: the explorer's kernelspec, the provisioner
# it names, and the class that entry point loads.
PROVISIONER_CHECK = """
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.provisioning import KernelProvisionerFactory
spec = KernelSpecManager().get_kernel_spec("explorer")
name = spec.metadata["kernel_provisioner"]["provisioner_name"]
print(name, KernelProvisionerFactory.instance().provisioners[name].load().__name__)
"""


def test_the_installed_copy_brings_its_kernelspec_and_provisioner(installed, tmp_path):
    """``pip install`` puts the explorer kernelspec into the environment's share/jupyter and
    registers the provisioner it names, so Jupyter there forks the dashboards' kernels."""
    venv, _ = installed
    found = subprocess.run([str(venv / "bin" / "python"), "-c", PROVISIONER_CHECK],
                           cwd=tmp_path, capture_output=True, text=True, check=False,
                           env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)})
    assert (found.returncode, found.stdout) == (0, "explorer-preloaded PreloadedProvisioner\n"), (
        found.stderr[-2000:])
    assert (venv / "share" / "jupyter" / "kernels" / "explorer" / "kernel.json").exists()


def test_the_installed_site_serves_the_matrix(installed):
    """The installed site serves the matrix with widgets, no error, no code and no CDN links."""
    venv, site = installed
    port = _free_port()
    process = subprocess.Popen(
        [str(venv / "bin" / "python"), "-m", "explorer", "serve", "notebooks/",
         f"--port={port}", "--no-browser", "--Voila.port_retries=0"],
        cwd=site, env={"PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '')}",
                       "HOME": str(site), "EXPLORER_STATE": str(site / "state")},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        body = _get_when_up(f"http://127.0.0.1:{port}/voila/render/matrix.ipynb", process)
        join = _get_when_up(f"http://127.0.0.1:{port}/room/join", process)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        log = process.communicate(timeout=30)[0].decode("utf-8", "replace")
    assert "widget-view+json" in body, log[-3000:]
    assert "There was an error" not in body
    assert "import build" not in body  # sources stripped: voila.json applied
    # The explorer's offline template, not Voila's stock one (which links Font Awesome).
    assert "cdn.jsdelivr.net" not in body and "fontawesome" not in body.lower()
    assert 'name="code"' in join  # the live rooms' join page, beside Voila


def _get_when_up(url: str, process: subprocess.Popen) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        reply = http_get(url, timeout=120)
        if reply is not None and reply[0] == 200:
            return reply[1]
        time.sleep(0.5)
    pytest.fail(f"the installed site did not serve {url} within {START_TIMEOUT_S} s")
