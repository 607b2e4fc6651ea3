"""The rules of a device push (device_sync), without the view: ``coverage.pipeline.push`` serves them.

``/ingest/<endpoint>`` takes the credentials its endpoint declares (``PushEndpoint.auth``):
``basic`` (user name = the owner's user name, password = a device token) or ``bearer``
(``Authorization: Bearer <device token>``). The token names the connection. ``refusal`` says
why a token may not push: unknown token; revoked token (or a token sent with another owner's
user name), which the view records as a ``rejected`` credential condition. An unreadable
payload is counted in one failed ``CollectionRun`` (trigger ``push``) per connection per hour
(``count_bad_payload``), so a phone that sends only garbage for hours shows as failing, not
fresh; the next accepted push closes that streak with a success run (``clear_push_failures``).
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime, timedelta

from django.http import HttpRequest

from .models import CollectionRun, Connection, DeviceToken

MAX_PUSH_BYTES = 2 * 1024**2
PAUSED_RETRY_AFTER = 3600  # seconds


# ---------------------------------------------------------------- who may push


def refusal(token: DeviceToken | None, username: str | None) -> tuple[str, str] | None:
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
    """Count an unreadable push in this hour's failed push run (one row per connection per hour).

    The hour's run counts it only while it is the connection's newest run: after an accepted push
    closed it (``clear_push_failures``), a new failed run starts, so the newest run always says
    how the last push went, and ``last_failure_at`` is never later than it.
    """
    start = _hour(now)
    run = CollectionRun.objects.filter(connection=connection).order_by("-started_at", "-pk").first()
    if run is not None and not (
        run.trigger == "push" and run.outcome == CollectionRun.Outcome.FAILURE
        and start <= run.started_at < start + timedelta(hours=1)
    ):
        run = None
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


def clear_push_failures(connection: Connection, now: datetime) -> None:
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


def basic_credentials(request: HttpRequest) -> tuple[str | None, str]:
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


def bearer_token(request: HttpRequest) -> str:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""
