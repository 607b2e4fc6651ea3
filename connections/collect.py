"""Provider feeds (provider_api) without the pipeline: addresses, backoff, claiming due pulls.

``coverage.pipeline.pull`` runs a pull with these rules. One pull is one ``CollectionRun``
and, when the feed answered with a body, one committed batch. What each answer becomes:

- 200: events parsed, batch committed, run ``success``; the validators
  (ETag, Last-Modified) are kept and sent back next time.
- 304: run ``not_modified`` (a success: nothing new), no batch.
- 401/403: credential condition ``rejected`` and run ``failure``; ``run_due``
  then skips the connection until the feed address is set again
  (``set_feed_url``), so there is no retry loop against a refused secret.
  Each pull it skips is recorded (``skip_refused``): one ``skipped`` run per stretch
  counting them (``missed``), and the schedule moves on by the interval.
- pulls that fell due while the background worker was not running: when the scheduler
  finds a connection overdue by a whole interval or more, it records them as one
  ``skipped`` run (reason ``worker_down``), then pulls once.
- an address inside a private network (the first or a redirect's; see
  ``connections.fetch``): refused before connecting, credential condition
  ``rejected`` (reason ``internal_address``) and run ``failure``, like a 401.
- network errors, timeouts, 5xx and other failures: run ``failure`` and an
  exponential backoff, ``next_due_at = now + min(interval, BACKOFF_BASE *
  2**(n-1))`` for the n-th failure in a row. A success clears it.

The feed address may hold a secret; it is never logged or shown in full
(``masked_feed_url``).
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from .connectors import all_manifests
from .fetch import FeedUrlInvalid as FeedUrlInvalid  # pages and services catch it from here
from .fetch import check_feed_address
from .models import CollectionRun, Condition, Connection
from .runtime import blocked_by_credential, clear_conditions

FEED_TIMEOUT_SECONDS = getattr(settings, "OWNERHUB_FEED_TIMEOUT_SECONDS", 20)
MAX_FEED_BYTES = getattr(settings, "OWNERHUB_MAX_FEED_BYTES", 20 * 1024**2)
BACKOFF_BASE = timedelta(minutes=1)
DEFAULT_INTERVAL = timedelta(hours=1)
FEED_HORIZON = timedelta(days=365)  # how far ahead of a pull a feed's repeating events are written out
CLAIM_LEASE = timedelta(minutes=10)  # a claimed pull is not picked again by another worker for this long

Outcome = CollectionRun.Outcome
Skip = CollectionRun.Skip


# ---------------------------------------------------------------- the address


def entered_feed_url(url: str) -> str:
    """The address to store for what the owner entered; raises FeedUrlInvalid (FeedAddressInside
    when it points inside a private network the installation does not allow)."""
    url = normalize_feed_url(url)
    check_feed_address(url)
    return url


def normalize_feed_url(url: str) -> str:
    """An http(s) address for ``url`` (``webcal://`` becomes ``https://``); raises FeedUrlInvalid."""
    url = (url or "").strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("webcal", "webcals"):
        scheme = "https"
    if scheme not in ("http", "https") or not parts.hostname:
        raise FeedUrlInvalid("A feed address starts with https://, http:// or webcal:// and names a host.")
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


_SECRETISH = re.compile(r"[A-Za-z0-9_\-%.~]{12,}")


def masked_feed_url(url: str) -> str:
    """The address with its secret parts hidden: host shown; user info, query and long path segments
    replaced whole, so no character of a secret shows (to the owner or to an operator in the admin).

    ``https://calendar.google.com/calendar/ical/ada%40gmail.com/private-0123abcd.../basic.ics``
    becomes ``https://calendar.google.com/calendar/ical/…/…/basic.ics``.
    """
    if not url:
        return ""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    segments = []
    for segment in parts.path.split("/"):
        if (_SECRETISH.fullmatch(segment) and not segment.endswith(".ics")) or len(segment) > 24:
            segment = "…"
        segments.append(segment)
    query = "…" if parts.query else ""
    return urlunsplit((parts.scheme, host, "/".join(segments), query, ""))


@transaction.atomic
def set_feed_url(connection: Connection, url: str, *, now: datetime | None = None) -> Connection:
    """Store a (new or re-entered) feed address: the reconnect after a refusal.

    Clears the old validators and the credential verdict, which was about the
    old address, and makes the connection due now.
    """
    now = now or timezone.now()
    connection.feed_url = entered_feed_url(url)
    connection.feed_etag = connection.feed_last_modified = ""
    if connection.schedule_policy == Connection.Policy.INTERVAL:
        connection.next_due_at = now
    connection.save(update_fields=["feed_url", "feed_etag", "feed_last_modified", "next_due_at"])
    clear_conditions(connection, Condition.Type.CREDENTIAL, now=now)
    return connection


# ---------------------------------------------------------------- a pull's run and the next one


def interval_of(connection: Connection) -> timedelta:
    return timedelta(seconds=connection.interval_seconds) if connection.interval_seconds else DEFAULT_INTERVAL


def backoff(connection: Connection, failures_in_a_row: int) -> timedelta:
    """Wait before the next try after the n-th failure in a row: doubling, capped at the interval."""
    n = max(1, failures_in_a_row)
    step = BACKOFF_BASE * (2 ** min(n - 1, 30))
    return min(interval_of(connection), step)


def failure_streak(connection: Connection) -> int:
    """Failed runs in a row, the latest first (at most 20 are looked at)."""
    count = 0
    for outcome in (
        CollectionRun.objects.filter(connection=connection)
        .exclude(outcome__in=(Outcome.RUNNING, Outcome.SKIPPED))  # a skipped pull is not the feed's failure
        .order_by("-started_at", "-pk")
        .values_list("outcome", flat=True)[:20]
    ):
        if outcome != Outcome.FAILURE:
            break
        count += 1
    return count


def finish_run(connection: Connection, run: CollectionRun, outcome: str, *, now: datetime, started: float,
               error_class: str = "", message: str = "", records: int = 0) -> CollectionRun:
    """Close a pull's run and set the next one: the interval after a success, a backoff after a failure."""
    run.outcome, run.error_class, run.message, run.records = outcome, error_class, message[:300], records
    run.finished_at = now + timedelta(seconds=time.monotonic() - started)
    run.save(update_fields=["outcome", "error_class", "message", "records", "finished_at"])
    if outcome == Outcome.FAILURE:
        wait = backoff(connection, failure_streak(connection))
    else:
        wait = interval_of(connection)
    if connection.schedule_policy == Connection.Policy.INTERVAL:
        Connection.objects.filter(pk=connection.pk).update(next_due_at=now + wait)
        connection.next_due_at = now + wait
    return run


# ---------------------------------------------------------------- the schedule


def pulled_connectors() -> list[str]:
    return [m.id for m in all_manifests() if (p := m.path("provider_api")) is not None and p.parser is not None]


def missed_pulls(connection: Connection, now: datetime) -> int:
    """How many whole intervals have passed since the connection fell due (0 when less than one)."""
    if connection.next_due_at is None or connection.next_due_at > now:
        return 0
    return int((now - connection.next_due_at) / interval_of(connection))


def note_skipped(connection: Connection, reason: str, missed: int, *, since: datetime, now: datetime) -> CollectionRun:
    """Count ``missed`` skipped pulls: added to the connection's newest run when it is a stretch skipped for the
    same reason, else a new ``skipped`` run from ``since`` (a counted fact, not a row per pull)."""
    newest = CollectionRun.objects.filter(connection=connection).order_by("-started_at", "-pk").first()
    if newest is not None and newest.outcome == Outcome.SKIPPED and newest.error_class == reason:
        total = newest.missed + missed
        CollectionRun.objects.filter(pk=newest.pk).update(missed=total, finished_at=now,
                                                          message=skipped_message(total, reason))
        newest.missed, newest.finished_at, newest.message = total, now, skipped_message(total, reason)
        return newest
    return CollectionRun.objects.create(connection=connection, trigger="scheduled", started_at=since,
                                        finished_at=now, outcome=Outcome.SKIPPED, error_class=reason, missed=missed,
                                        message=skipped_message(missed, reason))


def skipped_message(missed: int, reason: str) -> str:
    """The run's message in owner words: '3 collections skipped: access was refused'."""
    why = "access was refused" if reason == Skip.REFUSED else "the background worker was not running"
    return f"{missed:,} {'collection' if missed == 1 else 'collections'} skipped: {why}"


def _scheduled_feeds(now: datetime):
    return Connection.objects.filter(
        schedule_policy=Connection.Policy.INTERVAL, connector__in=pulled_connectors(), next_due_at__lte=now
    ).exclude(feed_url="")


def skip_refused(now: datetime) -> list[CollectionRun]:
    """Record the pulls that refused feeds would have made by ``now``, and move their schedules on.

    The feed is not asked again (no retry loop against a refused secret); the owner sees how many
    collections were skipped. Returns the skipped run of each connection passed over (its
    ``connection`` set), so ``run_due`` can say which sources wait for the owner.
    """
    skipped = []
    for connection in _scheduled_feeds(now).filter(blocked_by_credential(now)):
        due_at = connection.next_due_at
        missed = missed_pulls(connection, now) + 1  # the one due at ``due_at`` and each whole interval since
        with transaction.atomic():
            run = note_skipped(connection, Skip.REFUSED, missed, since=due_at, now=now)
            Connection.objects.filter(pk=connection.pk).update(next_due_at=due_at + missed * interval_of(connection))
        run.connection = connection
        skipped.append(run)
    return skipped


def claim_due(now: datetime, *, limit: int = 50) -> list[Connection]:
    """Connections due for a pull, claimed for ``CLAIM_LEASE`` so concurrent workers skip them.

    Due: interval policy (so not paused and not manual), a feed address,
    ``next_due_at <= now``, and no standing rejected/expired credential (those pulls are
    recorded as skipped, ``skip_refused``). A connection overdue by a whole interval or
    more missed pulls while no worker ran: they are recorded as skipped before it is pulled.
    On PostgreSQL the rows are locked with SKIP LOCKED, so two workers never
    claim the same one; SQLite serializes the whole transaction instead.
    """
    skip_refused(now)
    with transaction.atomic():
        due = (
            _scheduled_feeds(now)
            .exclude(blocked_by_credential(now))
            .select_related("owner")
            .order_by("next_due_at", "pk")
        )
        if db.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        claimed = list(due[:limit])
        for connection in claimed:
            if missed := missed_pulls(connection, now):
                note_skipped(connection, Skip.WORKER_DOWN, missed, since=connection.next_due_at, now=now)
        if claimed:
            Connection.objects.filter(pk__in=[c.pk for c in claimed]).update(next_due_at=now + CLAIM_LEASE)
    return claimed
