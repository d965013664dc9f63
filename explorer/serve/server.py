"""The explorer's server: Voila with the rooms' join page beside it, without a kernel.

``python -m explorer serve [VOILA ARGS]`` (what ``make serve``, the container image and the
browser tests run) starts ``ExplorerVoila``: Voila 0.5's standalone app, unchanged except
that ``init_handlers`` puts the join page's tornado handlers (``explorer.rooms.web``) in
front of Voila's own. Voila standalone builds its tornado application in ``start`` from
``init_settings`` and ``init_handlers`` and loads no Jupyter server extensions, so a
subclass is the supported place to add routes; everything else — ``voila.json``, the
command-line flags, the kernels — is Voila's.

Where Voila runs inside someone else's server (JupyterHub's single-user servers, each behind
the hub's sign-in), participants could not reach a join page there; ``serve_join_page``
(``python -m explorer room serve``) runs the same handlers alone, as a JupyterHub service
(``deploy/jupyterhub/jupyterhub_config.py``) sharing the store with every presenter.

A participant's phone therefore costs one HTTP request per page and a few rows in the
store, never a kernel.

**One store.** Before anything starts, ``rooms.store.settle_environment`` makes the store's
address absolute in the server's own environment (the state folder, default
``.explorer-state/`` in the folder the server was started from, or a SQLite
``$EXPLORER_ROOM_DB``), and the server logs where answers are kept. Every kernel inherits
that environment (Voila starts each with the server's environment; a kernel forked from
``explorer.serve.preload`` takes the environment its launch was given), so the presenter's kernel,
working in the notebooks' folder, and the join page read and write the same store.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from tornado import web
from traitlets import Bool
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

from ..rooms.store import settle_environment
from ..rooms.web import room_handlers
from .first_view import FirstViewHandler, prelaunch_hook
from .first_view import warm as warm_first_views

__all__ = ["OPEN_FILES", "ExplorerVoila", "main", "raise_open_files_limit", "serve_join_page"]

#: Open files the server asks for at least: Jupyter's own server's default.
OPEN_FILES = 4096


class ExplorerVoila(Voila):
    """Voila plus the rooms' join page (``room/join``, ``room/<CODE>``)."""

    description = "Voila serving the explorer's dashboards, plus the live rooms' join page."

    first_view = Bool(
        True, config=True,
        help="Send each page's view, drawn on the server, before its kernel starts "
             "(explorer.serve.first_view); off: Voila's own page only (benchmarks compare both).")

    def initialize(self, argv: Any = None) -> None:
        """Decide the room store once, before any kernel can start, then Voila's own; a
        page's first response shows its view (``explorer.serve.first_view.prelaunch_hook``)
        unless another prelaunch hook is configured."""
        where = settle_environment()
        super().initialize(argv)
        self.log.info("Live rooms' answers are kept in %s", where)
        if self.first_view and self.voila_configuration.prelaunch_hook is None:
            self.voila_configuration.prelaunch_hook = prelaunch_hook
            warm_first_views()

    def init_handlers(self) -> list[Any]:
        """Voila's handlers, with the join page's in front (they match ``room/`` only)."""
        handlers = super().init_handlers()
        if self.voila_configuration.prelaunch_hook is prelaunch_hook:
            # Voila's page handler, rendering each page's first view off the event loop.
            handlers = [(spec[0], FirstViewHandler, *spec[2:])
                        if isinstance(spec, tuple) and spec[1:2] == (TornadoVoilaHandler,)
                        else spec for spec in handlers]
        return [*room_handlers(self.server_url or self.base_url), *handlers]


def main(argv: list[str] | None = None) -> None:
    """Run the server with Voila's command line (e.g. ``notebooks/ --port=8866``)."""
    raise_open_files_limit()
    ExplorerVoila.launch_instance(argv=argv)


def raise_open_files_limit(minimum: int = OPEN_FILES) -> None:
    """Raise this process's soft limit on open files to ``minimum`` (within its hard limit),
    as Jupyter's own server does and Voila's does not: each reader's kernel holds about a
    dozen files in the server (its ZeroMQ sockets, its pidfd), so 200 readers need more than
    the 1,024 many systems allow by default. Nothing to do where there are no such limits."""
    try:
        import resource
    except ImportError:  # Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = minimum if hard == resource.RLIM_INFINITY else min(minimum, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def serve_join_page(port: int, ip: str = "127.0.0.1", base_url: str = "/") -> None:
    """Serve only the join page (``<base_url>room/…``) until interrupted: no Voila, no
    kernels. JupyterHub runs it as the ``room`` service (``base_url`` =
    ``$JUPYTERHUB_SERVICE_PREFIX``)."""
    logging.basicConfig(level=logging.INFO, format="[explorer room %(levelname)s] %(message)s")
    where = settle_environment()
    logging.getLogger("explorer.rooms").info("answers are kept in %s", where)

    async def run() -> None:
        app = web.Application(room_handlers(base_url))
        app.listen(port, ip)
        logging.getLogger("explorer.rooms").info("join page at http://%s:%d%sroom/join", ip,
                                                 port, base_url)
        await asyncio.Event().wait()

    asyncio.run(run())
