"""Device tokens: a phone's push credential for one connection.

The secret is returned once by ``issue_device_token`` and only its hash is
kept. A revoked token still maps to its connection, so a phone that keeps
pushing with it is recorded there as a rejected credential.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from .models import AccessToken, Condition, Connection, DeviceToken, hash_secret, new_secret
from .runtime import clear_conditions

TOKEN_PREFIX = "ohd"
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is refreshed at most this often


class TokenRefused(ValueError):
    """The connection takes no device pushes."""


def issue_device_token(
    connection: Connection, *, rotate: bool = False, now: datetime | None = None
) -> tuple[DeviceToken, str]:
    """Create a device token and return it with its secret (shown once).

    ``rotate`` revokes the connection's other live tokens first. A new token
    is a reconnect: a standing rejected/expired credential verdict is cleared,
    and on rotate any verdict is, since it was about the old token.
    """
    if connection.manifest.path("device_sync") is None:
        raise TokenRefused(f"{connection.manifest.name} sources do not take device pushes.")
    now = now or timezone.now()
    secret = new_secret(TOKEN_PREFIX)
    with transaction.atomic():
        if rotate:
            connection.device_tokens.live().update(revoked_at=now)
            clear_conditions(connection, Condition.Type.CREDENTIAL, now=now)
        else:
            Condition.objects.filter(
                connection=connection,
                type=Condition.Type.CREDENTIAL,
                superseded_at__isnull=True,
                status__in=[Condition.Status.REJECTED, Condition.Status.EXPIRED],
            ).update(superseded_at=now)
        token = DeviceToken.objects.create(
            connection=connection, token_hash=hash_secret(secret), hint=secret[-4:], created_at=now
        )
    return token, secret


def revoke_device_tokens(connection: Connection, *, now: datetime | None = None) -> int:
    """Revoke every live token of the connection; returns how many. Pushes with them get 401."""
    now = now or timezone.now()
    with transaction.atomic():
        count = connection.device_tokens.live().update(revoked_at=now)
        clear_conditions(connection, Condition.Type.CREDENTIAL, now=now)
    return count


def find_device_token(secret: str) -> DeviceToken | None:
    """The token (live or revoked) with this secret, with its connection and owner, or None."""
    if not secret or len(secret) > 200:
        return None
    return (
        DeviceToken.objects.select_related("connection__owner")
        .filter(token_hash=hash_secret(secret))
        .first()
    )


def touch(token: DeviceToken, now: datetime) -> None:
    """Note the token was used, at most once a minute (a push every second is not a write every second)."""
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        DeviceToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


# ---------------------------------------------------------------- personal access tokens
ACCESS_PREFIX = "oh_pat"


def issue_access_token(owner, name: str = "script") -> tuple[AccessToken, str]:
    """Create a personal access token for the owner API; the secret is returned once, only its hash is kept."""
    secret = new_secret(ACCESS_PREFIX)
    name = (name or "script").strip()[:80] or "script"
    token = AccessToken.objects.create(owner=owner, name=name, token_hash=hash_secret(secret), hint=secret[-4:])
    return token, secret


def revoke_access_token(token: AccessToken, *, now: datetime | None = None) -> None:
    token.revoked_at = now or timezone.now()
    token.save(update_fields=["revoked_at"])
