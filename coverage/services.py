"""Owner-level services the pages, commands and API share."""

from __future__ import annotations

from django.utils import timezone

from connections.models import AccessToken, hash_secret, new_secret


def issue_access_token(owner, name: str = "script") -> tuple[AccessToken, str]:
    """Create a personal access token; the secret is returned once and only its hash is kept."""
    secret = new_secret("oh_pat")
    token = AccessToken.objects.create(owner=owner, name=name, token_hash=hash_secret(secret), hint=secret[-4:])
    return token, secret


def revoke_access_token(token: AccessToken) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
