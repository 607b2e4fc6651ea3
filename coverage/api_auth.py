"""Owner API authentication: the browser session, or a personal access token.

Tokens are sent as ``Authorization: Bearer oh_pat_...`` and stored hashed.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import HttpBearer, django_auth

from connections.models import AccessToken, hash_secret

LAST_USED_RESOLUTION = timedelta(minutes=1)


# Failed token attempts per client address before it must wait (guessing defence).
MAX_FAILURES = 20
FAILURE_WINDOW_SECONDS = 300


class PersonalAccessToken(HttpBearer):
    def authenticate(self, request, token: str):
        key = f"api-auth-failures:{request.META.get('REMOTE_ADDR', '')}"
        if cache.get(key, 0) >= MAX_FAILURES:
            raise HttpError(429, "Too many failed attempts with a wrong token; wait a few minutes.")
        found = AccessToken.objects.live().select_related("owner").filter(token_hash=hash_secret(token)).first()
        if found is None or not found.owner.is_active:
            cache.add(key, 0, FAILURE_WINDOW_SECONDS)
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, FAILURE_WINDOW_SECONDS)
            return None
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at > LAST_USED_RESOLUTION:
            # Not on every call: a write per read would serialise readers on SQLite.
            AccessToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.owner
        return found.owner


# The token first: a script with a valid token and a stale browser cookie must not hit the CSRF check.
owner_auth = [PersonalAccessToken(), django_auth]
