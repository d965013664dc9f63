"""Helpers for the JupyterHub tests and benchmark: a real hub from the repository's config.

The hub is started exactly as ``make hub`` does (``jupyterhub -f
deploy/jupyterhub/jupyterhub_config.py``), with its ports, state folder, an admin's name and a
read-only monitoring token given through the config's environment variables, so nothing is
shared with a hub someone is running on the default ports.

``Analyst`` is one person's HTTP session with the hub, cookies kept as a browser keeps them:
sign up, be approved by an admin, sign in, start their server, and get an API token for it.
``run_notebook`` runs a notebook in a kernel of an analyst's server through the Jupyter
server's own REST and websocket API, as JupyterLab does.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from browser_kit import command_line
from kernel_messages import execute_request, request

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
               "jupyterhub, jupyterhub-nativeauthenticator, jupyterhub-idle-culler, "
               "jupyterlab, jupytext).")
# The admin every test hub has (EXPLORER_HUB_ADMINS); they sign up like anyone else.
ADMIN = "admin"
PASSWORD = "a-long-test-passphrase"  # NativeAuthenticator wants 10 characters, not a common one
SPAWN_TIMEOUT_S = 180  # as the config's start_timeout
CELL_TIMEOUT_S = 120


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
        """A link to a dashboard for signed-in analysts: each gets it from their own server."""
        return (f"{self.base}/hub/user-redirect/voila/render/dashboards/{page}.ipynb"
                + (f"?{query}" if query else ""))

    def home(self, name: str) -> Path:
        """An analyst's home on this machine."""
        return self.state / "users" / name

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
            "EXPLORER_HUB_MONITOR_TOKEN": token,
            "EXPLORER_HUB_ADMINS": ADMIN,
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


# -- an analyst, over HTTP ---------------------------------------------------------------------

class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = 30  # sign-in, spawn and the OAuth hand-over make a long chain


