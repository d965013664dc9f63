"""The live readers' tier on one server: Voila replicas behind HAProxy (deploy/proxy).

HAProxy checks the configuration the launcher writes; the launcher itself is run with a
stand-in replica (``tests/fixtures/fake_replica.py``, which answers with its pid and the room
store it was given), so affinity, the stopped-replica path and the environment are checked in
seconds. Real Voila replicas and browsers are in tests/browser/test_replicas.py.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

import psutil
import pytest
from process_kit import wait_for

from conftest import ROOT

sys.path.insert(0, str(ROOT / "deploy" / "proxy"))
import replicas as launcher

FAKE = f"{sys.executable} {ROOT / 'tests' / 'fixtures' / 'fake_replica.py'}"
# Long enough that a check cannot starve, short enough to see nothing wrong by accident.
AFFINITY_REQUESTS = 12


def free_ports(count: int) -> list[int]:
    """``count`` distinct free local ports (held together so they differ)."""
    import socket

    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@pytest.fixture
def fake_replicas(tmp_path):
    """Start N stand-in replicas behind a real HAProxy on free ports; all stopped afterwards."""
    started = []

    def start(count: int = 2, **options) -> launcher.Replicas:
        port, *ports = free_ports(count + 1)
        replicas = launcher.Replicas(count, port, tmp_path / f"state-{port}", serve=FAKE,
                                     replica_ports=ports, **options)
        started.append(replicas)
        return replicas.start()

    yield start
    for replicas in started:
        replicas.stop()


def get(opener, url: str) -> tuple[str, dict]:
    """(the replica that answered, as HAProxy names it; the stand-in's own answer)."""
    with opener.open(url, timeout=30) as response:
        return response.headers[launcher.REPLICA_HEADER], json.loads(response.read())


def reader() -> urllib.request.OpenerDirector:
    """An HTTP client that keeps cookies, as a reader's browser does."""
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def config_for(tmp_path, count: int = 2):
    path = tmp_path / "haproxy.cfg"
    path.write_text(launcher.render_config(
        [("127.0.0.1", 9001 + i) for i in range(count)], port=9000,
        stats_socket=tmp_path / "haproxy.sock"), encoding="utf-8")
    return path


# -- the configuration ------------------------------------------------------------------------

def test_the_generated_configuration_passes_haproxys_own_check(tmp_path):
    """`haproxy -c -f` accepts the configuration the launcher writes, for one to four replicas."""
    for count in (1, 2, 4):
        checked = launcher.check_config(config_for(tmp_path, count))
        assert checked.returncode == 0, checked.stderr
        assert "Configuration file is valid" in checked.stdout + checked.stderr


def test_haproxys_check_catches_a_broken_configuration(tmp_path):
    """A misspelt keyword in the configuration is refused by `haproxy -c`, naming the line."""
    path = config_for(tmp_path)
    path.write_text(path.read_text().replace("balance leastconn", "ballance leastconn"))
    checked = launcher.check_config(path)
    assert checked.returncode != 0
    assert "ballance" in checked.stderr


def test_the_configuration_keeps_readers_and_websockets_on_one_replica(tmp_path):
    """Cookie affinity, websocket-long tunnels, redispatch and a health check on GET /."""
    text = config_for(tmp_path).read_text()
    assert re.search(rf"^\s*cookie {launcher.COOKIE} insert indirect nocache", text, re.M)
    assert re.search(r"^\s*server r1 127\.0\.0\.1:9001 cookie r1$", text, re.M)
    assert re.search(r"^\s*server r2 127\.0\.0\.1:9002 cookie r2$", text, re.M)
    assert re.search(r"^\s*timeout tunnel 1h$", text, re.M)
    assert re.search(r"^\s*option redispatch( 1)?$", text, re.M)
    # Voila's tree page answers without starting a kernel (the browser test checks that).
    assert re.search(r"^\s*http-check send meth GET uri /$", text, re.M)


def test_print_config_writes_a_configuration_for_replicas_started_elsewhere(tmp_path):
    """--print-config --backend ... prints a configuration for, e.g., containers of the image."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "proxy" / "replicas.py"), "--print-config",
         "--backend", "10.0.0.5:8866", "--backend", "10.0.0.6:8866", "--bind", "0.0.0.0",
         "--stats-socket", str(tmp_path / "s.sock")],
        capture_output=True, text=True, timeout=60, check=True)
    assert "server r1 10.0.0.5:8866 cookie r1" in result.stdout
    assert "server r2 10.0.0.6:8866 cookie r2" in result.stdout
    assert "bind 0.0.0.0:8866" in result.stdout
    path = tmp_path / "printed.cfg"
    path.write_text(result.stdout)
    assert launcher.check_config(path).returncode == 0


def test_a_missing_haproxy_says_what_to_install(tmp_path, monkeypatch):
    """Without haproxy the launcher stops with the script and the package that install it."""
    monkeypatch.setenv("EXPLORER_HAPROXY", "/nonexistent/haproxy")
    with pytest.raises(RuntimeError) as missing:
        launcher.Replicas(2, 9000, tmp_path, serve=FAKE).start()
    assert "scripts/ensure-haproxy" in str(missing.value)
    assert "apt-get install haproxy" in str(missing.value)


# -- the launcher, with stand-in replicas ------------------------------------------------------

def test_new_readers_are_spread_over_the_replicas(fake_replicas):
    """Readers arriving without a cookie are sent to both replicas."""
    replicas = fake_replicas(2)
    seen = {get(reader(), replicas.base + "/")[0] for _ in range(6)}
    assert seen == {"r1", "r2"}


def test_a_reader_stays_on_the_replica_its_cookie_names(fake_replicas):
    """Once a reader has the replica cookie, every request of theirs goes to that replica."""
    replicas = fake_replicas(2)
    client = reader()
    first, answer = get(client, replicas.base + "/voila/render/matrix.ipynb")
    for _ in range(AFFINITY_REQUESTS):
        again, other = get(client, replicas.base + "/api/kernels/x/channels")
        assert (again, other["pid"]) == (first, answer["pid"])


def test_a_stopped_replicas_reader_is_sent_to_another_and_the_cookie_follows(fake_replicas):
    """When a reader's replica stops, their next request goes to a live one, which they keep."""
    replicas = fake_replicas(2)
    client = reader()
    first, _ = get(client, replicas.base + "/")
    replicas.replica(first).stop()
    moved, answer = get(client, replicas.base + "/")
    assert moved != first
    assert answer["pid"] == replicas.replica(moved).process.pid
    for _ in range(3):
        assert get(client, replicas.base + "/")[0] == moved


def test_a_replica_slow_to_answer_its_health_check_stays_in_service(fake_replicas):
    """A replica busy serving a room answers its health check late; a late answer is still an
    answer, so it stays up and its readers are still sent to it (a one-second check timeout
    took every busy replica out under a room's rush)."""
    replicas = fake_replicas(2, env={"FAKE_REPLICA_DELAY_S": "2.5"})
    assert wait_for(lambda: all(row["check_status"] in ("L7OK", "L7TOUT")
                                and int(row["check_duration"] or 0) >= 2500
                                for row in replicas.check_rows()), 60), replicas.check_rows()
    assert set(replicas.status().values()) == {"UP"}
    assert get(reader(), replicas.base + "/")[0] in {"r1", "r2"}


def test_with_no_replica_left_a_reader_gets_the_busy_page_that_retries(fake_replicas):
    """When no replica can take a reader, HAProxy answers with the explorer's own plain-words
    page, which tries the same address again by itself: no proxy error page, nothing from
    outside the host."""
    replicas = fake_replicas(2)
    for replica in replicas.replicas:
        replica.stop()
    assert wait_for(lambda: set(replicas.status().values()) == {"DOWN"}, 30)
    with pytest.raises(urllib.error.HTTPError) as refused:
        reader().open(replicas.base + "/voila/render/matrix.ipynb?project=pathway", timeout=30)
    body = refused.value.read().decode("utf-8")
    refused.value.close()
    assert refused.value.code == 503
    assert "The explorer is busy" in body
    assert '<meta http-equiv="refresh" content="5">' in body
    assert "haproxy" not in body.lower() and "http://" not in body and "https://" not in body


def test_every_replica_gets_the_shared_room_store(fake_replicas):
    """EXPLORER_ROOM_DB given to the launcher reaches every replica's environment."""
    store = "postgresql+psycopg://explorer@db.example/explorer"
    replicas = fake_replicas(2, env={"EXPLORER_ROOM_DB": store})
    for replica in replicas.replicas:
        _, answer = get(reader(), replica.base + "/")
        assert answer["room_db"] == store


def test_stopping_leaves_no_process_behind(fake_replicas):
    """Stopping the launcher stops HAProxy and every replica."""
    replicas = fake_replicas(2)
    processes = [psutil.Process(replicas.proxy.pid),
                 *(psutil.Process(r.process.pid) for r in replicas.replicas)]
    assert set(replicas.status().values()) == {"UP"}
    replicas.stop()
    _, alive = psutil.wait_procs(processes, timeout=15)
    assert not alive


# -- one command, one place ---------------------------------------------------------------------

def test_serve_and_serve_replicas_run_the_same_serve_command():
    """`make serve` and each replica of `make serve-replicas` run the Makefile's one SERVE."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    serve = subprocess.run(["make", "-n", "serve", "PORT=9999"], cwd=ROOT, env=env,
                           capture_output=True, text=True, check=True).stdout
    replicas = subprocess.run(["make", "-n", "serve-replicas", "REPLICAS=3", "PORT=9999"],
                              cwd=ROOT, env=env, capture_output=True, text=True,
                              check=True).stdout
    served = re.search(r"^(.*\S) --port=9999$", serve, re.M).group(1)
    assert f'--serve "{served}"' in replicas
    assert "--replicas 3 --port 9999" in replicas
    assert served.endswith(launcher.SERVE_COMMAND)  # the launcher's default is the same


# -- installing HAProxy (scripts/ensure-haproxy, run by `make test` and CI) -----------------------

ENSURE = ROOT / "scripts" / "ensure-haproxy"


def test_ensure_haproxy_is_quiet_when_haproxy_is_installed():
    """With haproxy installed, the script says nothing and succeeds (CI runs it every time)."""
    result = subprocess.run(["sh", str(ENSURE)], capture_output=True, text=True, timeout=60,
                            check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_ensure_haproxy_names_the_package_when_the_given_binary_is_missing():
    """EXPLORER_HAPROXY naming a missing file: the script says what to install (exit 1)."""
    result = subprocess.run(["sh", str(ENSURE)], capture_output=True, text=True, timeout=60,
                            check=False, env={**os.environ, "EXPLORER_HAPROXY": "/nope/haproxy"})
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "haproxy not found at /nope/haproxy. Install Debian's 'haproxy' package",
        "(sudo apt-get install haproxy) or set EXPLORER_HAPROXY to a haproxy binary."]


def test_every_deploy_shell_script_parses():
    """Each shell script in deploy/ and scripts/ is valid sh (`sh -n`); Python helpers in
    scripts/ are left to ruff."""
    scripts = [*ROOT.glob("deploy/**/*.sh"),
               *(p for p in (ROOT / "scripts").iterdir() if p.suffix != ".py")]
    assert ENSURE in scripts
    for script in scripts:
        result = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True,
                                timeout=30, check=False)
        assert result.returncode == 0, f"{script}: {result.stderr}"
