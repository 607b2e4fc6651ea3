"""Owner API authentication: the browser session, or a personal access token.

Tokens are sent as ``Authorization: Bearer oh_pat_...`` and stored hashed.
The token is checked first, so a valid one is always answered; only refused
tokens are counted (``connections.throttle``, per client address and per
token) and, past the limit, answered 429 with ``Retry-After`` (``coverage.api_problems``).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from ninja.security import HttpBearer, django_auth

from connections import throttle
from connections.models import AccessToken, hash_secret

LAST_USED_RESOLUTION = timedelta(minutes=1)


class TooManyFailures(Exception):
    """Too many refused tokens from this address, or of this token; ``wait`` seconds left."""

    def __init__(self, wait: int):
        super().__init__(wait)
        self.wait = wait


class PersonalAccessToken(HttpBearer):
    def authenticate(self, request, token: str):
        found = AccessToken.objects.live().select_related("owner").filter(token_hash=hash_secret(token)).first()
        if found is None or not found.owner.is_active:
            wait = throttle.note_failure("api", request.META.get("REMOTE_ADDR", ""), token)
            if wait is not None:
                raise TooManyFailures(wait)
            return None
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at > LAST_USED_RESOLUTION:
            # Not on every call: a write per read would serialise readers on SQLite.
            AccessToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.owner
        return found.owner


# The token first: a script with a valid token and a stale browser cookie must not hit the CSRF check.
owner_auth = [PersonalAccessToken(), django_auth]
