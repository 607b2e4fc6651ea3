"""Reconnect a feed in place: a new address is tested before it is saved (Plaid's update mode).

``try_feed_address`` fetches the address once through the same safe fetcher a pull uses
(``connections.fetch``: the address rule hop by hop, no validators) and reads the answer with
the connector's own parser, keeping nothing. It says what it found ("42 events, newest 3 Dec
2024") or raises ``AddressRefused`` in owner words. ``reconnect`` then saves the address
(``collect.set_feed_url``: due now) and records the credential condition ``unknown`` with the
reason ``new_address``, so the card says "Checking the new address…" until a pull has answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .collect import (
    FEED_HORIZON,
    FEED_TIMEOUT_SECONDS,
    MAX_FEED_BYTES,
    normalize_feed_url,
    set_feed_url,
)
from .connectors.base import ArtifactRejected, BatchFacts, Body, ParseOptions
from .connectors.manifest import FetchPolicy
from .fetch import FeedUrlInvalid, FetchFailed, check_feed_address, fetch
from .models import Condition, Connection
from .runtime import record_condition
from .zones import owner_zone

NEW_ADDRESS = "new_address"  # the credential condition's reason until the first pull from the new address

_REFUSALS = {
    "credential_rejected": "The address was refused by the calendar: it may have been reset, so copy it again.",
    "timeout": "The address did not answer in time.",
    "network_error": "The address could not be reached.",
    "too_many_redirects": "The address sent Ownerhub on too many times without an answer.",
    "server_error": "The calendar's server had a problem; try again later.",
}


class AddressRefused(Exception):
    """The new address cannot be used; the message says why, in owner words."""


@dataclass(frozen=True)
class Found:
    records: int
    newest: datetime | None
    text: str  # "42 events, newest 3 Dec 2024"


def _day(moment: datetime, zone) -> str:
    local = moment.astimezone(zone)
    return f"{local.day} {local:%b %Y}"


def try_feed_address(connection: Connection, url: str) -> Found:
    """Fetch and read ``url`` for ``connection`` without keeping anything; raises AddressRefused."""
    path = connection.manifest.path("provider_api")
    if path is None or path.parser is None:
        raise AddressRefused("This source has no feed address.")
    policy = path.fetch or FetchPolicy()
    try:
        url = normalize_feed_url(url)
        check_feed_address(url)
        fetched = fetch(url, timeout=policy.timeout_seconds or FEED_TIMEOUT_SECONDS,
                        max_bytes=policy.max_bytes or MAX_FEED_BYTES)
    except FeedUrlInvalid as exc:
        raise AddressRefused(str(exc)) from None
    except FetchFailed as exc:
        if exc.error_class == "internal_address":
            raise AddressRefused(exc.message) from None
        if exc.status == 404:
            raise AddressRefused("The address answered “not found”: check that it was copied whole.") from None
        raise AddressRefused(_REFUSALS.get(exc.error_class, exc.message)) from None
    zone = owner_zone(connection.owner_id)
    try:
        options = ParseOptions(time_zone=zone, horizon=timezone.now() + FEED_HORIZON)  # as a pull reads it
        records = list(path.parser(Body(fetched.body, fetched.charset), BatchFacts(), options))
    except ArtifactRejected as exc:
        raise AddressRefused(f"The address answered, but not with a calendar Ownerhub can read. {exc.detail}") from None
    noun = connection.manifest.record_noun
    newest = max((r.event_at for r in records), default=None)
    text = f"{len(records):,} {noun[0] if len(records) == 1 else noun[1]}"
    if newest is not None:
        text += f", newest {_day(newest, zone)}"
    return Found(len(records), newest, text)


@transaction.atomic
def reconnect(connection: Connection, url: str, *, now: datetime | None = None) -> Connection:
    """Save a tested address: due now, and "checking" until a pull from it has answered."""
    now = now or timezone.now()
    set_feed_url(connection, url, now=now)
    record_condition(connection, Condition.Type.CREDENTIAL, Condition.Status.UNKNOWN, now=now, reason=NEW_ADDRESS)
    return connection
