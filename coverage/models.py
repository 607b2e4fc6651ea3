"""The "what data do I have?" evidence: batches, records, provenance, and coverage summaries."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from connections.models import CollectionRun, Connection

PHASES = ("received", "parsed", "deduplicated", "committed", "indexed", "health_projected")


class BatchQuerySet(models.QuerySet):
    def for_owner(self, user) -> BatchQuerySet:
        return self.filter(connection__owner=user)


class AcquisitionBatch(models.Model):
    """One bounded acquisition. Immutable evidence once committed.

    ``status`` follows the receipt: ``preview`` (parsed, nothing written),
    ``committing`` (the commit task is running), ``committed``, ``duplicate``
    (the artifact was already committed: see ``duplicate_of``), ``rejected``,
    ``failed`` (the commit failed ``MAX_COMMIT_ATTEMPTS`` times: ``failure_reason`` says why
    in owner words; the owner may try again, and the same file may be uploaded again),
    ``removed`` (a committed import the owner undid: ``removal`` says what went and what stayed).

    A preview is complete, and so committable, only once its ``deduplicated`` phase is
    stamped: that happens in the same save as its counts, at the end of a whole parse.
    """

    class Status(models.TextChoices):
        PREVIEW = "preview"
        COMMITTING = "committing"
        COMMITTED = "committed"
        DUPLICATE = "duplicate"
        REJECTED = "rejected"
        FAILED = "failed"
        REMOVED = "removed"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="batches")
    method = models.CharField(max_length=20)
    trigger = models.CharField(max_length=20, default="manual")  # manual, scheduled, push, reread, watched_folder
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
    # A re-import: the first and last instant of the records it brings that the source did not hold
    # (the preview's measure); null when every record is new, or none is.
    new_earliest = models.DateTimeField(null=True, blank=True)
    new_latest = models.DateTimeField(null=True, blank=True)
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
    commit_attempts = models.PositiveSmallIntegerField(default=0)  # landings that raised (a killed process does not count)
    failure_reason = models.CharField(max_length=500, blank=True, default="")  # owner words, when ``failed``
    # The process landing the batch (``host:pid:start``) and since when: see ``coverage.pipeline.claims``.
    claimed_by = models.CharField(max_length=120, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    # A commit lands in chunks: what they have landed so far (``coverage.pipeline.chunks.Tally``), so a
    # killed commit resumes where it stopped. Null before the first chunk and once committed.
    landing = models.JSONField(null=True, blank=True)
    # A re-import's preview drops the staged rows whose landing would change nothing (held records
    # this lane already delivered): what they counted, for the commit's tally, and the source's
    # ``rewritten`` they rely on (``coverage.pipeline.set_aside``). Null when nothing was set aside.
    set_aside = models.JSONField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    # A preview read by the worker (``pipeline.background``): when the reading was asked for.
    # Set while the file is being read; the preview is measured (``is_measured``) when it ends.
    reading_requested_at = models.DateTimeField(null=True, blank=True)
    # The process reading it (``host:pid:start``, as ``claimed_by``) and how many readings began: the
    # sweep reads again a preview whose reader is gone, a bounded number of times (``background``).
    read_by = models.CharField(max_length=120, blank=True, default="")
    read_attempts = models.PositiveSmallIntegerField(default=0)
    # Coverage per stream of what the file holds, from the preview: {stream: {"earliest", "latest", "count"}}.
    stream_coverage = models.JSONField(default=dict, blank=True)
    # An import the owner undid (``pipeline.undo``): when, and what went and what stayed.
    removed_at = models.DateTimeField(null=True, blank=True)
    removal = models.JSONField(null=True, blank=True)

    objects = BatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["connection", "status", "-created_at", "-id"], name="batch_by_status"),
            models.Index(fields=["connection", "window_key"]),
            # Imports by reader: finding imports read by an older reader probes only the readers
            # that are not today's, never the source's pulls, pushes or current imports.
            models.Index(fields=["connection", "method", "status", "parser_version"], name="batch_by_reader"),
            # The newest batch that ended and the newest from the watched folder: the loader walks these
            # from the newest end and stops at the first, whatever the length of the history.
            models.Index(fields=["connection", "-created_at", "-id"], name="batch_newest"),
            models.Index(fields=["connection", "trigger", "-created_at", "-id"], name="batch_by_trigger"),
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
    def is_measured(self) -> bool:
        """A whole parse ended and was measured: only such a preview may be committed."""
        return "deduplicated" in (self.phases or {})

    @property
    def is_reading(self) -> bool:
        """A preview the worker is still reading (``pipeline.background``)."""
        phases = self.phases or {}
        return self.status == self.Status.PREVIEW and self.reading_requested_at is not None and "parsed" not in phases


class RecordQuerySet(models.QuerySet):
    def delivered_via(self, method: str) -> RecordQuerySet:
        """Records that ``method`` delivered: first (``first_batch``) or later (provenance)."""
        return self.filter(models.Q(first_batch__method=method) | models.Q(provenance__method=method)).distinct()

    def visible(self) -> RecordQuerySet:
        """Records the owner may see: their first delivery is committed.

        A commit lands in chunks (``coverage.pipeline.chunks``); the records of a batch still
        ``committing`` are in the table but are not the owner's data yet, and go again if
        the commit fails for good. Anything that shows records to an owner starts here.
        """
        return self.filter(first_batch__status=AcquisitionBatch.Status.COMMITTED)


class Record(models.Model):
    """One item of the owner's data, stored once per connection, stream and key.

    Records and provenance rows are written in bulk (millions per import) by
    ``coverage.pipeline`` only: one ``INSERT ... SELECT`` whose connection and batch ids
    are constants taken from rows it holds locked in the same transaction. Their references
    are therefore not database-checked foreign keys: PostgreSQL would check every one per
    row at commit (about 5 µs a row and reference, more than the insert itself) and learn
    nothing the constant did not say. Deleting still cascades (Django's collector follows
    ``on_delete``), and tests/coverage check that no record outlives its connection.
    """

    # No index of its own: ``record_key_per_stream`` starts with the connection.
    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="records", db_index=False, db_constraint=False
    )
    stream = models.CharField(max_length=40)
    key = models.CharField(max_length=120)
    event_at = models.DateTimeField()
    payload = models.JSONField(default=dict)
    media = models.CharField(max_length=10, blank=True, default="")  # attached/missing/omitted
    # No index either: only landing reads it, for the rows it has just written (by id), and
    # removing a connection deletes its records by connection first.
    first_batch = models.ForeignKey(
        AcquisitionBatch, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )

    objects = RecordQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "stream", "key"], name="record_key_per_stream")
        ]
        # No index by time: nothing reads records by time yet (coverage comes from the
        # summaries), and every index costs each imported record a B-tree insert. The first
        # feature that reads records by time brings its own index.

    def __str__(self) -> str:
        return f"{self.stream}:{self.key}"

    def deliveries(self) -> list[tuple[int, str]]:
        """Every ``(batch id, method)`` that delivered this record: the first, then later ones."""
        first = (self.first_batch_id, AcquisitionBatch.objects.values_list("method", flat=True).get(pk=self.first_batch_id))
        return [first, *self.provenance.order_by("batch_id").values_list("batch_id", "method")]

    @staticmethod
    def delivered_by(batch: AcquisitionBatch | int) -> int:
        """How many records ``batch`` delivered: those it brought first, and held ones it brought again."""
        batch_id = batch if isinstance(batch, int) else batch.pk
        return (
            Record.objects.filter(first_batch_id=batch_id).count()
            + RecordProvenance.objects.filter(batch_id=batch_id).count()
        )


class RecordProvenance(models.Model):
    """A later delivery of a record through another acquisition method.

    A record's first delivery is the record itself: ``Record.first_batch`` (and its method).
    When the same record arrives again through a method that has not delivered it yet (the
    phone pushes a point an export brought), it gains a row here instead of a copy.
    ``deliveries`` gives both. Keeping the first delivery implicit spares every imported
    record a second row and two index entries.
    """

    # Not database-checked (see ``Record``); ``one_provenance_per_batch`` indexes the record.
    record = models.ForeignKey(
        Record, on_delete=models.CASCADE, related_name="provenance", db_index=False, db_constraint=False
    )
    batch = models.ForeignKey(
        AcquisitionBatch, on_delete=models.CASCADE, related_name="provenance", db_constraint=False
    )
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


class GonePreview(models.Model):
    """A preview that went without being imported, kept by its old id so its address still tells the owner
    what became of it (``coverage.views_gone``): replaced by a newer upload of the same file, imported from
    another preview of it (two tabs), cancelled, or cleared after waiting too long. The sweep forgets them
    after ``pipeline.sweep.GONE_PREVIEW_KEPT``."""

    class Reason(models.TextChoices):
        REPLACED = "replaced"  # the same file uploaded again: ``newer`` is the preview that waits now
        LANDED = "landed"  # the same file imported from another preview: ``newer`` is that import
        CANCELLED = "cancelled"
        EXPIRED = "expired"

    batch_id = models.BigIntegerField(primary_key=True)  # the preview's id, in its old addresses
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    newer = models.ForeignKey(AcquisitionBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    filename = models.CharField(max_length=255, blank=True, default="")
    uploaded_at = models.DateTimeField()
    gone_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"preview {self.batch_id} ({self.reason})"
