"""Where participants join a room, and whether their phones can open it (pure).

The presenter's panel makes the join address from the address its own page was opened by
(or ``$EXPLORER_ROOM_URL``), and ``room open`` from ``--base``; both say so when the address
names the presenter's own machine, which no phone can open.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urljoin, urlsplit

__all__ = ["LOCAL_ONLY", "LOCAL_ONLY_BASE", "ROOM_URL_ENV", "join_address",
           "join_address_from_base", "reachable_from_phones"]

ROOM_URL_ENV = "EXPLORER_ROOM_URL"


def join_address(page_href: str, code: str) -> str:
    """The address participants open for room ``code``.

    ``$EXPLORER_ROOM_URL`` when set: the join page's server as the room reaches it, e.g.
    ``http://192.168.1.20:8866/``, or an address relative to the presenter's page (on
    JupyterHub, ``/services/room/``); otherwise the same server as the presenter's page,
    whose address is ``<base>voila/render/<page>.ipynb``.
    """
    base = os.environ.get(ROOM_URL_ENV, "").strip()
    if base:
        root = urljoin(page_href, base if base.endswith("/") else base + "/")
        return urljoin(root, f"room/{code}")
    return urljoin(page_href, f"../../room/{code}")


LOCAL_ONLY = ("Phones cannot open this address: it is this computer's own. Serve the explorer "
              "on the room's network and open this page by that address (README, Running a "
              "workshop, step 1).")
#: The same for ``room open``, whose join address comes from ``--base``.
LOCAL_ONLY_BASE = ("Phones cannot open this address: it is this computer's own. Serve the "
                   "explorer on the room's network and give --base that address (README, "
                   "Running a workshop, step 1).")


def reachable_from_phones(address: str) -> bool:
    """False when ``address`` names the presenter's own machine (``localhost``, 127.0.0.1,
    ::1), which no phone can open; an address relative to the page or any other host may
    be reachable."""
    host = urlsplit(address).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def join_address_from_base(base: str, code: str) -> str:
    """The address participants open: ``<base>room/<CODE>``."""
    return urljoin(base if base.endswith("/") else base + "/", f"room/{code}")
