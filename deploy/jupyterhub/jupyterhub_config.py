"""JupyterHub for many live viewers of the explorer, on one machine.

Start it with ``make hub`` (or ``.venv/bin/jupyterhub -f deploy/jupyterhub/jupyterhub_config.py``
from any folder). What a visitor gets:

- no login page: ``jupyterhub-tmpauthenticator`` makes every new visitor a temporary user
  (a random UUID) and starts a single-user Jupyter server for them;
- they land straight on the Voila overview (``/user/<uuid>/voila/render/overview.ipynb``);
  a link to any page works too: ``/hub/user-redirect/voila/render/matrix.ipynb?...``;
- each single-user server runs the explorer's Voila as a Jupyter server extension with the
  repository's ``voila.json`` applied (``singleuser/jupyter_server_config.py``): sources
  stripped, tracebacks hidden, the offline explorer template, queued kernel starts;
- ``jupyterhub-idle-culler`` stops a viewer's server, and forgets the temporary user,
  after ``EXPLORER_HUB_IDLE_TIMEOUT`` seconds without activity;
- the single-user servers are plain local processes (``SimpleLocalProcessSpawner``: no system
  accounts needed), their homes under the state folder, removed when the server stops.

Settings (environment variables; defaults in brackets):

    EXPLORER_HUB_IP              address the proxy listens on [127.0.0.1]; 0.0.0.0 for a room
    EXPLORER_HUB_PORT            the public port [8000]
    EXPLORER_HUB_API_PORT        the hub's internal port [8081]
    EXPLORER_HUB_PROXY_API_PORT  the proxy's internal REST port [8001]
    EXPLORER_HUB_STATE           database, cookie secret, users' homes [deploy/jupyterhub/state]
    EXPLORER_HUB_NOTEBOOK_DIR    the dashboards to serve [<repository>/notebooks]
    EXPLORER_HUB_IDLE_TIMEOUT    seconds idle before a viewer's server is culled [600]
    EXPLORER_HUB_CULL_EVERY      seconds between the culler's checks [timeout / 4, 5..60]
    EXPLORER_HUB_MEM_LIMIT       memory per viewer [1G]   (see "Limits" below)
    EXPLORER_HUB_CPU_LIMIT       CPU cores per viewer [1] (see "Limits" below)
    EXPLORER_HUB_MAX_USERS       most viewers' servers at once; further visitors are asked to
                                 come back later (HTTP 429) [40]
    EXPLORER_HUB_KERNELS_PER_USER  most dashboard kernels (open pages) per viewer [4]
    EXPLORER_HUB_PROXY           the configurable-http-proxy executable
                                 [deploy/jupyterhub/node_modules/.bin/..., then $PATH]
    EXPLORER_VOILA_CONFIG        the Voila settings every viewer's server applies [voila.json]
    EXPLORER_HUB_MONITOR_TOKEN   if set, a read-only API token (service "monitor") [unset]
    EXPLORER_HUB_ROOM_PORT       the live rooms' join page, a hub service [8002]
    EXPLORER_ROOM_DB             the rooms' store for presenters and join page alike
                                 [SQLite in <state>/rooms]; PostgreSQL across machines

Live rooms: a presenter's kernel runs in their own single-user server, behind the hub's
sign-in, where participants' phones cannot reach; the join page therefore runs as the hub
service ``room`` (``python -m explorer room serve``, no kernels) at ``/services/room/``, and
every server's presenter panel points there (``EXPLORER_ROOM_URL``) and writes to the same
store.

Limits: ``mem_limit``/``cpu_limit`` are *stated* here but the local process spawner does not
enforce them (JupyterHub passes them to the server only as ``MEM_LIMIT``/``CPU_LIMIT``).
KubeSpawner (``deploy/kubernetes/values.yaml``), DockerSpawner and SystemdSpawner enforce
them. On one machine, the hard caps in force are ``EXPLORER_HUB_MAX_USERS`` servers and
``EXPLORER_HUB_KERNELS_PER_USER`` kernels each.

Security: ``SimpleLocalProcessSpawner`` gives no isolation between viewers; every server and
kernel runs as the account that runs the hub. Run the hub as a dedicated unprivileged account;
as root (a CI sandbox) the single-user servers need ``--allow-root``, which this file adds.
For the open internet, use Kubernetes (one container per viewer, enforced limits).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

c = get_config()  # noqa: F821 -- provided by JupyterHub when it loads this file

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BIN = Path(sys.executable).parent


def setting(name: str, default: str) -> str:
    """``$EXPLORER_HUB_<name>``, or the default when unset or empty."""
    return os.environ.get(f"EXPLORER_HUB_{name}") or default


def find_proxy() -> str:
    """The configurable-http-proxy to run; fail with what to do when it is missing."""
    explicit = os.environ.get("EXPLORER_HUB_PROXY")
    candidates = [explicit] if explicit else [
        str(HERE / "node_modules" / ".bin" / "configurable-http-proxy"),
        shutil.which("configurable-http-proxy"),
    ]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise SystemExit(
        "configurable-http-proxy not found"
        + (f" at EXPLORER_HUB_PROXY={explicit}" if explicit else "")
        + ". JupyterHub needs it (from npm). Install it with `make hub-deps` "
        f"(runs `npm ci --prefix {HERE}`; needs Node >= 20 and npm), "
        "or set EXPLORER_HUB_PROXY to its path.")


STATE = Path(setting("STATE", str(HERE / "state"))).resolve()
NOTEBOOK_DIR = Path(setting("NOTEBOOK_DIR", str(ROOT / "notebooks"))).resolve()
IDLE_TIMEOUT = int(setting("IDLE_TIMEOUT", "600"))
CULL_EVERY = int(setting("CULL_EVERY", str(min(60, max(5, IDLE_TIMEOUT // 4)))))
USERS_HOME = STATE / "users"
STATE.mkdir(parents=True, exist_ok=True)
USERS_HOME.mkdir(exist_ok=True)

# -- the hub and its proxy -----------------------------------------------------------------

c.JupyterHub.ip = setting("IP", "127.0.0.1")
c.JupyterHub.port = int(setting("PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(setting("API_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{int(setting('PROXY_API_PORT', '8001'))}"
c.ConfigurableHTTPProxy.command = [find_proxy()]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")
c.ConfigurableHTTPProxy.should_start = True  # the hub starts the proxy and stops it on exit
c.JupyterHub.cleanup_proxy = True
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every viewer's server

c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")

# -- anonymous visitors: a temporary user each, no login page --------------------------------

c.JupyterHub.authenticator_class = "tmp"
c.TmpAuthenticator.auto_login = True
c.Authenticator.allow_all = True  # JupyterHub >= 5 admits nobody unless told
c.JupyterHub.active_server_limit = int(setting("MAX_USERS", "40"))

# -- each viewer's server: Voila as a Jupyter server extension, the repository's settings -----

c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = str(USERS_HOME / "{username}")
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 else []
c.Spawner.notebook_dir = str(NOTEBOOK_DIR)
c.Spawner.default_url = "/voila/render/overview.ipynb"
c.Spawner.disable_user_config = True
c.Spawner.environment = {
    # Where the single-user server finds its settings, and the voila.json they apply.
    "JUPYTER_CONFIG_PATH": str(HERE / "singleuser"),
    "EXPLORER_VOILA_CONFIG": os.environ.get("EXPLORER_VOILA_CONFIG") or str(ROOT / "voila.json"),
    "EXPLORER_HUB_KERNELS_PER_USER": setting("KERNELS_PER_USER", "4"),
}
if os.environ.get("EXPLORER_DATA"):  # another data package, as for `make serve`
    c.Spawner.environment["EXPLORER_DATA"] = os.environ["EXPLORER_DATA"]
# Live rooms: one store for every presenter's kernel and the join page (the `room` service).
ROOMS = {"EXPLORER_STATE": str(STATE / "rooms")}
if os.environ.get("EXPLORER_ROOM_DB"):
    ROOMS["EXPLORER_ROOM_DB"] = os.environ["EXPLORER_ROOM_DB"]
ROOM_PORT = int(setting("ROOM_PORT", "8002"))
c.Spawner.environment.update(ROOMS, EXPLORER_ROOM_URL="/services/room/")
# A room arriving at once starts many servers on few cores: give them time.
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
c.Spawner.mem_limit = setting("MEM_LIMIT", "1G")
c.Spawner.cpu_limit = float(setting("CPU_LIMIT", "1"))


def forget_home(spawner) -> None:
    """A stopped anonymous viewer's home holds nothing worth keeping: remove it."""
    home = Path(spawner.home_dir)
    if home.parent == USERS_HOME:
        shutil.rmtree(home, ignore_errors=True)


