"""The JupyterHub configuration (deploy/jupyterhub), read as JupyterHub and each analyst's
server read it: a sign-in with an admin's approval (NativeAuthenticator), JupyterLab in a home
of one's own that keeps its edits, the notebooks copied in on first start, idle culling,
stated limits, and the repository's voila.json inside every single-user server.

The running hub is tested in tests/browser/test_hub.py.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import types
from pathlib import Path

import pytest
from traitlets.config.loader import PyFileConfigLoader

from conftest import ROOT

HUB_DIR = ROOT / "deploy" / "jupyterhub"
SINGLE_USER_DIR = HUB_DIR / "singleuser"
ANALYSIS = ROOT / "analysis"
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
               "EXPLORER_HUB_PROXY": sys.executable, "EXPLORER_HUB_ADMINS": "lead", **env}
        return load(HUB_DIR, "jupyterhub_config.py", monkeypatch, **env)
    return _load


@pytest.fixture
def single_user_config(monkeypatch):
    def _load(**env):
        return load(SINGLE_USER_DIR, "jupyter_server_config.py", monkeypatch, **env)
    return _load


# -- the hub --------------------------------------------------------------------------------

def test_analysts_sign_in_with_an_account_an_admin_approved(hub_config):
    """NativeAuthenticator signs analysts in; a sign-up waits for an admin; nobody is anonymous."""
    import nativeauthenticator

    c = hub_config()
    assert c.JupyterHub.authenticator_class == "native"
    assert c.NativeAuthenticator.open_signup is False
    # NativeAuthenticator admits only approved accounts; JupyterHub leaves the choice to it.
    assert c.Authenticator.allow_all is True
    templates = Path(nativeauthenticator.__file__).parent / "templates"
    assert str(templates) in c.JupyterHub.template_paths
    assert (templates / "signup.html").exists()
    assert c.NativeAuthenticator.minimum_password_length >= 10
    assert c.NativeAuthenticator.check_common_password is True
    assert "TmpAuthenticator" not in c


def test_admins_and_pre_approved_names_come_from_the_environment(hub_config):
    """EXPLORER_HUB_ADMINS and EXPLORER_HUB_ALLOWED_USERS name admins and pre-approved analysts."""
    c = hub_config(EXPLORER_HUB_ADMINS="lead, deputy", EXPLORER_HUB_ALLOWED_USERS=" ann, bob ,")
    assert c.Authenticator.admin_users == {"lead", "deputy"}
    assert c.Authenticator.allowed_users == {"ann", "bob"}
    c = hub_config(EXPLORER_HUB_ADMINS="", EXPLORER_HUB_ALLOWED_USERS="ann")
    assert (c.Authenticator.admin_users, c.Authenticator.allowed_users) == (set(), {"ann"})


def test_a_hub_nobody_could_sign_in_to_stops_and_says_what_to_set(hub_config):
    """Without admins or pre-approved names the hub stops, naming both settings."""
    with pytest.raises(SystemExit) as stopped:
        hub_config(EXPLORER_HUB_ADMINS="")
    assert str(stopped.value) == (
        "Nobody could sign in: set EXPLORER_HUB_ADMINS to the user names of the hub's admins "
        "(e.g. EXPLORER_HUB_ADMINS=lead make hub), who sign up at /hub/signup and approve the "
        "others at /hub/authorize, or EXPLORER_HUB_ALLOWED_USERS to the names approved as "
        "they sign up.")


def test_analysts_land_on_jupyterlab_in_a_home_of_their_own(hub_config, tmp_path):
    """Each analyst's server is a local process serving JupyterLab over their own home."""
    c = hub_config()
    assert c.Spawner.default_url == "/lab"
    assert c.JupyterHub.spawner_class == "jupyterhub.spawner.SimpleLocalProcessSpawner"
    home = c.SimpleLocalProcessSpawner.home_dir_template
    assert home == str(tmp_path / "state" / "users" / "{username}")
    assert "notebook_dir" not in c.Spawner  # the server's root is the home it starts in
    assert c.JupyterHub.db_url == f"sqlite:///{tmp_path / 'state' / 'jupyterhub.sqlite'}"
    assert os.path.isabs(c.Spawner.cmd[0])
    assert c.Spawner.cmd[0].endswith("jupyterhub-singleuser")
    # The single-user server refuses to run as root unless told (design.md §6).
    assert ("--allow-root" in c.Spawner.args) == (os.geteuid() == 0)


