"""JupyterHub for the explorer's analysts, on one machine: JupyterLab, a home each, a sign-in.

Start it with ``make hub`` (or ``.venv/bin/jupyterhub -f deploy/jupyterhub/jupyterhub_config.py``
from any folder). What an analyst gets:

- a real sign-in of the hub's own (``jupyterhub-nativeauthenticator``): they sign up at
  ``/hub/signup`` with a user name and password, and an admin approves them at
  ``/hub/authorize``; names in ``EXPLORER_HUB_ALLOWED_USERS`` (and the admins) are approved as
  they sign up. Admins sign up like anyone else. Nobody gets in anonymously;
- their own single-user Jupyter server with JupyterLab (the landing page), the explorer
  installed, jupytext pairing ``.ipynb`` with ``.py``, and Voila for the dashboards
  (``singleuser/jupyter_server_config.py`` applies the repository's ``voila.json``);
- a home of their own under the state folder that persists across server restarts, into which
  every start copies the analysis notebooks (``analysis/``, with their jupytext pairs) and the
  dashboards (``dashboards/``) they do not have yet: their edits are never overwritten
  (``seed_home.py``);
- ``jupyterhub-idle-culler`` stops a server after ``EXPLORER_HUB_IDLE_TIMEOUT`` seconds without
  activity; their account and home stay.

The dashboards for an analyst: ``/hub/user-redirect/voila/render/dashboards/matrix.ipynb?...``
(after sign-in). Readers who should not need an account go to the reader tier (docs/operators.md,
"Deploying": Voila replicas, or the static site), not to the hub.

Settings (environment variables; defaults in brackets):

    EXPLORER_HUB_IP              address the proxy listens on [127.0.0.1]; 0.0.0.0 for a network
    EXPLORER_HUB_PORT            the public port [8000]
    EXPLORER_HUB_API_PORT        the hub's internal port [8081]
    EXPLORER_HUB_PROXY_API_PORT  the proxy's internal REST port [8001]
    EXPLORER_HUB_STATE           database, cookie secret, analysts' homes [deploy/jupyterhub/state]
    EXPLORER_HUB_ADMINS          comma-separated admin user names (they approve sign-ups) [none]
    EXPLORER_HUB_ALLOWED_USERS   comma-separated names approved as they sign up [none]
                                 (one of the two must be set, or nobody could sign in)
    EXPLORER_HUB_IDLE_TIMEOUT    seconds idle before an analyst's server is stopped [3600]
    EXPLORER_HUB_CULL_EVERY      seconds between the culler's checks [timeout / 4, 5..60]
    EXPLORER_HUB_MEM_LIMIT       memory per analyst [2G]  (see "Limits" below)
    EXPLORER_HUB_CPU_LIMIT       CPU cores per analyst [1] (see "Limits" below)
    EXPLORER_HUB_MAX_USERS       most analysts' servers at once; more are asked to come back
                                 later (HTTP 429) [40]
    EXPLORER_HUB_KERNELS_PER_USER  most kernels (notebooks and dashboards) per analyst [8]
    EXPLORER_HUB_PROXY           the configurable-http-proxy executable
                                 [deploy/jupyterhub/node_modules/.bin/..., then $PATH]
    EXPLORER_VOILA_CONFIG        the Voila settings every analyst's server applies [voila.json]
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

Security: ``SimpleLocalProcessSpawner`` gives no isolation between analysts; every server and
kernel runs as the account that runs the hub, so an analyst's code could read another's home.
That suits a small trusted team on one machine; run the hub as a dedicated unprivileged
account (as root, a CI sandbox, the servers need ``--allow-root``, which this file adds).
For an organisation, use Kubernetes (a container and a volume each) and its single sign-on
("Deploying", docs/operators.md).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import nativeauthenticator

c = get_config()  # noqa: F821 -- provided by JupyterHub when it loads this file

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))
from seed_home import seed_home  # noqa: E402 -- beside this file


def setting(name: str, default: str) -> str:
    """``$EXPLORER_HUB_<name>``, or the default when unset or empty."""
    return os.environ.get(f"EXPLORER_HUB_{name}") or default


def names(setting_name: str) -> set[str]:
    """A comma-separated ``$EXPLORER_HUB_<name>`` as a set of user names."""
    return {name.strip() for name in setting(setting_name, "").split(",") if name.strip()}


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
IDLE_TIMEOUT = int(setting("IDLE_TIMEOUT", "3600"))
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

# -- the sign-in: NativeAuthenticator, sign-up approved by an admin ------------------------------

c.JupyterHub.authenticator_class = "native"
# Its sign-up, approval and password pages.
c.JupyterHub.template_paths = [str(Path(nativeauthenticator.__file__).parent / "templates")]
c.NativeAuthenticator.open_signup = False  # an admin approves each sign-up...
c.Authenticator.allowed_users = names("ALLOWED_USERS")  # ...except these names, approved at once
c.Authenticator.admin_users = names("ADMINS")
if not (c.Authenticator.admin_users or c.Authenticator.allowed_users):
    raise SystemExit(
        "Nobody could sign in: set EXPLORER_HUB_ADMINS to the user names of the hub's admins "
        "(e.g. EXPLORER_HUB_ADMINS=lead make hub), who sign up at /hub/signup and approve the "
        "others at /hub/authorize, or EXPLORER_HUB_ALLOWED_USERS to the names approved as "
        "they sign up.")
# NativeAuthenticator admits only approved users itself; JupyterHub >= 5 admits nobody unless
# told to leave that decision to the authenticator.
c.Authenticator.allow_all = True
c.NativeAuthenticator.minimum_password_length = 10
c.NativeAuthenticator.check_common_password = True
c.NativeAuthenticator.allowed_failed_logins = 5
c.NativeAuthenticator.seconds_before_next_try = 300
c.JupyterHub.active_server_limit = int(setting("MAX_USERS", "40"))

# -- each analyst's server: JupyterLab in their own home, the explorer, Voila --------------------

c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = str(USERS_HOME / "{username}")
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 else []
c.Spawner.default_url = "/lab"
c.Spawner.disable_user_config = True
c.Spawner.environment = {
    # Where the single-user server finds its settings, and the voila.json they apply.
    "JUPYTER_CONFIG_PATH": str(HERE / "singleuser"),
    "EXPLORER_VOILA_CONFIG": os.environ.get("EXPLORER_VOILA_CONFIG") or str(ROOT / "voila.json"),
    "EXPLORER_HUB_KERNELS_PER_USER": setting("KERNELS_PER_USER", "8"),
}
if os.environ.get("EXPLORER_DATA"):  # another data package, as for `make serve`
    c.Spawner.environment["EXPLORER_DATA"] = os.environ["EXPLORER_DATA"]
# Live rooms: one store for every presenter's kernel and the join page (the `room` service).
ROOMS = {"EXPLORER_STATE": str(STATE / "rooms")}
if os.environ.get("EXPLORER_ROOM_DB"):
    ROOMS["EXPLORER_ROOM_DB"] = os.environ["EXPLORER_ROOM_DB"]
ROOM_PORT = int(setting("ROOM_PORT", "8002"))
c.Spawner.environment.update(ROOMS, EXPLORER_ROOM_URL="/services/room/")
# Several analysts starting at once on few cores: give their servers time.
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
c.Spawner.mem_limit = setting("MEM_LIMIT", "2G")
c.Spawner.cpu_limit = float(setting("CPU_LIMIT", "1"))


def give_home_its_notebooks(spawner) -> None:
    """Before each start: the analysis notebooks and dashboards the analyst's home lacks.

    Homes persist (nothing removes them when a server stops), so an analyst's edits are kept
    and only missing files are copied (``seed_home.py``).
    """
    seed_home(ROOT, Path(spawner.home_dir))


c.Spawner.pre_spawn_hook = give_home_its_notebooks

# -- idle culling: stop idle analysts' servers (their accounts and homes stay) --------------------

c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                f"--timeout={IDLE_TIMEOUT}", f"--cull-every={CULL_EVERY}",
                "--cull-users=False"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "description": "Stop idle analysts' servers",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
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