c.Spawner.post_stop_hook = forget_home

# -- idle culling: stop idle viewers' servers and forget the temporary users --------------------

c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                f"--timeout={IDLE_TIMEOUT}", f"--cull-every={CULL_EVERY}",
                "--cull-users=True"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "description": "Stop idle servers and delete idle temporary users",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers",
               "admin:users"],
    "services": ["idle-culler"],
}]

# -- the live rooms' join page: no sign-in, no kernel, one store -----------------------------

c.JupyterHub.services.append({
    "name": "room",
    "url": f"http://127.0.0.1:{ROOM_PORT}",
    "command": [sys.executable, "-m", "explorer", "room", "serve", f"--port={ROOM_PORT}"],
    "environment": ROOMS,
    "display": False,
})

# -- optional: a read-only token for monitoring (the tests and bench/hub.py use it) -----------

if os.environ.get("EXPLORER_HUB_MONITOR_TOKEN"):
    c.JupyterHub.services.append({"name": "monitor",
                                  "api_token": os.environ["EXPLORER_HUB_MONITOR_TOKEN"]})
    c.JupyterHub.load_roles.append({
        "name": "monitor",
        "description": "Read who is connected and their servers; change nothing",
        "scopes": ["list:users", "read:users", "read:servers", "read:users:activity"],
        "services": ["monitor"],
    })