def test_homes_are_kept_when_a_server_stops(hub_config):
    """Nothing removes an analyst's home when their server stops, and the culler keeps users."""
    c = hub_config()
    assert "post_stop_hook" not in c.Spawner
    (culler,) = [s for s in c.JupyterHub.services if s["name"] == "idle-culler"]
    assert "--cull-users=False" in culler["command"]


def test_each_start_copies_in_the_notebooks_the_home_lacks(hub_config, tmp_path):
    """Before a server starts, its home gets the analysis notebooks and dashboards it lacks."""
    home = tmp_path / "home"
    spawner = types.SimpleNamespace(home_dir=str(home), user=types.SimpleNamespace(name="ann"))
    hub_config().Spawner.pre_spawn_hook(spawner)
    assert sorted(p.name for p in (home / "analysis").iterdir()) == sorted(
        p.name for p in ANALYSIS.iterdir() if p.suffix in (".ipynb", ".py", ".toml"))
    assert sorted(p.name for p in (home / "dashboards").iterdir()) == sorted(
        p.name for p in (ROOT / "notebooks").glob("*.ipynb"))

def test_idle_servers_are_stopped_after_a_configurable_time(hub_config):
    """The idle culler stops servers idle for EXPLORER_HUB_IDLE_TIMEOUT seconds; it deletes
    nobody (its role has no admin:users)."""
    c = hub_config(EXPLORER_HUB_IDLE_TIMEOUT="120")
    (culler,) = [s for s in c.JupyterHub.services if s["name"] == "idle-culler"]
    command = culler["command"]
    assert command[:3] == [sys.executable, "-m", "jupyterhub_idle_culler"]
    assert "--timeout=120" in command
    every = int(next(a for a in command if a.startswith("--cull-every=")).split("=")[1])
    assert 0 < every <= 120
    (role,) = [r for r in c.JupyterHub.load_roles if r["name"] == "idle-culler"]
    assert role["services"] == ["idle-culler"]
    assert {"list:users", "read:users:activity", "delete:servers"} <= set(role["scopes"])
    assert "admin:users" not in role["scopes"]


def test_the_idle_culler_accepts_its_command_line(hub_config):
    """The culler's own parser reads the options (an unknown one would stop the service)."""
    command = next(s for s in hub_config().JupyterHub.services
                   if s["name"] == "idle-culler")["command"]
    result = subprocess.run([*command, "--generate-config"], capture_output=True, text=True,
                            timeout=60, check=False,
                            env={**os.environ, "JUPYTERHUB_API_TOKEN": "unused"})
    assert result.returncode == 0, result.stderr
    assert "IdleCuller" in result.stdout


def test_the_default_idle_timeout_is_an_hour(hub_config):
    """Without EXPLORER_HUB_IDLE_TIMEOUT, an analyst's idle server is stopped after an hour."""
    command = next(s for s in hub_config().JupyterHub.services
                   if s["name"] == "idle-culler")["command"]
    assert "--timeout=3600" in command


def test_limits_are_stated_and_configurable(hub_config):
    """Memory, CPU, server and kernel limits have stated defaults and follow EXPLORER_HUB_*."""
    c = hub_config()
    assert (c.Spawner.mem_limit, c.Spawner.cpu_limit) == ("2G", 1.0)
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
    """Each server's environment points at the single-user settings, voila.json and 8 kernels."""
    env = hub_config().Spawner.environment
    assert env["JUPYTER_CONFIG_PATH"] == str(SINGLE_USER_DIR)
    assert env["EXPLORER_VOILA_CONFIG"] == str(ROOT / "voila.json")
    assert env["EXPLORER_HUB_KERNELS_PER_USER"] == "8"


