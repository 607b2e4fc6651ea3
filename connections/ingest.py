"""Device push endpoints (device_sync): OwnTracks HTTP mode and Overland.

``POST /ingest/owntracks``: HTTP Basic, user name = the owner's user name,
password = a device token; answers ``[]``. ``POST /ingest/overland``:
``Authorization: Bearer <device token>``; answers ``{"result": "ok"}`` (any
other answer makes Overland resend the batch).

The token names the connection. What each request becomes:

- accepted: the points go through ``acquire_records`` into one batch per
  device per hour (``window_key = "<device>:<YYYY-MM-DDTHH>"``); the
  credential and runtime conditions become ``ready`` (a row only when that
  changes).
- unknown token: 401. Revoked token (or a token sent with another owner's
  user name): 401 and a ``rejected`` credential condition on the token's
  connection. The token is checked first, so a valid one is always answered;
  only refused ones are counted (``throttle.note_failure``, per client address
  and per token) and, past the limit, answered 429 with ``Retry-After``.
- unreadable payload: 400 with a reason; counted in one failed
  ``CollectionRun`` (trigger ``push``) per connection per hour, so a phone that
  sends only garbage for hours shows as failing, not fresh.
- paused connection: 503 with ``Retry-After``; nothing is collected and the
  phone keeps its queue until the owner resumes.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections.abc import Callable
from contextlib import nullcontext
from datetime import datetime, timedelta

from django.db import connection as db
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import throttle
from .connectors.base import BatchFacts, ParsedRecord
from .connectors.owntracks import PayloadRejected, overland_device, parse_overland, parse_owntracks
from .models import CollectionRun, Condition, Connection, DeviceToken
from .runtime import active_conditions, record_condition
from .tokens import find_device_token, touch

MAX_PUSH_BYTES = 2 * 1024**2
PAUSED_RETRY_AFTER = 3600  # seconds
_DEVICE = re.compile(r"[^A-Za-z0-9_.\-]")
# SQLite takes one writer at a time, and a writer that finds the database locked sleeps in
# growing steps before it retries. Queuing this process's push writers on a lock wakes the
# next one as soon as the last commits. (Other processes still meet SQLite's own lock, and
# PostgreSQL needs neither: its row locks are taken inside acquire_records.)
_SQLITE_WRITES = threading.Lock()

Parse = Callable[[bytes, BatchFacts], list[ParsedRecord]]


# ---------------------------------------------------------------- the endpoints


@csrf_exempt
@require_POST
def owntracks(request: HttpRequest) -> HttpResponse:
    user, secret = _basic(request)
    header_device = request.headers.get("X-Limit-D") or request.GET.get("d") or ""
    return _receive(
        request,
        secret=secret,
        username=user,
        parse=parse_owntracks,
        device=lambda records, token: header_device or _tracker(records) or f"token-{token.pk}",
        ok=lambda: JsonResponse([], safe=False),
        challenge='Basic realm="Ownerhub"',
    )


@csrf_exempt
@require_POST
def overland(request: HttpRequest) -> HttpResponse:
    return _receive(
        request,
        secret=_bearer(request),
        username=None,
        parse=parse_overland,
        device=lambda records, token: overland_device(records) or f"token-{token.pk}",
        ok=lambda: JsonResponse({"result": "ok"}),
        challenge='Bearer realm="Ownerhub"',
    )


# ---------------------------------------------------------------- one push


def _receive(
    request: HttpRequest,
    *,
    secret: str,
    username: str | None,
    parse: Parse,
    device: Callable[[list[ParsedRecord], DeviceToken], str],
    ok: Callable[[], HttpResponse],
    challenge: str,
) -> HttpResponse:
    now = timezone.now()
    token = find_device_token(secret)
    refusal = _refusal(token, username)
    if refusal is not None:
        if token is not None:
            record_condition(token.connection, Condition.Type.CREDENTIAL, Condition.Status.REJECTED,
                             now=now, reason=refusal[0], message=refusal[1])
        wait = throttle.note_failure("device", request.META.get("REMOTE_ADDR", ""), secret, now=now)
        if wait is not None:
            return _error(429, "too_many_failures", "Too many failed attempts; wait a few minutes.",
                          headers={"Retry-After": str(wait)})
        return _error(401, "unauthorized", "The device token was not accepted.",
                      headers={"WWW-Authenticate": challenge})
    connection = token.connection
    if connection.is_paused:
        return _error(503, "paused", "This source is paused; the phone should keep its points and retry later.",
                      headers={"Retry-After": str(PAUSED_RETRY_AFTER)})

    length = request.META.get("CONTENT_LENGTH") or ""
    if length.isdigit() and int(length) > MAX_PUSH_BYTES:
        return _error(413, "too_large", f"A push may carry at most {MAX_PUSH_BYTES // 1024**2} MB.")
    body = request.read(MAX_PUSH_BYTES + 1)
    if len(body) > MAX_PUSH_BYTES:
        return _error(413, "too_large", f"A push may carry at most {MAX_PUSH_BYTES // 1024**2} MB.")

    touch(token, now)
    facts = BatchFacts()
    try:
        records = parse(body, facts)
    except PayloadRejected as exc:
        count_bad_payload(connection, exc.reason, exc.detail, now)
        return _error(400, exc.reason, exc.detail)
    if not records and not facts.skipped and not facts.failed:
        return ok()  # an empty body: nothing to record

    from coverage.pipeline import acquire_records  # coverage depends on connections, not back

    name = _DEVICE.sub("", device(records, token))[:60] or f"token-{token.pk}"
    with _SQLITE_WRITES if db.vendor == "sqlite" else nullcontext():
        acquire_records(
            connection,
            method="device_sync",
            trigger="push",
            records=records,
            facts=facts,
            window_key=f"{name}:{now:%Y-%m-%dT%H}",
            now=now,
        )
        current = active_conditions(connection, now)
        record_condition(connection, Condition.Type.CREDENTIAL, Condition.Status.READY, now=now,
                         reason="token_accepted", current=current)
        record_condition(connection, Condition.Type.RUNTIME, Condition.Status.READY, now=now,
                         reason="push_received", current=current)
        _clear_push_failures(connection, now)
    return ok()


def _refusal(token: DeviceToken | None, username: str | None) -> tuple[str, str] | None:
    """(reason, owner message) when the token may not push, else None."""
    if token is None:
        return "unknown_token", ""
    if token.revoked_at is not None:
        return "revoked_token", f"A phone pushed with the revoked token …{token.hint}."
    owner = token.connection.owner
    if not owner.is_active:
        return "inactive_owner", "The owner's account is disabled."
    if username is not None and username != owner.get_username():
        return "wrong_user", f"A phone sent token …{token.hint} with another user name."
    if token.connection.manifest.path("device_sync") is None:
        return "not_a_device_source", "This source takes no device pushes."
    return None


# ---------------------------------------------------------------- bad payloads as run evidence


def _hour(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


def count_bad_payload(connection: Connection, reason: str, detail: str, now: datetime) -> CollectionRun:
    """Count an unreadable push in this hour's failed push run (one row per connection per hour)."""
    start = _hour(now)
    run = (
        CollectionRun.objects.filter(
            connection=connection,
            trigger="push",
            outcome=CollectionRun.Outcome.FAILURE,
            started_at__gte=start,
            started_at__lt=start + timedelta(hours=1),
        )
        .order_by("-started_at", "-pk")
        .first()
    )
    previous = int(m.group(1)) if run is not None and (m := re.match(r"(\d+) ", run.message)) else 0
    n = previous + 1
    message = f"{n} unreadable push{'es' if n != 1 else ''} this hour; the last: {detail}"[:300]
    if run is None:
        return CollectionRun.objects.create(
            connection=connection,
            trigger="push",
            started_at=now,
            finished_at=now,
            outcome=CollectionRun.Outcome.FAILURE,
            error_class=f"bad_payload:{reason}"[:64],
            message=message,
        )
    run.finished_at, run.message, run.error_class = now, message, f"bad_payload:{reason}"[:64]
    run.save(update_fields=["finished_at", "message", "error_class"])
    return run


def _clear_push_failures(connection: Connection, now: datetime) -> None:
    """After bad payloads, an accepted push is a success run, so failures stop counting in a row."""
    latest = CollectionRun.objects.filter(connection=connection).order_by("-started_at", "-pk").first()
    if latest is not None and latest.outcome == CollectionRun.Outcome.FAILURE and latest.trigger == "push":
        CollectionRun.objects.create(
            connection=connection,
            trigger="push",
            started_at=now,
            finished_at=now,
            outcome=CollectionRun.Outcome.SUCCESS,
            message="The phone's pushes are readable again.",
        )


# ---------------------------------------------------------------- credentials and limits


def _basic(request: HttpRequest) -> tuple[str | None, str]:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None, ""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None, ""
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else (None, "")


def _bearer(request: HttpRequest) -> str:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _tracker(records: list[ParsedRecord]) -> str:
    return next((r.payload["tracker"] for r in records if r.payload.get("tracker")), "")


def _error(status: int, reason: str, detail: str, *, headers: dict | None = None) -> JsonResponse:
    return JsonResponse({"error": reason, "detail": detail}, status=status, headers=headers)
