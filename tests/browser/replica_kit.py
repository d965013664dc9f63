"""Helpers for the replica tests and ``bench/replicas.py``: real Voila replicas behind HAProxy.

The replicas are started by the same launcher as ``make serve-replicas``
(``deploy/proxy/replicas.py``), with the launcher's one serve command run from this
repository's ``.venv``, on free ports, with their configuration and logs in a given folder.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from hub_kit import free_ports

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy" / "proxy"))

from replicas import (  # noqa: E402
    COOKIE,
    MISSING_HAPROXY,
    REPLICA_HEADER,
    SERVE_COMMAND,
    Replicas,
    haproxy_path,
)

__all__ = ["COOKIE", "MISSING_HAPROXY", "REPLICA_HEADER", "Replicas", "haproxy_path",
           "replica_holding", "start_replicas"]

# What the browser tests' servers never inherit (browser_kit.start_voila does the same).
TEST_ONLY_ENV = ("EXPLORER_STRICT", "EXPLORER_DATA", "EXPLORER_DATA_BASE")


def start_replicas(state: Path, count: int = 2, env: Mapping[str, str] | None = None,
                   extra_args: str = "") -> Replicas:
    """``count`` replicas of the launcher's serve command behind HAProxy, on free ports.

    Args:
        state: folder for the generated configuration and the logs.
        env: more environment for every replica, e.g. ``{"EXPLORER_ROOM_DB": ...}``.
        extra_args: appended to the serve command (e.g. a cull time for a benchmark).
    """
    serve = f"{ROOT / '.venv' / 'bin'}/{SERVE_COMMAND} --Voila.port_retries=0 {extra_args}"
    environment = {name: None for name in TEST_ONLY_ENV} | dict(env or {})
    last: Exception | None = None
    for _attempt in range(3):  # a free port can be taken in between: try others
        port, *ports = free_ports(count + 1)
        replicas = Replicas(count, port, state / f"replicas-{port}", serve=serve.strip(),
                            replica_ports=ports, env=environment)
        try:
            return replicas.start()
        except RuntimeError as error:
            last = error
    raise RuntimeError(f"the replicas did not start: {last}")


def replica_holding(replicas: Replicas, kernel_id: str) -> str | None:
    """The replica whose kernel list holds ``kernel_id`` (asked of each directly), or None."""
    for replica in replicas.replicas:
        try:
            with urllib.request.urlopen(f"{replica.base}/api/kernels/{kernel_id}",
                                        timeout=10) as reply:
                if json.loads(reply.read()).get("id") == kernel_id:
                    return replica.name
        except urllib.error.HTTPError as error:
            error.close()
        except (urllib.error.URLError, OSError):
            continue
    return None
