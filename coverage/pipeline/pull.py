"""Provider pulls into the pipeline: one pull for every connector whose provider_api path has a parser.

The path declares its parser (the one signature, reading a ``Body``) and its ``FetchPolicy``;
the address rules, backoff and claiming live in ``connections.collect`` (see its module doc for
what each answer of a feed becomes). ``coverage.pipeline.sweep.register`` hands the worker loop this pull.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, tzinfo
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from connections import collect
from connections.collect import (
    FeedUrlInvalid,
    claim_due,
    finish_run,
    normalize_feed_url,
)
from connections.connectors.base import ArtifactRejected, BatchFacts, Body, ParseOptions
from connections.connectors.manifest import AcquisitionPath, FetchPolicy
from connections.fetch import Fetched, FetchFailed, fetch
from connections.models import CollectionRun, Condition, Connection
from connections.runtime import active_conditions, record_condition
from connections.zones import owner_zone, zone_named

from ..models import AcquisitionBatch
from ..projection import feed_words
from ..receipt_words import changes_said
from ..words import zone_name
from .live import acquire_records
from .reread_which import current_readers
from .snapshot import bring_up_to_date

Outcome = CollectionRun.Outcome
READ_AGAIN_AFTER = timedelta(days=30)  # an unchanged feed is read again this long after its last reading
GONE = (404, 410)  # answers that say the address no longer gives the calendar
READ_IN = "read_in"  # a pull's options: the owner's zone its records were placed in


def pull(connection: Connection, now: datetime | None = None, *, trigger: str = "scheduled") -> CollectionRun:
    """Fetch the connection's feed once and record the run, batch and conditions."""
    now = now or timezone.now()
    started = time.monotonic()
    run = CollectionRun.objects.create(connection=connection, trigger=trigger, started_at=now)
    current = active_conditions(connection, now)

    def finish(outcome: str, **result) -> CollectionRun:
        return finish_run(connection, run, outcome, now=now, started=started, **result)

    path = connection.manifest.path("provider_api")
    if path is None or path.parser is None or not connection.feed_url:
        return finish(Outcome.FAILURE, error_class="not_configured", message="No feed address is set.")
    last, zone = _last_pull(connection), owner_zone(connection.owner_id)
    try:
        fetched = _fetch(connection, path.fetch or FetchPolicy(), read_again=_read_again(connection, last, zone, now))
    except FeedUrlInvalid as exc:
        record_condition(connection, Condition.Type.CREDENTIAL, Condition.Status.REJECTED, now=now,
                         reason="bad_address", message=str(exc), current=current)
        return finish(Outcome.FAILURE, error_class="bad_address", message=str(exc))
    except FetchFailed as exc:
        if exc.error_class in ("credential_rejected", "internal_address"):
            # The owner must give another address; no retry loop against this one.
            reason = f"http_{exc.status}" if exc.status else exc.error_class
            record_condition(connection, Condition.Type.CREDENTIAL, Condition.Status.REJECTED, now=now,
                             reason=reason, message=exc.message, current=current)
        elif exc.status in GONE:  # a secret address that was reset answers 404
            _unavailable(connection, f"http_{exc.status}", exc.message, now, current)
            return finish(Outcome.FAILURE, error_class=exc.error_class, message=feed_words.not_found())
        return finish(Outcome.FAILURE, error_class=exc.error_class, message=exc.message)

    record_condition(connection, Condition.Type.CREDENTIAL, Condition.Status.READY, now=now,
                     reason="feed_answered", current=current)
    if fetched.status == 304:
        record_condition(connection, Condition.Type.RUNTIME, Condition.Status.READY, now=now,
                         reason="pull_ok", current=current)
        return finish(Outcome.NOT_MODIFIED, message="The feed has not changed.")
    return _land(connection, path, fetched, run, trigger, now, current, finish, last, zone)


def _unavailable(connection: Connection, reason: str, message: str, now: datetime, current) -> None:
    """The address no longer gives the calendar: its access is no longer what an earlier fetch found.
    The pulls go on, in case it comes back; the next calendar it answers makes it ready again."""
    record_condition(connection, Condition.Type.CREDENTIAL, Condition.Status.UNAVAILABLE, now=now,
                     reason=reason, message=message, current=current)


class _LastPull(NamedTuple):
    """The newest committed pull of a connection: its reader, when, and the zone it was read in."""

    reader: str
    at: datetime
    zone: str  # the owner's zone its records were placed in; "" when not known (pulls before ical/4)