# -- each analyst's single-user server --------------------------------------------------------

def test_voila_json_applies_inside_each_single_user_server(single_user_config):
    """voila.json's settings apply in each server: explorer template, no sources, no tracebacks."""
    c = single_user_config()
    for section, values in VOILA_JSON.items():
        if section in ("Voila", "ThrottledKernelManager", "MappingKernelManager"):
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


def test_one_analyst_gets_a_few_kernels_not_a_rooms_worth(single_user_config):
    """One analyst's server runs at most 8 kernels by default, or EXPLORER_HUB_KERNELS_PER_USER."""
    assert single_user_config().ThrottledKernelManager.max_kernels == 8
    c = single_user_config(EXPLORER_HUB_KERNELS_PER_USER="2")
    assert c.ThrottledKernelManager.max_kernels == 2


def test_an_analysts_kernels_start_from_scratch(single_user_config):
    """Analysts' servers keep no preloader: their kernels (notebooks and dashboards alike)
    are started as Jupyter starts them, never forked (readers' servers fork theirs)."""
    assert single_user_config().ThrottledKernelManager.preload_kernels is False
    assert VOILA_JSON.get("ThrottledKernelManager", {}).get("preload_kernels", True) is True


def test_analysts_get_jupyterlab_with_jupytext_and_the_dashboards_in_voila(single_user_config):
    """JupyterLab, jupytext pairing and Voila run in each server, over writable files, and
    nothing in it reaches for the internet."""
    c = single_user_config()
    extensions = c.ServerApp.jpserver_extensions
    assert extensions["jupyterlab"] is True
    assert extensions["jupyterlab_jupytext"] is True
    assert extensions["voila.server_extension"] is True
    assert "contents_manager_class" not in c.ServerApp  # Jupyter's own: analysts save files
    # Nothing asked of the internet: no MathJax from a CDN for the dashboards (as under
    # `make serve`), no PyPI search by the extension manager, no language-server probing.
    assert c.ServerApp.tornado_settings["mathjax_url"] is None
    assert c.LabApp.extension_manager == "readonly"
    assert extensions["jupyter_lsp"] is False


def test_an_analysts_idle_kernel_lasts_an_hour_not_a_minute(single_user_config):
    """A notebook kernel left without a tab is kept an hour (voila.json's readers: a minute)."""
    assert single_user_config().MappingKernelManager.cull_idle_timeout == 3600
    assert VOILA_JSON["MappingKernelManager"]["cull_idle_timeout"] == 60


def test_another_voila_json_can_be_given(single_user_config, tmp_path):
    """EXPLORER_VOILA_CONFIG names another voila.json, whose settings then apply instead."""
    other = tmp_path / "voila.json"
    other.write_text(json.dumps({"VoilaConfiguration": {"template": "lab"}}))
    c = single_user_config(EXPLORER_VOILA_CONFIG=str(other))
    assert c.VoilaConfiguration.template == "lab"
    assert "kernel_manager_class" not in c.ServerApp


# -- the analysts' homes (seed_home.py, run before each start here and on Kubernetes) ----------

SEED = HUB_DIR / "seed_home.py"


def seed(source, home) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SEED), str(source), str(home)],
                          capture_output=True, text=True, timeout=60, check=False)