class Analyst:
    """One analyst's HTTP session with the hub (cookies kept, as a browser keeps them)."""

    def __init__(self, hub: Hub, name: str, password: str = PASSWORD) -> None:
        self.hub, self.name, self.password = hub, name, password
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _Redirects())
        self._token: str | None = None

    def _xsrf(self) -> str:
        """The hub's XSRF cookie (GET a hub page first to have one)."""
        for cookie in self.cookies:
            if cookie.name == "_xsrf" and cookie.path.startswith("/hub"):
                return cookie.value
        self.opener.open(f"{self.hub.base}/hub/login", timeout=30).read()
        return next(c.value for c in self.cookies if c.name == "_xsrf")

    def _form(self, path: str, fields: dict[str, str]) -> tuple[str, str]:
        """POST a hub form as its page would; (the address landed on, the page's text)."""
        data = urllib.parse.urlencode({**fields, "_xsrf": self._xsrf()}).encode()
        with self.opener.open(f"{self.hub.base}{path}", data=data, timeout=60) as response:
            return response.geturl(), response.read().decode("utf-8", "replace")

    def sign_up(self) -> str:
        """Sign up at /hub/signup; the page's text (it says whether an admin must approve)."""
        return self._form("/hub/signup", {"username": self.name,
                                          "signup_password": self.password,
                                          "signup_password_confirmation": self.password})[1]

    def sign_in(self) -> str:
        """Sign in at /hub/login; the address landed on (the login page again if refused)."""
        return self._form("/hub/login?next=%2Fhub%2Fhome",
                          {"username": self.name, "password": self.password})[0]

    def approve(self, name: str) -> None:
        """As an admin: approve ``name``'s sign-up (NativeAuthenticator's /hub/authorize)."""
        with self.opener.open(f"{self.hub.base}/hub/authorize/{name}", timeout=30) as page:
            page.read()

    def hub_api(self, method: str, path: str, body: object = None) -> object:
        """The hub's REST API as this signed-in analyst (cookie and XSRF header)."""
        request = urllib.request.Request(
            f"{self.hub.base}/hub/api/{path.lstrip('/')}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"X-XSRFToken": self._xsrf(), "Content-Type": "application/json"})
        with self.opener.open(request, timeout=60) as response:
            text = response.read()
        return json.loads(text) if text else None

    @property
    def token(self) -> str:
        """An API token of this analyst's, for their server's REST API (made once)."""
        if self._token is None:
            self._token = self.hub_api("POST", f"users/{self.name}/tokens",
                                       {"note": "tests", "expires_in": 3600})["token"]
        return self._token

    @property
    def server(self) -> str:
        """The address of this analyst's single-user server."""
        return f"{self.hub.base}/user/{self.name}"

    def open_lab(self) -> bool:
        """GET their JupyterLab page as a browser's first request does (through the hub's
        sign-in hand-over); whether JupyterLab's page came back."""
        with self.opener.open(f"{self.server}/lab", timeout=SPAWN_TIMEOUT_S) as response:
            body = response.read().decode("utf-8", "replace")
            return response.status == 200 and "/user/" in response.geturl() and (
                "jupyter-config-data" in body)

    def start_server(self) -> None:
        """Start this analyst's server (if it is not running) and wait until it is ready."""
        try:
            self.hub_api("POST", f"users/{self.name}/server")
        except urllib.error.HTTPError as error:  # 400: already running
            error.close()
        deadline = time.monotonic() + SPAWN_TIMEOUT_S
        while time.monotonic() < deadline:
            server = self.hub_api("GET", f"users/{self.name}")["servers"].get("", {})
            if server.get("ready"):
                return
            time.sleep(0.5)
        raise RuntimeError(f"{self.name}'s server was not ready within {SPAWN_TIMEOUT_S} s; "
                           f"the hub's log:\n{self.hub.log()[-4000:]}")

    def stop_server(self) -> None:
        """Stop this analyst's server and wait until the hub says it has stopped."""
        self.hub_api("DELETE", f"users/{self.name}/server")
        deadline = time.monotonic() + SPAWN_TIMEOUT_S
        while time.monotonic() < deadline:
            if not self.hub_api("GET", f"users/{self.name}")["servers"]:
                return
            time.sleep(0.5)
        raise RuntimeError(f"{self.name}'s server did not stop")

    def api(self, method: str, path: str, body: object = None) -> object:
        """Their server's REST API (``/user/<name>/api/...``) with their token."""
        request = urllib.request.Request(
            f"{self.server}/api/{path.lstrip('/')}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}",
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read()
        return json.loads(text) if text else None


def register(hub: Hub, admin: Analyst, name: str) -> Analyst:
    """A new analyst: signed up, approved by ``admin``, signed in, server ready."""
    analyst = Analyst(hub, name)
    analyst.sign_up()
    admin.approve(name)
    landed = analyst.sign_in()
    if "/hub/login" in landed:
        raise RuntimeError(f"{name} could not sign in after approval (landed on {landed})")
    analyst.start_server()
    return analyst


def admin_of(hub: Hub) -> Analyst:
    """The hub's admin (EXPLORER_HUB_ADMINS), signed up and signed in."""
    admin = Analyst(hub, ADMIN)
    admin.sign_up()
    if "/hub/login" in admin.sign_in():
        raise RuntimeError(f"the admin could not sign in; the hub's log:\n{hub.log()[-4000:]}")
    return admin


def run_notebook(analyst: Analyst, path: str, keep: bool = False) -> list[str]:
    """Run every code cell of ``path`` (in the analyst's home) in a new kernel of their server,
    as JupyterLab does: a session for the notebook, then its cells over the kernel's
    websocket. Returns the errors (``ename: evalue`` of each failed cell). The kernel is shut
    down afterwards unless ``keep`` (as an open notebook keeps it)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    notebook = analyst.api("GET", f"contents/{path}")["content"]
    cells = [cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
             for cell in notebook["cells"] if cell["cell_type"] == "code"]
    session = analyst.api("POST", "sessions", {"path": path, "type": "notebook",
                                               "kernel": {"name": "python3"}})
    kernel_id = session["kernel"]["id"]
    try:
        # Playwright's sync API holds an asyncio loop in this thread: run ours in another.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, _execute(analyst, kernel_id, cells)).result()
    finally:
        if not keep:
            with contextlib.suppress(urllib.error.URLError):
                analyst.api("DELETE", f"sessions/{session['id']}")


async def _execute(analyst: Analyst, kernel_id: str, cells: list[str]) -> list[str]:
    import asyncio
    import uuid

    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    url = analyst.server.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels"
    socket_ = await websocket_connect(HTTPRequest(
        url, headers={"Authorization": f"token {analyst.token}"}))
    errors: list[str] = []
    session = uuid.uuid4().hex
    try:
        for code in cells:
            sent = request("execute_request", execute_request(code), session, analyst.name)
            msg_id = sent["header"]["msg_id"]
            await socket_.write_message(json.dumps(sent))
            while True:
                raw = await asyncio.wait_for(socket_.read_message(), CELL_TIMEOUT_S)
                if raw is None:
                    return [*errors, "the kernel's websocket closed"]
                if isinstance(raw, bytes):
                    continue  # a binary message (widgets' buffers): not a reply
                message = json.loads(raw)
                if message.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                if message["msg_type"] == "error":
                    content = message["content"]
                    errors.append(f"{content['ename']}: {content['evalue']}")
                if message["msg_type"] == "execute_reply":
                    break
            if errors:
                break
    finally:
        socket_.close()
    return errors
