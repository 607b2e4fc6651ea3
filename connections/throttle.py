"""Slowing down wrong credentials (API tokens, device tokens) without ever refusing a right one.

Callers check the presented credential first (one indexed lookup by its hash)
and answer a valid one at once: a guesser, or one misconfigured script, never
locks out the owner's scripts and phones, even behind a proxy where every
client shares an address. Only a credential that was not accepted is counted,
twice: under the client address and under the credential itself (by hash, so
one wrong token sent from many addresses is slowed too). Past ``LIMIT``
failures of either in a window, ``note_failure`` says how long to wait and the
caller answers 429 with ``Retry-After`` instead of 401.

Counts live in Django's cache, in fixed windows of ``WINDOW_SECONDS`` aligned
to the clock (the wait is exact: the rest of the window). With the default
per-process cache each web process counts on its own; production configures a
shared cache (README, "Running in production").
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

LIMIT = 20  # failed attempts per address, and per credential, in one window
WINDOW_SECONDS = 300


def note_failure(scope: str, address: str, credential: str, *, now: datetime | None = None) -> int | None:
    """Count one refused credential; the seconds to wait when over the limit, else None.

    ``scope`` keeps separate counts per kind of credential ("api", "device").
    The first ``LIMIT`` failures in a window get None (answer 401), later ones
    the rest of the window (answer 429).
    """
    now = now or timezone.now()
    seconds = int(now.timestamp())
    window, left = divmod(seconds, WINDOW_SECONDS)
    wait = WINDOW_SECONDS - left
    keys = [f"ownerhub:auth-failures:{scope}:address:{address}:{window}"]
    if credential:
        digest = hashlib.sha256(credential.encode("utf-8", "surrogatepass")).hexdigest()
        keys.append(f"ownerhub:auth-failures:{scope}:credential:{digest}:{window}")
    counts = [_incr(key, ttl=wait + 1) for key in keys]
    return wait if max(counts) > LIMIT else None


def _incr(key: str, *, ttl: int) -> int:
    if cache.add(key, 1, ttl):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, ttl)
        return 1