def test_a_new_home_gets_the_analysis_pairs_and_the_dashboards(tmp_path):
    """A first start copies analysis/ (notebooks, .py pairs, jupytext.toml) and the dashboards;
    each analysis notebook's copy records this Python as its kernel's language (JupyterLab
    would otherwise add it and open the notebook already marked as changed)."""
    result = seed(ROOT, tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("tutorial.py", "jupytext.toml"):
        assert (tmp_path / "analysis" / name).read_bytes() == (ANALYSIS / name).read_bytes()
    copy = json.loads((tmp_path / "analysis" / "tutorial.ipynb").read_text(encoding="utf-8"))
    original = json.loads((ANALYSIS / "tutorial.ipynb").read_text(encoding="utf-8"))
    info = copy["metadata"].pop("language_info")
    assert copy == original
    assert info["name"] == "python" and info["version"] == platform.python_version()
    assert (tmp_path / "dashboards" / "matrix.ipynb").exists()
    copied = len(list((tmp_path / "analysis").iterdir())) + len(
        list((tmp_path / "dashboards").iterdir()))
    assert result.stdout.strip() == f"seed_home.py: {copied} file(s) copied into {tmp_path}"


def test_an_analysts_edits_are_never_overwritten(tmp_path):
    """A later start copies only what is missing: an edited notebook is kept, a deleted one
    comes back, and the analyst's own files are left alone."""
    seed(ROOT, tmp_path)
    edited = tmp_path / "analysis" / "tutorial.ipynb"
    edited.write_text("my own work", encoding="utf-8")
    (tmp_path / "analysis" / "questions.py").unlink()
    (tmp_path / "analysis" / "mine.ipynb").write_text("{}", encoding="utf-8")
    result = seed(ROOT, tmp_path)
    assert result.stdout.strip() == f"seed_home.py: 1 file(s) copied into {tmp_path}"
    assert edited.read_text(encoding="utf-8") == "my own work"
    assert (tmp_path / "analysis" / "questions.py").exists()
    assert (tmp_path / "analysis" / "mine.ipynb").read_text(encoding="utf-8") == "{}"


def test_seeding_from_a_folder_without_notebooks_says_so(tmp_path):
    """A SOURCE without analysis/ is refused with a message (exit 1); wrong use gets usage."""
    result = seed(tmp_path / "nowhere", tmp_path / "home")
    assert result.returncode == 1
    assert result.stderr.strip() == f"seed_home.py: {tmp_path / 'nowhere'} has no analysis/ folder"
    assert not (tmp_path / "home").exists()
    usage = subprocess.run([sys.executable, str(SEED)], capture_output=True, text=True,
                           timeout=60, check=False)
    assert usage.returncode == 2
    assert usage.stderr.strip() == "usage: python seed_home.py SOURCE HOME"


# -- Kubernetes: the same choices --------------------------------------------------------------

def test_the_kubernetes_values_make_the_same_choices(hub_config):
    """Zero to JupyterHub's values make the local hub's choices: the sign-in and its pages,
    JupyterLab, a persistent home seeded before each start, limits, culling without deleting
    accounts; the chart's schema is checked in tests/test_kubernetes.py."""
    import yaml

    values = yaml.safe_load((ROOT / "deploy" / "kubernetes" / "values.yaml").read_text())
    c = hub_config()
    hub = values["hub"]["config"]
    assert hub["JupyterHub"]["authenticator_class"] == c.JupyterHub.authenticator_class
    assert hub["NativeAuthenticator"]["open_signup"] is c.NativeAuthenticator.open_signup
    assert hub["Authenticator"]["allow_all"] is c.Authenticator.allow_all
    assert hub["Authenticator"]["admin_users"], "somebody must approve sign-ups"
    assert "TmpAuthenticator" not in hub
    templates = values["hub"]["extraConfig"]["nativeauthenticator-templates"]
    assert "c.JupyterHub.template_paths" in templates
    single = values["singleuser"]
    assert single["defaultUrl"] == c.Spawner.default_url
    assert single["memory"]["limit"] == c.Spawner.mem_limit
    assert single["uid"] != 0
    home = single["storage"]["homeMountPath"]
    assert single["storage"]["type"] == "dynamic"
    assert hub["Spawner"]["notebook_dir"] == home
    # The image's site (install.sh's layout) seeds the home on each start.
    assert single["lifecycleHooks"]["postStart"]["exec"]["command"] == [
        "/opt/explorer/venv/bin/python", "/srv/explorer/deploy/jupyterhub/seed_home.py",
        "/srv/explorer", home]
    assert single["extraEnv"]["JUPYTER_CONFIG_PATH"] == (
        "/srv/explorer/deploy/jupyterhub/singleuser")
    culler = next(s for s in c.JupyterHub.services if s["name"] == "idle-culler")["command"]
    assert values["cull"]["enabled"] is True
    assert values["cull"]["users"] is False
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
