"""Services over connections: add, pause, resume. Pages, commands and the API call these.

Removing a connection takes its evidence with it: that is ``coverage.pipeline.remove_connection``.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.text import slugify

from .collect import FeedUrlInvalid, entered_feed_url
from .connectors import all_manifests
from .connectors import get as get_manifest
from .models import Connection

DEFAULT_PULL_INTERVAL = timedelta(hours=1)
RESERVED_SLUGS = frozenset({"new"})  # /sources/new/ is the catalog


class ConnectionError_(ValueError):
    """A request about a connection the owner can fix (unknown connector, slug taken)."""


def add_connection(owner, connector: str, slug: str, name: str, *, feed_url: str = "") -> Connection:
    """Create a connection. Pulled sources get an interval schedule; others are manual."""
    try:
        manifest = get_manifest(connector)
    except LookupError:
        known = ", ".join(f"{m.id} ({m.name})" for m in all_manifests())
        raise ConnectionError_(f"Unknown connector {connector!r}. Choose one of: {known}.") from None
    if not slug or slugify(slug) != slug:
        raise ConnectionError_(f"{slug!r} is not a valid slug: use lowercase letters, digits and hyphens.")
    if slug in RESERVED_SLUGS:
        raise ConnectionError_(f"{slug!r} is reserved for a page address; choose another slug.")
    if Connection.objects.for_owner(owner).filter(slug=slug).exists():
        raise ConnectionError_(f"You already have a source called {slug!r}.")
    if feed_url:
        try:  # normalized, and refused when it points inside a private network
            feed_url = entered_feed_url(feed_url)
        except FeedUrlInvalid as exc:
            raise ConnectionError_(str(exc)) from None
    now = timezone.now()
    pulled = manifest.path("provider_api") is not None
    policy = Connection.Policy.INTERVAL if pulled else Connection.Policy.MANUAL
    return Connection.objects.create(
        owner=owner,
        connector=connector,
        slug=slug,
        name=name or manifest.name,
        schedule_policy=policy,
        resume_policy=policy,
        interval_seconds=int(DEFAULT_PULL_INTERVAL.total_seconds()) if pulled else None,
        next_due_at=now if pulled else None,
        feed_url=feed_url,
        created_at=now,
    )


def unique_slug(owner, name: str) -> str:
    base = slugify(name)[:60] or "source"
    slug, n = base, 2
    while Connection.objects.for_owner(owner).filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def pause_connection(connection: Connection) -> Connection:
    if not connection.is_paused:
        connection.resume_policy = connection.schedule_policy
        connection.schedule_policy = Connection.Policy.PAUSED
        connection.save(update_fields=["schedule_policy", "resume_policy"])
    return connection


def resume_connection(connection: Connection, *, now=None) -> Connection:
    if connection.is_paused:
        connection.schedule_policy = connection.resume_policy or Connection.Policy.MANUAL
        if connection.schedule_policy == Connection.Policy.INTERVAL:
            connection.next_due_at = now or timezone.now()
        connection.save(update_fields=["schedule_policy", "next_due_at"])
    return connection