def _last_pull(connection: Connection) -> _LastPull | None:
    last = (
        AcquisitionBatch.objects.filter(
            connection=connection, method="provider_api", status=AcquisitionBatch.Status.COMMITTED
        )
        .order_by("-created_at", "-pk")
        .values_list("parser_version", "created_at", "options", "time_zone_assumed")
        .first()
    )
    if last is None:
        return None
    reader, at, options, assumed = last
    return _LastPull(reader, at, (options or {}).get(READ_IN) or assumed or "")


def _read_again(connection: Connection, last: _LastPull | None, zone: tzinfo, now: datetime) -> bool:
    """Whether the feed is fetched whole (no validators) even if it did not change: its last reading
    was by another reader than today's, or in another zone of the owner's (its all-day events stand on
    that zone's days), or is ``READ_AGAIN_AFTER`` old, so a repeating event is written out to a horizon
    a year after a recent pull, not after the last change of the feed."""
    if last is None:
        return False
    moved = bool(last.zone) and last.zone != zone_name(zone)
    return bool(_older_reader(connection, last)) or moved or last.at <= now - READ_AGAIN_AFTER


def _older_reader(connection: Connection, last: _LastPull | None) -> str:
    """The reader of the last pull when it is not today's: this pull reads the feed again with the improved one."""
    today = current_readers().get(connection.connector, "")
    return last.reader if last is not None and last.reader and today and last.reader != today else ""


def _fetch(connection: Connection, policy: FetchPolicy, *, read_again: bool = False) -> Fetched:
    url = normalize_feed_url(connection.feed_url)
    conditional = {"etag": connection.feed_etag, "last_modified": connection.feed_last_modified}
    if not policy.conditional or read_again:
        conditional = {"etag": "", "last_modified": ""}
    return fetch(url, **conditional, timeout=policy.timeout_seconds or collect.FEED_TIMEOUT_SECONDS,
                 max_bytes=policy.max_bytes or collect.MAX_FEED_BYTES)


def _land(connection, path: AcquisitionPath, fetched: Fetched, run, trigger, now, current, finish,
          last: _LastPull | None, zone: tzinfo) -> CollectionRun:
    """Parse a feed's answer and commit its records in one batch; keep the validators.

    A feed that is a snapshot of its source (``BatchFacts.snapshot``) also brings the records it
    delivered before up to date, in the same transaction (``snapshot.bring_up_to_date``). When the
    owner's zone changed since the last pull (by today's reader), the feed is also read as that pull
    placed it, so records placed anew in the new zone count as moved, not as changed by the calendar.
    """
    facts = BatchFacts()
    options = ParseOptions(time_zone=zone, horizon=now + collect.FEED_HORIZON)
    body = Body(fetched.body, fetched.charset)
    try:
        records = list(path.parser(body, facts, options))
    except ArtifactRejected as exc:
        _unavailable(connection, "not_a_feed", exc.detail, now, current)  # a sign-in page, say
        return finish(Outcome.FAILURE, error_class="not_a_feed", message=exc.detail)
    reader_from = _older_reader(connection, last)
    before = None
    if last is not None and not reader_from and last.zone and last.zone != zone_name(zone):
        placed = ParseOptions(time_zone=zone_named(last.zone), horizon=options.horizon)
        before = list(path.parser(Body(fetched.body, fetched.charset), BatchFacts(), placed))
    with transaction.atomic():
        batch = acquire_records(
            connection, method="provider_api", trigger=trigger, records=records, facts=facts, run=run, now=now
        )
        batch.options = {**(batch.options or {}), READ_IN: zone_name(zone)}
        AcquisitionBatch.objects.filter(pk=batch.pk).update(options=batch.options)
        changes = bring_up_to_date(batch, records, facts.snapshot, now, before=before, reader_from=reader_from)
    Connection.objects.filter(pk=connection.pk).update(
        feed_etag=fetched.etag[:200], feed_last_modified=fetched.last_modified[:64]
    )
    connection.feed_etag, connection.feed_last_modified = fetched.etag[:200], fetched.last_modified[:64]
    record_condition(connection, Condition.Type.RUNTIME, Condition.Status.READY, now=now,
                     reason="pull_ok", current=current)
    noun = connection.manifest.record_noun
    message = f"{len(records):,} {noun[0] if len(records) == 1 else noun[1]} read, {batch.count_accepted:,} new"
    message += "".join(f", {part}" for part in changes_said(changes.changed, changes.gone, changes.moved,
                                                          changes.reader_from))
    if facts.failed:
        message += f", {facts.failed:,} could not be read"
    return finish(Outcome.SUCCESS, message=message + ".", records=len(records))


def run_due(now: datetime | None = None, *, limit: int = 50) -> list[CollectionRun]:
    """Pull every connection that is due (see ``connections.collect.claim_due``), once. Returns the runs made."""
    now = now or timezone.now()
    return [pull(connection, now) for connection in claim_due(now, limit=limit)]
