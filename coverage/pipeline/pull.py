"""Provider pulls into the pipeline: one pull for every connector whose provider_api path has a parser.

The path declares its parser (the one signature, reading a ``Body``) and its ``FetchPolicy``;
the address rules, backoff and claiming live in ``connections.collect`` (see its module doc for
what each answer of a feed becomes). ``coverage.pipeline.sweep.register`` hands the worker loop this pull.
"""

from __future__ import annotations

import time
from datetime import datetime

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
from connections.zones import owner_zone

from .live import acquire_records

Outcome = CollectionRun.Outcome


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
    try:
        fetched = _fetch(connection, path.fetch or FetchPolicy())
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
        return finish(Outcome.FAILURE, error_class=exc.error_class, message=exc.message)

    record_condition(connection, Condition.Type.CREDENTIAL, Condition.Status.READY, now=now,
                     reason="feed_answered", current=current)
    if fetched.status == 304:
        record_condition(connection, Condition.Type.RUNTIME, Condition.Status.READY, now=now,
                         reason="pull_ok", current=current)
        return finish(Outcome.NOT_MODIFIED, message="The feed has not changed.")
    return _land(connection, path, fetched, run, trigger, now, current, finish)


def _fetch(connection: Connection, policy: FetchPolicy) -> Fetched:
    url = normalize_feed_url(connection.feed_url)
    conditional = {"etag": connection.feed_etag, "last_modified": connection.feed_last_modified}
    if not policy.conditional:
        conditional = {"etag": "", "last_modified": ""}
    return fetch(url, **conditional, timeout=policy.timeout_seconds or collect.FEED_TIMEOUT_SECONDS,
                 max_bytes=policy.max_bytes or collect.MAX_FEED_BYTES)


def _land(connection, path: AcquisitionPath, fetched: Fetched, run, trigger, now, current, finish) -> CollectionRun:
    """Parse a feed's answer and commit its records in one batch; keep the validators."""
    facts = BatchFacts()
    options = ParseOptions(time_zone=owner_zone(connection.owner_id))
    try:
        records = list(path.parser(Body(fetched.body, fetched.charset), facts, options))
    except ArtifactRejected as exc:
        return finish(Outcome.FAILURE, error_class="not_a_feed", message=exc.detail)
    batch = acquire_records(
        connection, method="provider_api", trigger=trigger, records=records, facts=facts, run=run, now=now
    )
    Connection.objects.filter(pk=connection.pk).update(
        feed_etag=fetched.etag[:200], feed_last_modified=fetched.last_modified[:64]
    )
    connection.feed_etag, connection.feed_last_modified = fetched.etag[:200], fetched.last_modified[:64]
    record_condition(connection, Condition.Type.RUNTIME, Condition.Status.READY, now=now,
                     reason="pull_ok", current=current)
    noun = connection.manifest.record_noun
    message = f"{len(records):,} {noun[0] if len(records) == 1 else noun[1]} read, {batch.count_accepted:,} new"
    if facts.failed:
        message += f", {facts.failed:,} could not be read"
    return finish(Outcome.SUCCESS, message=message + ".", records=len(records))


def run_due(now: datetime | None = None, *, limit: int = 50) -> list[CollectionRun]:
    """Pull every connection that is due (see ``connections.collect.claim_due``), once. Returns the runs made."""
    now = now or timezone.now()
    return [pull(connection, now) for connection in claim_due(now, limit=limit)]
