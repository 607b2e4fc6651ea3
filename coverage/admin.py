"""Operator admin over coverage evidence: batches, records, provenance, summaries. Read-only."""

from __future__ import annotations

from django.contrib import admin

from connections.admin import ReadOnlyAdmin

from .models import AcquisitionBatch, CoverageSummary, LaneSummary, Record, RecordProvenance


@admin.register(AcquisitionBatch)
class AcquisitionBatchAdmin(ReadOnlyAdmin):
    list_display = ("pk", "connection", "method", "status", "source_format", "count_parsed", "count_accepted",
                    "count_duplicate", "event_earliest", "event_latest", "created_at")
    list_filter = ("status", "method", "connection__connector")
    search_fields = ("connection__slug", "connection__owner__username", "artifact_filename", "artifact_sha256")
    list_select_related = ("connection",)
    exclude = ("day_counts",)


@admin.register(Record)
class RecordAdmin(ReadOnlyAdmin):
    list_display = ("connection", "stream", "key", "event_at", "media", "first_batch")
    list_filter = ("stream", "connection__connector")
    search_fields = ("connection__slug", "connection__owner__username", "key")
    list_select_related = ("connection", "first_batch")  # the first delivery (later ones: provenance)
    show_full_result_count = False


@admin.register(RecordProvenance)
class RecordProvenanceAdmin(ReadOnlyAdmin):
    list_display = ("record", "batch", "method")
    list_filter = ("method",)
    search_fields = ("record__connection__slug", "record__connection__owner__username")
    list_select_related = ("record", "batch")
    show_full_result_count = False


@admin.register(LaneSummary)
class LaneSummaryAdmin(ReadOnlyAdmin):
    list_display = ("connection", "method", "batches", "records", "earliest_event_at", "covered_through",
                    "last_batch_at")
    list_filter = ("method", "connection__connector")
    search_fields = ("connection__slug", "connection__owner__username")
    exclude = ("day_counts",)


@admin.register(CoverageSummary)
class CoverageSummaryAdmin(ReadOnlyAdmin):
    list_display = ("connection", "record_count", "earliest_event_at", "covered_through", "media_missing",
                    "updated_at")
    search_fields = ("connection__slug", "connection__owner__username")
    list_filter = ("connection__connector",)
