"""Connections and the "is the pipe working?" evidence: conditions, runs, credentials."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from .connectors import get as get_manifest
from .connectors.manifest import Manifest


class OwnerProfile(models.Model):
    """Per-owner settings. Times written without a zone are read in ``time_zone``."""

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    time_zone = models.CharField(max_length=64, default="", blank=True)

    def __str__(self) -> str:
        return f"profile of {self.owner}"

    @property
    def zone_name(self) -> str:
        return self.time_zone or settings.TIME_ZONE


class ConnectionQuerySet(models.QuerySet):
    def for_owner(self, user) -> ConnectionQuerySet:
        return self.filter(owner=user)


class Connection(models.Model):
    class Policy(models.TextChoices):
        MANUAL = "manual"
        INTERVAL = "interval"
        PAUSED = "paused"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="connections")
    connector = models.CharField(max_length=40, db_index=True)
    slug = models.SlugField(max_length=80)
    name = models.CharField(max_length=120)
    schedule_policy = models.CharField(max_length=10, choices=Policy.choices, default=Policy.MANUAL)
    # The policy to return to when a paused connection is resumed.
    resume_policy = models.CharField(max_length=10, choices=Policy.choices, default=Policy.MANUAL)
    interval_seconds = models.PositiveIntegerField(null=True, blank=True)
    next_due_at = models.DateTimeField(null=True, blank=True)
    # A secret source address (iCal feed) kept for pulls; shown only masked.
    feed_url = models.TextField(blank=True, default="")
    # Validators of the last successful pull, sent back as If-None-Match / If-Modified-Since.
    feed_etag = models.CharField(max_length=200, blank=True, default="")
    feed_last_modified = models.CharField(max_length=64, blank=True, default="")
    # The owner's rule: media an export leaves out is a blocking gap here, not a suggestion.
    media_required = models.BooleanField(default=False, db_default=False)  # db_default: rows older code writes
    # An export-only source's "Mute reminders": the digest skips it; its card still shows staleness.
    reminders_muted = models.BooleanField(default=False, db_default=False)
    # How many times records this source held were taken away or handed to another import (an
    # import undone, an import read again). A preview that set aside the rows it already holds
    # notes it, and its commit reads the file again when it has moved (``coverage.pipeline.set_aside``).
    rewritten = models.PositiveBigIntegerField(default=0, db_default=0)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "slug"], name="connection_slug_per_owner")]
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.connector})"

    @property
    def manifest(self) -> Manifest:
        return get_manifest(self.connector)

    @property
    def is_paused(self) -> bool:
        return self.schedule_policy == self.Policy.PAUSED


class ConditionQuerySet(models.QuerySet):
    def active(self, now) -> ConditionQuerySet:
        return self.filter(superseded_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class Condition(models.Model):
    """A typed, timestamped fact about readiness or work.

    A newer condition of the same type supersedes the older one; an expired one
    no longer drives the verdict. ``connection`` is null for installation-wide
    facts (the worker heartbeat).
    """

    class Type(models.TextChoices):
        CREDENTIAL = "credential"
        RUNTIME = "runtime"
        WORKER_HEARTBEAT = "worker_heartbeat"

    class Status(models.TextChoices):
        READY = "ready"
        MISSING = "missing"
        REJECTED = "rejected"
        EXPIRED = "expired"
        UNAVAILABLE = "unavailable"
        UNKNOWN = "unknown"

    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.CASCADE, related_name="conditions"
    )
    type = models.CharField(max_length=24, choices=Type.choices)
    status = models.CharField(max_length=16, choices=Status.choices)
    reason = models.CharField(max_length=64, blank=True, default="")
    message = models.CharField(max_length=300, blank=True, default="")  # safe for the owner to read
    observed_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = ConditionQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["connection", "type", "superseded_at"])]
        ordering = ["-observed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.type}={self.status} at {self.observed_at:%Y-%m-%d %H:%M}"


class CollectionRun(models.Model):
    """One attempt to collect (a scheduled pull, a device push window)."""

    class Outcome(models.TextChoices):
        RUNNING = "running"
        SUCCESS = "success"
        FAILURE = "failure"
        NOT_MODIFIED = "not_modified"
        # Pulls that were due but not made: access refused, or the background worker was not
        # running. One row per stretch, ``missed`` counting the pulls (never the source's fault).
        SKIPPED = "skipped"

    class Skip(models.TextChoices):
        REFUSED = "credential_refused"
        WORKER_DOWN = "worker_down"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=10, default="scheduled")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=14, choices=Outcome.choices, default=Outcome.RUNNING)
    error_class = models.CharField(max_length=64, blank=True, default="")
    message = models.CharField(max_length=300, blank=True, default="")
    records = models.PositiveIntegerField(default=0)
    missed = models.PositiveIntegerField(default=0, db_default=0)  # pulls skipped in this stretch (outcome ``skipped``)

    class Meta:
        indexes = [
            models.Index(fields=["connection", "-started_at"]),
            # The loader's newest success / failure per connection, without scanning history.
            models.Index(fields=["connection", "outcome", "-finished_at"]),
        ]
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"run {self.pk} {self.outcome}"

    @property
    def duration(self) -> timedelta | None:
        """How long the pull took; None while it runs, and for skipped pulls (nothing was fetched: their
        ``started_at``..``finished_at`` is the stretch they were counted over, not time spent collecting)."""
        return self.finished_at - self.started_at if self.finished_at and self.attempted else None

    @property
    def succeeded(self) -> bool:
        return self.outcome in (self.Outcome.SUCCESS, self.Outcome.NOT_MODIFIED)

    @property
    def attempted(self) -> bool:
        """A pull that was made (a skipped one was not)."""
        return self.outcome != self.Outcome.SKIPPED


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenQuerySet(models.QuerySet):
    def live(self) -> TokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class Token(models.Model):
    """A secret that opens something; only its hash is stored, and a hint to tell tokens apart."""

    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=8)  # last characters, to tell tokens apart
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = TokenQuerySet.as_manager()

    class Meta:
        abstract = True


class DeviceToken(Token):
    """A phone's push credential for one connection."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="device_tokens")

    def __str__(self) -> str:
        return f"device token …{self.hint}"


class AccessToken(Token):
    """A personal access token for the owner API."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens")
    name = models.CharField(max_length=80, default="script")

    def __str__(self) -> str:
        return f"{self.name} …{self.hint}"


def new_secret(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(24)}"
