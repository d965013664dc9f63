"""Helpers for the JupyterHub tests and benchmark: a real hub from the repository's config.

The hub is started exactly as ``make hub`` does (``jupyterhub -f
deploy/jupyterhub/jupyterhub_config.py``), with its ports, state folder and a read-only
monitoring token given through the config's environment variables, so nothing is shared
with a hub someone is running on the default ports.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from browser_kit import command_line

ROOT = Path(__file__).resolve().parents[2]
HUB_DIR = ROOT / "deploy" / "jupyterhub"
HUB_CONFIG = HUB_DIR / "jupyterhub_config.py"
JUPYTERHUB = ROOT / ".venv" / "bin" / "jupyterhub"
LOCAL_PROXY = HUB_DIR / "node_modules" / ".bin" / "configurable-http-proxy"

# A process started in the background by a non-interactive shell (nohup ... &) ignores SIGINT,
# and so would the hub's children: the hub's polite SIGINT to each server would then cost its
# full 10 s timeout. Start the hub with SIGINT at its default so the tests see a normal stop.
RESTORE_SIGINT = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                  "os.execv(sys.argv[1], sys.argv[1:])")

HUB_START_TIMEOUT_S = 60
HUB_STOP_TIMEOUT_S = 90  # it stops every viewer's server first: ~10 s each at worst, together

MISSING_PROXY = (
    "configurable-http-proxy (npm) not found at {path} nor on $PATH. JupyterHub needs it: "
    "run `make hub-deps` (that is `npm ci --prefix deploy/jupyterhub`; needs Node >= 20 "
    "and npm, e.g. `apt-get install nodejs npm`), or set EXPLORER_HUB_PROXY to its path.")
MISSING_HUB = ("{path} is missing: run `make hub-deps` (installs the `hub` extra: "
               "jupyterhub, jupyterhub-tmpauthenticator, jupyterhub-idle-culler).")


def proxy_path() -> str | None:
    """The configurable-http-proxy the hub config will run, or None when there is none."""
    explicit = os.environ.get("EXPLORER_HUB_PROXY")
    for candidate in ([explicit] if explicit else [str(LOCAL_PROXY),
                                                    shutil.which("configurable-http-proxy")]):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def missing_requirements() -> str | None:
    """What is missing to start a hub, with the command that installs it; None if nothing."""
    if not JUPYTERHUB.exists():
        return MISSING_HUB.format(path=JUPYTERHUB)
    if proxy_path() is None:
        return MISSING_PROXY.format(path=os.environ.get("EXPLORER_HUB_PROXY") or LOCAL_PROXY)
    return None


def free_ports(count: int) -> list[int]:
    """``count`` distinct free local ports (held open together, so they differ)."""
    import socket

    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def describe(process: psutil.Process) -> str:
    """``pid command line`` of a process, for messages."""
    return f"{process.pid} {command_line(process) or '?'}"


def is_single_user_server(process: psutil.Process) -> bool:
    return "jupyterhub-singleuser" in command_line(process)


@dataclass
class Hub:
    """One running JupyterHub (with its proxy, culler, and the viewers' servers)."""

    port: int
    process: subprocess.Popen
    state: Path
    log_path: Path
    token: str
    survivor_names: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, page: str, query: str = "") -> str:
        """A shareable link to a dashboard: any visitor gets a temporary user and this page."""
        return (f"{self.base}/hub/user-redirect/voila/render/{page}.ipynb"
                + (f"?{query}" if query else ""))

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def api(self, path: str) -> object:
        """GET the hub's REST API with the read-only monitoring token."""
        request = urllib.request.Request(f"{self.base}/hub/api/{path.lstrip('/')}",
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def users(self) -> dict[str, dict]:
        """Every user the hub knows, by name."""
        return {user["name"]: user for user in self.api("users")}

    def descendants(self) -> list[psutil.Process]:
        """The hub's processes: proxy, culler, single-user servers and their kernels."""
        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except psutil.Error:
            return []

    def single_user_servers(self) -> dict[str, psutil.Process]:
        """The running single-user servers, by the user each belongs to."""
        servers = {}
        for process in self.descendants():
            if is_single_user_server(process):
                with contextlib.suppress(psutil.Error):
                    servers[process.environ().get("JUPYTERHUB_USER", "?")] = process
        return servers

    def stop(self) -> list[psutil.Process]:
        """Stop the hub as an operator would (SIGTERM) and wait for it to clean up.

        Returns the processes of the hub's tree that were still alive once the hub had
        exited and they had been given time to go; those are then killed, so that nothing
        outlives a test either way.
        """
        tree = [psutil.Process(self.process.pid), *self.descendants()] if (
            self.process.poll() is None) else []
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=HUB_STOP_TIMEOUT_S)
        _, alive = psutil.wait_procs(tree, timeout=15)
        survivors = list(alive)
        self.survivor_names = [describe(p) for p in survivors]
        for process in alive:
            with contextlib.suppress(psutil.Error):
                process.kill()
        psutil.wait_procs(alive, timeout=5)
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            self.process.wait(timeout=5)
        return survivors


def start_hub(state: Path) -> Hub:
    """Start ``jupyterhub -f deploy/jupyterhub/jupyterhub_config.py`` on free ports.

    Raises RuntimeError with what to install when the hub or its proxy is missing, and with
    the hub's log when it does not come up.
    """
    missing = missing_requirements()
    if missing:
        raise RuntimeError(missing)
    state.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    last_log = ""
    for _attempt in range(3):  # a free port can be taken in between: try others
        port, api_port, proxy_api_port, room_port = free_ports(4)
        env = {k: v for k, v in os.environ.items() if not k.startswith("EXPLORER_HUB_")}
        for name in ("EXPLORER_DATA", "EXPLORER_ROOM_DB", "EXPLORER_ROOM_URL", "EXPLORER_STATE"):
            env.pop(name, None)
        env.update({
            "EXPLORER_HUB_PORT": str(port),
            "EXPLORER_HUB_API_PORT": str(api_port),
            "EXPLORER_HUB_PROXY_API_PORT": str(proxy_api_port),
            "EXPLORER_HUB_ROOM_PORT": str(room_port),  # the join page's service
            "EXPLORER_HUB_STATE": str(state / f"hub-{port}"),
            "EXPLORER_HUB_IDLE_TIMEOUT": "600",  # the config's default: nobody is culled mid-run
            "EXPLORER_HUB_MONITOR_TOKEN": token,
        })
        if proxy_path():
            env["EXPLORER_HUB_PROXY"] = proxy_path()
        log_path = state / f"hub-{port}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-c", RESTORE_SIGINT, str(JUPYTERHUB), "-f", str(HUB_CONFIG)],
                cwd=state, env=env, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        hub = Hub(port, process, state / f"hub-{port}", log_path, token)
        if _wait_until_serving(hub):
            return hub
        last_log = hub.log()
        hub.stop()
    raise RuntimeError(f"JupyterHub did not start within {HUB_START_TIMEOUT_S} s; its log:\n"
                       f"{last_log[-6000:]}")


def _wait_until_serving(hub: Hub) -> bool:
    """True once the proxy routes to the hub and the hub's API answers the token."""
    deadline = time.monotonic() + HUB_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if hub.process.poll() is not None:
            return False
        try:
            hub.api("")
            return True
        except (urllib.error.URLError, OSError, ValueError):
            time.sleep(0.25)
    return False
