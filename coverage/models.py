"""The "what data do I have?" evidence: batches, records, provenance, and coverage summaries."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from connections.models import CollectionRun, Connection

PHASES = ("received", "parsed", "deduplicated", "committed", "indexed", "health_projected")


class BatchQuerySet(models.QuerySet):
    def for_owner(self, user) -> BatchQuerySet:
        return self.filter(connection__owner=user)

    def landed(self) -> BatchQuerySet:
        """Batches whose records are part of the owner's data."""
        return self.filter(status=AcquisitionBatch.Status.COMMITTED)


class AcquisitionBatch(models.Model):
    """One bounded acquisition. Immutable evidence once committed.

    ``status`` follows the receipt: ``preview`` (parsed, nothing written),
    ``committing`` (the commit task is running), ``committed``, ``duplicate``
    (the artifact was already committed: see ``duplicate_of``), ``rejected``.
    """

    class Status(models.TextChoices):
        PREVIEW = "preview"
        COMMITTING = "committing"
        COMMITTED = "committed"
        DUPLICATE = "duplicate"
        REJECTED = "rejected"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="batches")
    method = models.CharField(max_length=20)
    trigger = models.CharField(max_length=10, default="manual")
    run = models.ForeignKey(CollectionRun, null=True, blank=True, on_delete=models.SET_NULL)
    source_format = models.CharField(max_length=40, blank=True, default="")
    parser_version = models.CharField(max_length=40, blank=True, default="")
    artifact_filename = models.CharField(max_length=255, blank=True, default="")
    artifact_sha256 = models.CharField(max_length=64, blank=True, default="", db_index=True)
    artifact_bytes = models.BigIntegerField(null=True, blank=True)
    artifact_name = models.CharField(max_length=255, blank=True, default="")  # storage name
    # Groups device pushes into one batch per device per window.
    window_key = models.CharField(max_length=120, blank=True, default="")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PREVIEW)
    reject_reason = models.CharField(max_length=20, blank=True, default="")
    reject_detail = models.CharField(max_length=500, blank=True, default="")
    event_earliest = models.DateTimeField(null=True, blank=True)
    event_latest = models.DateTimeField(null=True, blank=True)
    count_parsed = models.PositiveIntegerField(default=0)
    count_accepted = models.PositiveIntegerField(default=0)
    count_duplicate = models.PositiveIntegerField(default=0)
    count_skipped = models.PositiveIntegerField(default=0)
    count_failed = models.PositiveIntegerField(default=0)
    media_declared = models.PositiveIntegerField(default=0)
    media_attached = models.PositiveIntegerField(default=0)
    media_missing = models.PositiveIntegerField(default=0)
    media_omitted = models.PositiveIntegerField(default=0)
    gaps = models.JSONField(default=list, blank=True)  # [{"start": date, "end": date, "days": n}]
    warnings = models.JSONField(default=list, blank=True)  # [{"kind", "detail", "position"}]
    # Which earlier batches already hold this batch's duplicates: [{"batch_id", "count"}].
    duplicate_sources = models.JSONField(default=list, blank=True)
    completeness_claim = models.CharField(max_length=20, default="observed")
    partial = models.BooleanField(default=False)
    time_zone_assumed = models.CharField(max_length=64, blank=True, default="")
    question = models.JSONField(null=True, blank=True)  # what the preview asks the owner
    options = models.JSONField(default=dict, blank=True)  # the owner's answers (date order)
    preview_counts = models.JSONField(null=True, blank=True)  # counts as previewed
    data_changed = models.BooleanField(default=False)
    day_counts = models.JSONField(default=dict, blank=True)  # accepted records per UTC day
    media_days = models.JSONField(default=list, blank=True)  # days with media not attached
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    phases = models.JSONField(default=dict, blank=True)  # phase name -> ISO time
    progress = models.PositiveIntegerField(default=0)  # items read so far while working
    created_at = models.DateTimeField(default=timezone.now)
    # When the commit was last asked for: a batch still committing long after is re-enqueued.
    commit_requested_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)

    objects = BatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["connection", "status", "-created_at"]),
            models.Index(fields=["connection", "window_key"]),
        ]
        constraints = [
            # One committed (or committing) batch per artifact per connection, even
            # when two processes commit the same file at the same moment.
            models.UniqueConstraint(
                fields=["connection", "artifact_sha256"],
                condition=models.Q(status__in=["committing", "committed"]) & ~models.Q(artifact_sha256=""),
                name="one_landed_batch_per_artifact",
            )
        ]

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.status})"

    @property
    def is_landed(self) -> bool:
        return self.status == self.Status.COMMITTED


class Record(models.Model):
    """One item of the owner's data, stored once per connection, stream and key."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="records")
    stream = models.CharField(max_length=40)
    key = models.CharField(max_length=120)
    event_at = models.DateTimeField()
    payload = models.JSONField(default=dict)
    media = models.CharField(max_length=10, blank=True, default="")  # attached/missing/omitted
    first_batch = models.ForeignKey(AcquisitionBatch, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "stream", "key"], name="record_key_per_stream")
        ]
        indexes = [models.Index(fields=["connection", "stream", "event_at"])]

    def __str__(self) -> str:
        return f"{self.stream}:{self.key}"


class RecordProvenance(models.Model):
    """Which batch (and so which acquisition method) brought a record."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="provenance")
    batch = models.ForeignKey(AcquisitionBatch, on_delete=models.CASCADE, related_name="provenance")
    method = models.CharField(max_length=20)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "batch"], name="one_provenance_per_batch")]

    def __str__(self) -> str:
        return f"{self.record_id} via {self.method}"


class LaneSummary(models.Model):
    """Coverage of one connection through one acquisition method.

    Kept incrementally: updated in the same transaction that commits a batch,
    so the projection never scans batches or records.
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="lanes")
    method = models.CharField(max_length=20)
    batches = models.PositiveIntegerField(default=0)
    records = models.PositiveBigIntegerField(default=0)  # records this lane delivered (new or not)
    accepted = models.PositiveBigIntegerField(default=0)  # records this lane was first to deliver
    earliest_event_at = models.DateTimeField(null=True, blank=True)
    covered_through = models.DateTimeField(null=True, blank=True)
    last_batch_at = models.DateTimeField(null=True, blank=True)
    last_batch = models.ForeignKey(AcquisitionBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    partial_batch = models.ForeignKey(AcquisitionBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    day_counts = models.JSONField(default=dict, blank=True)  # records per UTC day through this lane
    media_days = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "method"], name="one_lane_per_method")]
        ordering = ["method"]

    def __str__(self) -> str:
        return f"{self.connection_id}/{self.method}"


class CoverageSummary(models.Model):
    """A connection's coverage across lanes, kept with the evidence (see LaneSummary)."""

    connection = models.OneToOneField(Connection, on_delete=models.CASCADE, related_name="coverage_summary")
    record_count = models.PositiveBigIntegerField(default=0)
    earliest_event_at = models.DateTimeField(null=True, blank=True)
    covered_through = models.DateTimeField(null=True, blank=True)
    media_declared = models.PositiveBigIntegerField(default=0)
    media_attached = models.PositiveBigIntegerField(default=0)
    media_missing = models.PositiveBigIntegerField(default=0)
    media_omitted = models.PositiveBigIntegerField(default=0)
    media_batch = models.ForeignKey(AcquisitionBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    holes = models.JSONField(default=list, blank=True)  # [{"start", "end", "days"}]
    latest_batch = models.ForeignKey(AcquisitionBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"coverage of {self.connection_id}"
