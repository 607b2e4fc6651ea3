"""Each owner's digest: where it goes (email, an optional signed webhook) and what it last said."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

SECRET_SHOWN_ONCE = "digest_secret_shown_once"  # the session key holding a new secret until the page shows it


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class DigestSettings(models.Model):
    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest")
    email_enabled = models.BooleanField(default=True)
    webhook_url = models.URLField(max_length=500, blank=True, default="")
    webhook_secret = models.CharField(max_length=64, default=new_secret)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    # What the last digest reported, per source slug: the state and advisories it was in.
    last_items = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"digest of {self.owner_id}"
