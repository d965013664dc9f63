"""Settings of each viewer's single-user Jupyter server: the repository's ``voila.json``.

JupyterHub starts ``jupyterhub-singleuser`` (a Jupyter server) with ``JUPYTER_CONFIG_PATH``
pointing at this folder. Voila then runs as a server extension, not as the ``voila`` app
that ``make serve`` starts, so ``voila.json`` is not applied by itself; this file applies it:

- ``VoilaConfiguration`` (template ``explorer``, sources stripped, tracebacks hidden, no file
  access), ``VoilaExecutor`` (timeouts), ``MappingKernelManager`` (idle-kernel culling),
  ``ThrottledKernelManager`` and ``AsyncKernelManager`` (the stall-proof kernel client) go
  into the server's configuration as they are;
- ``VoilaConfiguration.multi_kernel_manager_class`` becomes the server's
  ``kernel_manager_class`` (an extension uses the server's kernel manager);
- the ``Voila`` section (the standalone app's address and browser) is left out: the hub
  decides the address.

Then the per-viewer differences, on purpose:

- no MathJax URL, as under ``voila`` (otherwise the page would load MathJax from a CDN);
- ``ThrottledKernelManager.max_kernels`` is ``$EXPLORER_HUB_KERNELS_PER_USER`` (default 4):
  one server now serves one viewer, not a room;
- no terminals, no JupyterLab or Notebook front end, and a read-only contents API: an
  anonymous viewer cannot change the dashboards every other viewer is served.

The voila.json applied is ``$EXPLORER_VOILA_CONFIG``, else the repository's (three folders up).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado import web
from traitlets.config import Config

c = get_config()  # noqa: F821 -- provided by the Jupyter server when it loads this file

VOILA_JSON = Path(os.environ.get("EXPLORER_VOILA_CONFIG")
                  or Path(__file__).resolve().parents[3] / "voila.json")
STANDALONE_ONLY = frozenset({"Voila"})

settings = json.loads(VOILA_JSON.read_text(encoding="utf-8"))
c.merge(Config({section: values for section, values in settings.items()
                if section not in STANDALONE_ONLY}))
manager_class = settings.get("VoilaConfiguration", {}).get("multi_kernel_manager_class")
if manager_class:
    c.ServerApp.kernel_manager_class = manager_class
# Voila's app leaves MathJax unset (no formula on any page); as an extension it would link
# MathJax from a CDN. Keep pages offline as under `make serve`.
c.ServerApp.tornado_settings = {"mathjax_url": None, "mathjax_config": None}
c.ThrottledKernelManager.max_kernels = int(os.environ.get("EXPLORER_HUB_KERNELS_PER_USER")
                                           or 4)


class ReadOnlyContentsManager(AsyncLargeFileManager):
    """The server's files can be read (Voila renders them) but never changed."""

    @staticmethod
    def _refuse(*_args, **_kwargs):
        raise web.HTTPError(403, "The dashboards are read-only.")

    save = delete_file = rename_file = _refuse
    create_checkpoint = restore_checkpoint = delete_checkpoint = _refuse


c.ServerApp.contents_manager_class = ReadOnlyContentsManager
c.ServerApp.terminals_enabled = False
c.ServerApp.jpserver_extensions = {
    "voila.server_extension": True,
    "jupyterlab": False, "notebook": False, "nbclassic": False, "jupyter_server_terminals": False,
}
