"""Device pushes into the pipeline: one view serves ``POST /ingest/<endpoint>`` for every push endpoint.

The endpoint is looked up in the connector registry (``PushEndpoint`` on a device_sync path):
it names its auth scheme, its parser and the reply its app expects (OwnTracks ``[]``,
Overland ``{"result": "ok"}``). What each request becomes:

- accepted: the points go through ``acquire_records`` into one batch per device per hour
  (``window_key = "<device>:<YYYY-MM-DDTHH>"``); the credential and runtime conditions become
  ``ready`` (a row only when that changes).
- unknown token: 401. Revoked token (or a token sent with another owner's user name): 401 and
  a ``rejected`` credential condition on the token's connection. The token is checked first,
  so a valid one is always answered; only refused ones are counted (``throttle.note_failure``,
  per client address and per token) and, past the limit, answered 429 with ``Retry-After``.
- points the phone's clock cannot have written (more than ``CLOCK_AHEAD`` after the time the
  push arrived, or before ``EARLIEST_POINT``): each is counted failed on the hour's batch, with a
  ``wrong_clock`` note saying its time, and the rest of the push lands. The push is answered as
  accepted (the app's own reply) even when every point was such: the phone deletes what an
  accepted push carried, and those points would be refused again on every retry, for ever.
  The batch's receipt and the card's advisories say what was left out and why.
- unreadable payload: 400 with a reason, counted in the hour's failed push run
  (``connections.ingest.count_bad_payload``).
- paused connection: 503 with ``Retry-After``; nothing is collected and the phone keeps its
  queue until the owner resumes.
- an endpoint no connector declares: 404.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import ChainMap
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache

from django.db import connection as db
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from connections import throttle
from connections.connectors import push_endpoint
from connections.connectors.base import (
    BatchFacts,
    Body,
    ParsedRecord,
    ParseOptions,
    PayloadRejected,
)
from connections.connectors.identity import log_token, same_account
from connections.connectors.manifest import PushEndpoint
from connections.ingest import (
    MAX_PUSH_BYTES,
    PAUSED_RETRY_AFTER,
    basic_credentials,
    bearer_token,
    clear_push_failures,
    count_bad_payload,
    refusal,
)
from connections.models import Condition
from connections.runtime import active_conditions, record_condition
from connections.tokens import find_device_token, touch
from connections.zones import owner_zone

from ..models import AcquisitionBatch
from ..words import day_and_time
from .accounts import source_identity
from .live import acquire_records

log = logging.getLogger(__name__)
OTHER_DEVICE = "other_device"  # a push from another user or device than the source's first (its batch's warning)
WRONG_CLOCK = "wrong_clock"  # a point whose time the phone's clock cannot have written (its batch's warning)
CLOCK_AHEAD = timedelta(days=1)  # a point may be this far after its push arrived (a phone clock a little fast)
EARLIEST_POINT = datetime(2000, 1, 1, tzinfo=UTC)  # no phone app pushes points older than this

_DEVICE = re.compile(r"[^A-Za-z0-9_.\-]")
_CHALLENGES = {"basic": 'Basic realm="Ownerhub"', "bearer": 'Bearer realm="Ownerhub"'}
# SQLite takes one writer at a time, and a writer that finds the database locked sleeps in
# growing steps before it retries. Queuing this process's push writers on a lock wakes the
# next one as soon as the last commits. (Other processes still meet SQLite's own lock, and
# PostgreSQL needs neither: its row locks are taken inside acquire_records.)
_SQLITE_WRITES = threading.Lock()


@csrf_exempt
@require_POST
def ingest(request: HttpRequest, endpoint: str) -> HttpResponse:
    found = push_endpoint(endpoint)
    if found is None:
        raise Http404("No such push endpoint.")
    push = found[2]
    if push.auth == "basic":
        username, secret = basic_credentials(request)
    else:
        username, secret = None, bearer_token(request)
    now = timezone.now()
    token = find_device_token(secret)
    refused = refusal(token, username)
    if refused is not None:
        if token is not None:
            record_condition(token.connection, Condition.Type.CREDENTIAL, Condition.Status.REJECTED,
                             now=now, reason=refused[0], message=refused[1])
        wait = throttle.note_failure("device", request.META.get("REMOTE_ADDR", ""), secret, now=now)
        if wait is not None:
            return _error(429, "too_many_failures", "Too many failed attempts; wait a few minutes.",
                          headers={"Retry-After": str(wait)})
        return _error(401, "unauthorized", "The device token was not accepted.",
                      headers={"WWW-Authenticate": _CHALLENGES[push.auth]})
    if token.connection.is_paused:
        return _error(503, "paused", "This source is paused; the phone should keep its points and retry later.",
                      headers={"Retry-After": str(PAUSED_RETRY_AFTER)})
    return _receive(request, push, token, now, username)


def _receive(request: HttpRequest, push: PushEndpoint, token, now, username: str | None = None) -> HttpResponse:
    connection = token.connection
    length = request.META.get("CONTENT_LENGTH") or ""
    too_large = f"A push may carry at most {MAX_PUSH_BYTES // 1024**2} MB."
    if length.isdigit() and int(length) > MAX_PUSH_BYTES:
        return _error(413, "too_large", too_large)
    data = request.read(MAX_PUSH_BYTES + 1)
    if len(data) > MAX_PUSH_BYTES:
        return _error(413, "too_large", too_large)

    touch(token, now)
    facts = BatchFacts()
    try:
        parsed = list(push.parser(Body(data, request.encoding), facts, ParseOptions()))
    except PayloadRejected as exc:
        count_bad_payload(connection, exc.reason, exc.detail, now)
        return _error(400, exc.reason, exc.detail)
    if not parsed and not facts.skipped and not facts.failed:
        return _reply(push)  # an empty body: nothing to record

    hints = ChainMap(request.headers, request.GET)
    device = _DEVICE.sub("", push.device(hints, parsed) or "")[:60]
    name = device or f"token-{token.pk}"
    records = plausible_points(parsed, facts, now, noun=connection.manifest.record_noun[0],
                               zone=lambda: owner_zone(connection.owner_id))
    if device:  # which phone sent each point: two phones pushing to one source are told apart on its days
        for record in records:
            record.payload.setdefault("device", device)
    with _SQLITE_WRITES if db.vendor == "sqlite" else nullcontext():
        batch = acquire_records(connection, method="device_sync", trigger="push", records=records, facts=facts,
                                window_key=f"{name}:{now:%Y-%m-%dT%H}", now=now)
        # Whose phone: the parser's hint (OwnTracks' topic), else the user name and device it pushed with.
        _note_device(batch, facts.identity or (f"{hints.get('X-Limit-U') or username}/{name}" if username else None))
        current = active_conditions(connection, now)
        record_condition(connection, Condition.Type.CREDENTIAL, Condition.Status.READY, now=now,
                         reason="token_accepted", current=current)
        record_condition(connection, Condition.Type.RUNTIME, Condition.Status.READY, now=now,
                         reason="push_received", current=current)
        clear_push_failures(connection, now)
    return _reply(push)


def plausible_points(records: list[ParsedRecord], facts: BatchFacts, now: datetime, *, noun: str,
                     zone: Callable[[], tzinfo]) -> list[ParsedRecord]:
    """The points a phone's clock can have written, pushed at ``now``; each other one is counted failed
    in ``facts`` with a ``wrong_clock`` note that names its time in the owner's zone (``zone()``, asked
    only when a point is left out: a push of good points costs no query for it)."""
    kept, ahead, zone = [], now + CLOCK_AHEAD, cache(zone)
    for record in records:
        at = record.event_at
        if EARLIEST_POINT <= at <= ahead:
            kept.append(record)
            continue
        tz = zone()
        if at > ahead:
            facts.fail(f"A {noun} dated {day_and_time(at, tz)} arrived on {day_and_time(now, tz)}, more than a day "
                       "before that time: the phone's clock may be wrong.", kind=WRONG_CLOCK)
        else:
            facts.fail(f"A {noun} dated {day_and_time(at, tz)} is from before 2000: the phone's clock may be wrong.",
                       kind=WRONG_CLOCK)
    return kept


def _note_device(batch: AcquisitionBatch, hint: str | None) -> None:
    """Keep the push's user and device on its batch; warn when they are not the source's first (the points
    are kept: a push has no preview to stop at, so the card says it and asks to check the phone)."""
    options = batch.options or {}
    if not hint or options.get("identity") == hint:
        return
    warnings = list(batch.warnings or [])
    earlier = source_identity(batch.connection_id, exclude=batch.pk) or options.get("identity")
    if earlier and not same_account(hint, earlier) and all(w.get("kind") != OTHER_DEVICE for w in warnings):
        warnings.insert(0, {"kind": OTHER_DEVICE, "position": None,
                            # The phone app's user, device and tracker ids are no names the owner reads.
                            "detail": "Points now arrive from another device than before."})
        log.info("batch %s: a push from another device (%s, source %s)", batch.pk, log_token(hint), log_token(earlier))
    AcquisitionBatch.objects.filter(pk=batch.pk).update(options={**options, "identity": hint}, warnings=warnings)


def _reply(push: PushEndpoint) -> JsonResponse:
    return JsonResponse(push.reply, safe=False)


def _error(status: int, reason: str, detail: str, *, headers: dict | None = None) -> JsonResponse:
    return JsonResponse({"error": reason, "detail": detail}, status=status, headers=headers)
