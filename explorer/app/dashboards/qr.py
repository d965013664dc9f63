"""A web address as a QR code, for a phone to join from (the presentation's "Join this
session" panel and the room panel both show one)."""

from __future__ import annotations

import segno

__all__ = ["MAX_ADDRESS_LENGTH", "qr_data_uri"]

#: The longest address made into a QR code.
MAX_ADDRESS_LENGTH = 2000


def qr_data_uri(address: object) -> str | None:
    """A QR code of a web address, as an SVG ``data:`` address for an image; None when
    ``address`` is not a plain http(s) address of at most ``MAX_ADDRESS_LENGTH`` visible
    ASCII characters (what a browser's ``location.href`` is)."""
    if not (isinstance(address, str) and 0 < len(address) <= MAX_ADDRESS_LENGTH
            and address.lower().startswith(("http://", "https://"))
            and all("!" <= ch <= "~" for ch in address)):
        return None
    code = segno.make(address, error="m", micro=False)
    return str(code.svg_data_uri(scale=1, border=4, dark="#000", light="#fff", omitsize=True,
                                 title="QR code of this page's address"))
