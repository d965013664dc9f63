"""Settings of each analyst's single-user Jupyter server: JupyterLab, jupytext, and Voila.

JupyterHub starts ``jupyterhub-singleuser`` (a Jupyter server) with ``JUPYTER_CONFIG_PATH``
pointing at this folder, in the analyst's home. What it serves:

- JupyterLab (the landing page) over the analyst's home, writable, with jupytext pairing each
  ``.ipynb`` with its ``.py`` (``analysis/jupytext.toml``), so a save writes both;
- the dashboards through Voila, as a server extension, with the repository's ``voila.json``
  applied (Voila's own app would read it; an extension does not):
  ``VoilaConfiguration`` (template ``explorer``, sources stripped, tracebacks hidden, no file
  access), ``VoilaExecutor`` (timeouts), ``ThrottledKernelManager`` and ``AsyncKernelManager``
  (queued starts, the stall-proof kernel client) go into the server's configuration as they
  are, and ``VoilaConfiguration.multi_kernel_manager_class`` becomes the server's
  ``kernel_manager_class`` (an extension uses the server's kernel manager); the ``Voila``
  section (the standalone app's address) is left out: the hub decides the address.

Then what differs for an analyst, on purpose:

- ``ThrottledKernelManager.max_kernels`` is ``$EXPLORER_HUB_KERNELS_PER_USER`` (default 8):
  one server serves one analyst's notebooks and dashboards, not a room;
- no preloader (``preload_kernels`` off): every kernel, a dashboard's included, starts from
  scratch, as Jupyter starts one. The analysis notebooks do run in forked kernels, but an
  analyst's kernel would share the preloaded dataset (``explorer.load()`` returning the same
  object each time, where a fresh kernel reads a new one, so an edit to a table would carry
  over), and a preloader per analyst's server (about 70 MB of its own) would save a second
  or two once per notebook (docs/operators.md);
- a kernel left without a tab is stopped after an hour, not voila.json's minute: an analyst's
  notebook state is worth keeping while they step away;
- no MathJax URL, as under ``voila`` (otherwise a dashboard would load MathJax from a CDN);
- nothing asked of the internet: JupyterLab's extension manager is read-only (it would search
  PyPI), and jupyter-lsp is off (no language server is installed; it would only probe for
  them, running npm, at every start).

The voila.json applied is ``$EXPLORER_VOILA_CONFIG``, else the repository's (three folders up).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from traitlets.config import Config

c = get_config()  # noqa: F821 -- provided by the Jupyter server when it loads this file

VOILA_JSON = Path(os.environ.get("EXPLORER_VOILA_CONFIG")
                  or Path(__file__).resolve().parents[3] / "voila.json")
STANDALONE_ONLY = frozenset({"Voila"})
ANALYST_KERNEL_IDLE_S = 3600

settings = json.loads(VOILA_JSON.read_text(encoding="utf-8"))
c.merge(Config({section: values for section, values in settings.items()
                if section not in STANDALONE_ONLY}))
manager_class = settings.get("VoilaConfiguration", {}).get("multi_kernel_manager_class")
if manager_class:
    c.ServerApp.kernel_manager_class = manager_class
# Voila's app leaves MathJax unset (no formula on any page); as an extension it would link
# MathJax from a CDN. Keep dashboards offline as under `make serve`.
c.ServerApp.tornado_settings = {"mathjax_url": None, "mathjax_config": None}
c.ThrottledKernelManager.max_kernels = int(os.environ.get("EXPLORER_HUB_KERNELS_PER_USER")
                                           or 8)
c.ThrottledKernelManager.preload_kernels = False
c.MappingKernelManager.cull_idle_timeout = ANALYST_KERNEL_IDLE_S
c.LabApp.extension_manager = "readonly"
c.ServerApp.jpserver_extensions = {
    "jupyterlab": True,
    "jupyterlab_jupytext": True,
    "voila.server_extension": True,
    "notebook": False, "nbclassic": False, "jupyter_lsp": False,
}
