"""Operator admin over coverage evidence: batches, records, provenance, summaries (read-only), and
connections with their projected verdict and health (removing one takes its evidence with it)."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone

from connections.admin import ConnectionAdmin, ReadOnlyAdmin, SourceRowAdmin, searched_by
from connections.models import Connection

from .evidence import load_evidence, load_one
from .models import AcquisitionBatch, CoverageSummary, LaneSummary, Record, RecordProvenance
from .pipeline import remove_connection
from .projection import project

STATES = ("setup_required", "paused", "failing", "degraded", "attention", "healthy")


def _project_rows(queryset):
    """(pk, projection) for every connection in ``queryset``, in constant queries."""
    now = timezone.now()
    return [(ev.connection.pk, project(ev, now)) for ev in load_evidence(queryset, now)]


class VerdictFilter(admin.SimpleListFilter):
    title = "projected state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [(s, s.replace("_", " ")) for s in STATES]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        matching = [pk for pk, h in _project_rows(queryset) if h.verdict.state == self.value()]
        return queryset.filter(pk__in=matching)


@admin.register(Connection)
class ConnectionHealthAdmin(ConnectionAdmin):
    list_display = ("name", "slug", "owner", "connector", "verdict", "schedule_policy", "created_at")
    list_filter = ("connector", VerdictFilter, "schedule_policy")
    readonly_fields = (*ConnectionAdmin.readonly_fields, "health")
    fields = (*ConnectionAdmin.fields, "health")

    def delete_model(self, request, obj):
        remove_connection(obj)  # with its evidence: records, staged rows, stored files

    def delete_queryset(self, request, queryset):
        for connection in queryset:
            remove_connection(connection)

    def get_changelist_instance(self, request):
        # Project the whole page at once: constant queries, not one per row.
        cl = super().get_changelist_instance(request)
        by_pk = dict(_project_rows(Connection.objects.filter(pk__in=[r.pk for r in cl.result_list])))
        for row in cl.result_list:
            row._health = by_pk.get(row.pk)
        return cl

    @admin.display(description="verdict")
    def verdict(self, obj):
        health = getattr(obj, "_health", None)
        return f"{health.verdict.state}: {health.verdict.headline}" if health else "-"

    @admin.display(description="projection")
    def health(self, obj):
        h = load_one(obj)
        actions = ", ".join(f"{a.kind} ({a.urgency})" for a in h.actions) or "none"
        return f"{h.verdict.state} / {h.verdict.label}: {h.verdict.headline}. {h.verdict.forward} Actions: {actions}"


@admin.register(AcquisitionBatch)
class AcquisitionBatchAdmin(SourceRowAdmin):
    list_display = ("pk", "connection", "method", "status", "source_format", "count_parsed", "count_accepted",
                    "count_duplicate", "event_earliest", "event_latest", "created_at")
    list_filter = ("status", "method", "connection__connector")
    search_fields = searched_by("artifact_filename", "artifact_sha256")
    exclude = ("day_counts",)


@admin.register(Record)
class RecordAdmin(SourceRowAdmin):
    list_display = ("connection", "stream", "key", "event_at", "media", "first_batch")
    list_filter = ("stream", "connection__connector")
    search_fields = searched_by("key")
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
class LaneSummaryAdmin(SourceRowAdmin):
    list_display = ("connection", "method", "batches", "records", "earliest_event_at", "covered_through",
                    "last_batch_at")
    list_filter = ("method", "connection__connector")
    exclude = ("day_counts",)


@admin.register(CoverageSummary)
class CoverageSummaryAdmin(SourceRowAdmin):
    list_display = ("connection", "record_count", "earliest_event_at", "covered_through", "media_missing",
                    "updated_at")
    list_filter = ("connection__connector",)
