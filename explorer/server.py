"""The explorer's server: Voila with the rooms' join page beside it, without a kernel.

``python -m explorer serve [VOILA ARGS]`` (what ``make serve``, the container image and the
browser tests run) starts ``ExplorerVoila``: Voila 0.5's standalone app, unchanged except
that ``init_handlers`` puts the join page's tornado handlers (``explorer.rooms.web``) in
front of Voila's own. Voila standalone builds its tornado application in ``start`` from
``init_settings`` and ``init_handlers`` and loads no Jupyter server extensions, so a
subclass is the supported place to add routes; everything else — ``voila.json``, the
command-line flags, the kernels — is Voila's.

On a Jupyter server (JupyterHub's single-user servers) the same handlers come from the
server extension this module also is (``_load_jupyter_server_extension``), enabled in
``deploy/jupyterhub/singleuser/jupyter_server_config.py``.

A participant's phone therefore costs one HTTP request per page and a few rows in the
store, never a kernel.
"""

from __future__ import annotations

from typing import Any

from voila.app import Voila

from .rooms.web import room_handlers

__all__ = ["ExplorerVoila", "main"]


class ExplorerVoila(Voila):
    """Voila plus the rooms' join page (``room/join``, ``room/<CODE>``)."""

    description = "Voila serving the explorer's dashboards, plus the live rooms' join page."

    def init_handlers(self) -> list[Any]:
        """Voila's handlers, with the join page's in front (they match ``room/`` only)."""
        handlers = super().init_handlers()
        return [*room_handlers(self.server_url or self.base_url), *handlers]


def main(argv: list[str] | None = None) -> None:
    """Run the server with Voila's command line (e.g. ``notebooks/ --port=8866``)."""
    ExplorerVoila.launch_instance(argv=argv)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "explorer.server"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Add the join page to a Jupyter server (a JupyterHub single-user server)."""
    base = serverapp.web_app.settings.get("base_url", "/")
    serverapp.web_app.add_handlers(".*$", room_handlers(base))
