"""The JupyterHub configuration (deploy/jupyterhub), read as JupyterHub and each viewer's
server read it: anonymous temporary users, the overview as landing page, idle culling, stated
limits, and the repository's voila.json inside every single-user server.

The running hub is tested in tests/browser/test_hub.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from tornado import web
from traitlets.config.loader import PyFileConfigLoader

from conftest import ROOT

HUB_DIR = ROOT / "deploy" / "jupyterhub"
SINGLE_USER_DIR = HUB_DIR / "singleuser"
VOILA_JSON = json.loads((ROOT / "voila.json").read_text(encoding="utf-8"))


def load(folder, name, monkeypatch, **env):
    """Load a traitlets config file with ``env`` as the only EXPLORER_* settings."""
    for key in list(os.environ):
        if key.startswith("EXPLORER_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return PyFileConfigLoader(name, path=str(folder)).load_config()


@pytest.fixture
def hub_config(tmp_path, monkeypatch):
    """Load jupyterhub_config.py with a state folder in tmp_path and any proxy executable."""
    def _load(**env):
        env = {"EXPLORER_HUB_STATE": str(tmp_path / "state"),
               "EXPLORER_HUB_PROXY": sys.executable, **env}
        return load(HUB_DIR, "jupyterhub_config.py", monkeypatch, **env)
    return _load


@pytest.fixture
def single_user_config(monkeypatch):
    def _load(**env):
        return load(SINGLE_USER_DIR, "jupyter_server_config.py", monkeypatch, **env)
    return _load


# -- the hub --------------------------------------------------------------------------------

def test_visitors_get_a_temporary_user_without_a_login_page(hub_config):
    """Each visitor is logged in at once as a temporary user; there is no login page."""
    c = hub_config()
    assert c.JupyterHub.authenticator_class == "tmp"
    assert c.TmpAuthenticator.auto_login is True
    assert c.Authenticator.allow_all is True


def test_visitors_land_on_the_voila_overview(hub_config):
    """Visitors land on the Voila overview page, served from the repository's notebooks/."""
    c = hub_config()
    assert c.Spawner.default_url == "/voila/render/overview.ipynb"
    assert c.Spawner.notebook_dir == str(ROOT / "notebooks")
    assert (ROOT / "notebooks" / "overview.ipynb").exists()


def test_servers_are_local_processes_with_homes_in_the_state_folder(hub_config, tmp_path):
    """Viewers' servers are local processes; homes and the hub database live in the state folder."""
    c = hub_config()
    assert c.JupyterHub.spawner_class == "jupyterhub.spawner.SimpleLocalProcessSpawner"
    home = c.SimpleLocalProcessSpawner.home_dir_template
    assert home == str(tmp_path / "state" / "users" / "{username}")
    assert c.JupyterHub.db_url == f"sqlite:///{tmp_path / 'state' / 'jupyterhub.sqlite'}"
    assert os.path.isabs(c.Spawner.cmd[0])
    assert c.Spawner.cmd[0].endswith("jupyterhub-singleuser")
    # The single-user server refuses to run as root unless told (design.md §6).
    assert ("--allow-root" in c.Spawner.args) == (os.geteuid() == 0)


def test_idle_viewers_are_culled_after_a_configurable_time(hub_config):
    """The idle culler stops servers and forgets users after EXPLORER_HUB_IDLE_TIMEOUT seconds."""
    c = hub_config(EXPLORER_HUB_IDLE_TIMEOUT="120")
    (culler,) = [s for s in c.JupyterHub.services if s["name"] == "idle-culler"]
    command = culler["command"]
    assert command[:3] == [sys.executable, "-m", "jupyterhub_idle_culler"]
    assert "--timeout=120" in command
    assert "--cull-users=True" in command  # temporary users are forgotten, not kept forever
    every = int(next(a for a in command if a.startswith("--cull-every=")).split("=")[1])
    assert 0 < every <= 120
    (role,) = [r for r in c.JupyterHub.load_roles if r["name"] == "idle-culler"]
    assert role["services"] == ["idle-culler"]
    assert {"list:users", "read:users:activity", "delete:servers", "admin:users"} <= set(
        role["scopes"])


def test_the_idle_culler_accepts_its_command_line(hub_config):
    """The culler's own parser reads the options (an unknown one would stop the service)."""
    command = next(s for s in hub_config().JupyterHub.services
                   if s["name"] == "idle-culler")["command"]
    result = subprocess.run([*command, "--generate-config"], capture_output=True, text=True,
                            timeout=60, check=False,
                            env={**os.environ, "JUPYTERHUB_API_TOKEN": "unused"})
    assert result.returncode == 0, result.stderr
    assert "IdleCuller" in result.stdout


def test_the_default_idle_timeout_is_ten_minutes(hub_config):
    """Without EXPLORER_HUB_IDLE_TIMEOUT, idle viewers are culled after ten minutes (600 s)."""
    command = next(s for s in hub_config().JupyterHub.services
                   if s["name"] == "idle-culler")["command"]
    assert "--timeout=600" in command


