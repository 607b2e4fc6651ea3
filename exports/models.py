"""An export of the owner's whole account: one zip built by the worker, downloadable for a while."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Export(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for the worker"
        BUILDING = "building", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Could not be finished"

    # The address of its download: not guessable, and only its owner's anyway.
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)  # the download's end (set when ready)
    done = models.BigIntegerField(default=0)  # records and files written so far
    total = models.BigIntegerField(default=0)  # records and files to write (known once started)
    file_name = models.CharField(max_length=255, blank=True, default="")  # storage name of the zip
    bytes = models.BigIntegerField(default=0)
    error = models.TextField(blank=True, default="")  # for operators; owners see a sentence

    class Meta:
        indexes = [models.Index(fields=["owner", "-created_at"], name="export_newest_per_owner")]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.READY:
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0

    def expired(self, now) -> bool:
        return self.status == self.Status.READY and self.expires_at is not None and self.expires_at <= now
