"""A message's key (see the package doc for why it starts with the time).

The key is ``stamp + digest``: ``stamp`` the local time as written (``YYYYMMDDTHHMMSS-``),
``digest`` a blake2b (16 bytes, hex) of the UTC time, author, text and occurrence number
(``_key``), so that identical messages at the same timestamp keep distinct keys.
"""

from __future__ import annotations

import hashlib

_STREAM = "messages"
_blake2b = hashlib.blake2b


def _key(stamp: str, iso: str, author: str, body: str, n: int) -> str:
    """The key of the n-th message (from 0) with this author and body at this UTC time."""
    digest = _blake2b(f"{iso}\x1f{author}\x1f{body}\x1f{n}".encode(), digest_size=16)
    return stamp + digest.hexdigest()  # time first: see the package docstring