def test_limits_are_stated_and_configurable(hub_config):
    """Memory, CPU, server and kernel limits have stated defaults and follow EXPLORER_HUB_*."""
    c = hub_config()
    assert (c.Spawner.mem_limit, c.Spawner.cpu_limit) == ("1G", 1.0)
    assert c.JupyterHub.active_server_limit == 40
    c = hub_config(EXPLORER_HUB_MEM_LIMIT="512M", EXPLORER_HUB_CPU_LIMIT="0.5",
                   EXPLORER_HUB_MAX_USERS="12", EXPLORER_HUB_KERNELS_PER_USER="2")
    assert (c.Spawner.mem_limit, c.Spawner.cpu_limit) == ("512M", 0.5)
    assert c.JupyterHub.active_server_limit == 12
    assert c.Spawner.environment["EXPLORER_HUB_KERNELS_PER_USER"] == "2"


def test_ports_and_address_come_from_the_environment(hub_config):
    """Hub address and ports come from EXPLORER_HUB_*; by default it listens on 127.0.0.1:8000."""
    c = hub_config(EXPLORER_HUB_IP="0.0.0.0", EXPLORER_HUB_PORT="9000",
                   EXPLORER_HUB_API_PORT="9001", EXPLORER_HUB_PROXY_API_PORT="9002")
    assert (c.JupyterHub.ip, c.JupyterHub.port, c.JupyterHub.hub_port) == ("0.0.0.0", 9000, 9001)
    assert c.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:9002"
    c = hub_config()
    assert (c.JupyterHub.ip, c.JupyterHub.port) == ("127.0.0.1", 8000)


def test_the_proxy_is_the_one_npm_installed_here_by_default(hub_config, monkeypatch):
    """By default the hub starts (and cleans up) the proxy npm installed in deploy/jupyterhub."""
    monkeypatch.setenv("PATH", "/nonexistent")
    local = HUB_DIR / "node_modules" / ".bin" / "configurable-http-proxy"
    if not local.exists():
        pytest.fail("configurable-http-proxy is not installed in deploy/jupyterhub: "
                    "run `make hub-deps`", pytrace=False)
    c = hub_config(EXPLORER_HUB_PROXY="")
    assert c.ConfigurableHTTPProxy.command == [str(local)]
    assert c.ConfigurableHTTPProxy.should_start is True
    assert c.JupyterHub.cleanup_servers is True
    assert c.JupyterHub.cleanup_proxy is True


def test_a_missing_proxy_stops_the_hub_with_what_to_run(hub_config):
    """A missing proxy stops the hub with a message naming npm and `make hub-deps`."""
    with pytest.raises(SystemExit) as stopped:
        hub_config(EXPLORER_HUB_PROXY="/nonexistent/configurable-http-proxy")
    assert "make hub-deps" in str(stopped.value)
    assert "npm" in str(stopped.value)


def test_the_npm_proxy_version_is_locked():
    """package.json pins an exact proxy version, the same one package-lock.json holds."""
    package = json.loads((HUB_DIR / "package.json").read_text())
    lock = json.loads((HUB_DIR / "package-lock.json").read_text())
    wanted = package["dependencies"]["configurable-http-proxy"]
    assert wanted[0].isdigit(), "pin an exact version"
    assert lock["packages"]["node_modules/configurable-http-proxy"]["version"] == wanted


def test_a_monitoring_token_is_read_only(hub_config):
    """A monitor service exists only with EXPLORER_HUB_MONITOR_TOKEN, and its scopes only read."""
    assert [s["name"] for s in hub_config().JupyterHub.services] == ["idle-culler", "room"]
    c = hub_config(EXPLORER_HUB_MONITOR_TOKEN="t0ken")
    (monitor,) = [s for s in c.JupyterHub.services if s["name"] == "monitor"]
    assert monitor["api_token"] == "t0ken"
    (role,) = [r for r in c.JupyterHub.load_roles if r["name"] == "monitor"]
    assert all(scope.startswith(("list:", "read:")) for scope in role["scopes"])


def test_each_server_is_pointed_at_the_single_user_settings_and_voila_json(hub_config):
    """Each server's environment points at the single-user settings, voila.json and 4 kernels."""
    env = hub_config().Spawner.environment
    assert env["JUPYTER_CONFIG_PATH"] == str(SINGLE_USER_DIR)
    assert env["EXPLORER_VOILA_CONFIG"] == str(ROOT / "voila.json")
    assert env["EXPLORER_HUB_KERNELS_PER_USER"] == "4"


# -- each viewer's single-user server ---------------------------------------------------------

def test_voila_json_applies_inside_each_single_user_server(single_user_config):
    """voila.json's settings apply in each server: explorer template, no sources, no tracebacks."""
    c = single_user_config()
    for section, values in VOILA_JSON.items():
        if section in ("Voila", "ThrottledKernelManager"):
            continue
        for key, value in values.items():
            assert c[section][key] == value, f"{section}.{key}"
    # What a viewer must never see: code, tracebacks; and the explorer's offline template.
    assert c.VoilaConfiguration.template == "explorer"
    assert c.VoilaConfiguration.strip_sources is True
    assert c.VoilaConfiguration.show_tracebacks is False
    assert c.ThrottledKernelManager.max_concurrent_starts == (
        VOILA_JSON["ThrottledKernelManager"]["max_concurrent_starts"])


def test_voilas_kernel_manager_becomes_the_servers(single_user_config):
    """The server runs kernels with Voila's manager; the standalone app's address is left out."""
    c = single_user_config()
    assert c.ServerApp.kernel_manager_class == (
        VOILA_JSON["VoilaConfiguration"]["multi_kernel_manager_class"])
    assert "Voila" not in c  # the standalone app's address: the hub decides it


def test_one_viewer_gets_a_few_kernels_not_a_rooms_worth(single_user_config):
    """One viewer's server runs at most 4 kernels by default, or EXPLORER_HUB_KERNELS_PER_USER."""
    assert single_user_config().ThrottledKernelManager.max_kernels == 4
    c = single_user_config(EXPLORER_HUB_KERNELS_PER_USER="2")
    assert c.ThrottledKernelManager.max_kernels == 2


def test_pages_stay_offline_and_viewers_cannot_change_them(single_user_config, tmp_path):
    """Servers load no MathJax, offer no terminal or JupyterLab, and refuse to save files (403)."""
    c = single_user_config()
    assert c.ServerApp.tornado_settings["mathjax_url"] is None
    assert c.ServerApp.terminals_enabled is False
    assert c.ServerApp.jpserver_extensions["voila.server_extension"] is True
    assert c.ServerApp.jpserver_extensions["jupyterlab"] is False
    manager = c.ServerApp.contents_manager_class(root_dir=str(tmp_path))
    with pytest.raises(web.HTTPError) as refused:
        manager.save({"type": "file", "format": "text", "content": "x"}, "x.txt")
    assert refused.value.status_code == 403
    assert not (tmp_path / "x.txt").exists()


def test_another_voila_json_can_be_given(single_user_config, tmp_path):
    """EXPLORER_VOILA_CONFIG names another voila.json, whose settings then apply instead."""
    other = tmp_path / "voila.json"
    other.write_text(json.dumps({"VoilaConfiguration": {"template": "lab"}}))
    c = single_user_config(EXPLORER_VOILA_CONFIG=str(other))
    assert c.VoilaConfiguration.template == "lab"
    assert "kernel_manager_class" not in c.ServerApp


# -- Kubernetes: the same choices --------------------------------------------------------------

def test_the_kubernetes_values_make_the_same_choices(hub_config):
    """The Kubernetes values make the local hub's choices: login, landing page, limits, culling."""
    import yaml

    values = yaml.safe_load((ROOT / "deploy" / "kubernetes" / "values.yaml").read_text())
    c = hub_config()
    hub = values["hub"]["config"]
    assert hub["JupyterHub"]["authenticator_class"] == c.JupyterHub.authenticator_class
    assert hub["TmpAuthenticator"]["auto_login"] is True
    assert hub["Authenticator"]["allow_all"] is True
    single = values["singleuser"]
    assert single["defaultUrl"] == c.Spawner.default_url
    assert single["memory"]["limit"] == c.Spawner.mem_limit
    assert float(single["cpu"]["limit"]) == c.Spawner.cpu_limit
    assert single["uid"] != 0
    assert single["storage"]["type"] == "none"
    assert single["extraEnv"]["JUPYTER_CONFIG_PATH"] == (
        "/srv/explorer/deploy/jupyterhub/singleuser")  # install.sh's layout
    culler = next(s for s in c.JupyterHub.services if s["name"] == "idle-culler")["command"]
    assert values["cull"]["enabled"] is True
    assert values["cull"]["users"] is True
    assert f"--timeout={values['cull']['timeout']}" in culler


def test_the_join_page_is_a_hub_service_sharing_the_presenters_store(hub_config, tmp_path):
    """Participants reach the join page as the hub service `room` (no sign-in, no kernel);
    presenters' servers point there and use the same store."""
    c = hub_config(EXPLORER_HUB_ROOM_PORT="8123")
    (room,) = [s for s in c.JupyterHub.services if s["name"] == "room"]
    assert room["url"] == "http://127.0.0.1:8123"
    assert room["command"][1:] == ["-m", "explorer", "room", "serve", "--port=8123"]
    env = c.Spawner.environment
    assert env["EXPLORER_ROOM_URL"] == "/services/room/"
    assert env["EXPLORER_STATE"] == room["environment"]["EXPLORER_STATE"]
    shared = hub_config(EXPLORER_ROOM_DB="postgresql+psycopg://hub@db/rooms")
    (room,) = [s for s in shared.JupyterHub.services if s["name"] == "room"]
    assert room["environment"]["EXPLORER_ROOM_DB"] == \
        shared.Spawner.environment["EXPLORER_ROOM_DB"] == "postgresql+psycopg://hub@db/rooms"
