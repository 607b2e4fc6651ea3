"""Operator admin over the pipe evidence. Read-mostly: evidence rows are never edited here."""

from __future__ import annotations

from django.contrib import admin

from coverage.pipeline import remove_connection

from .collect import masked_feed_url
from .models import AccessToken, CollectionRun, Condition, Connection, DeviceToken, OwnerProfile

STATES = ("setup_required", "paused", "failing", "degraded", "attention", "healthy")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Evidence is written by the app, not by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _project_rows(queryset):
    """(pk, projection) for every connection in ``queryset``, in constant queries."""
    from django.utils import timezone

    from coverage.evidence import load_evidence
    from coverage.projection import project

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
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "owner", "connector", "verdict", "schedule_policy", "created_at")
    list_filter = ("connector", VerdictFilter, "schedule_policy")
    search_fields = ("slug", "name", "owner__username", "owner__email")
    list_select_related = ("owner",)
    readonly_fields = ("owner", "connector", "slug", "created_at", "feed_url_masked", "health")
    fields = ("owner", "connector", "slug", "name", "schedule_policy", "interval_seconds", "next_due_at",
              "feed_url_masked", "created_at", "health")

    def has_add_permission(self, request):
        return False

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
        from coverage.evidence import load_one

        h = load_one(obj)
        actions = ", ".join(f"{a.kind} ({a.urgency})" for a in h.actions) or "none"
        return f"{h.verdict.state} / {h.verdict.label}: {h.verdict.headline}. {h.verdict.forward} Actions: {actions}"

    @admin.display(description="feed url")
    def feed_url_masked(self, obj):
        if not obj.feed_url:
            return "-"
        # The address itself is a credential (a private calendar's secret link): show its host only.
        return masked_feed_url(obj.feed_url)


@admin.register(Condition)
class ConditionAdmin(ReadOnlyAdmin):
    list_display = ("connection", "type", "status", "reason", "observed_at", "expires_at", "superseded_at")
    list_filter = ("type", "status", "connection__connector")
    search_fields = ("connection__slug", "connection__owner__username", "reason")
    list_select_related = ("connection",)


@admin.register(CollectionRun)
class CollectionRunAdmin(ReadOnlyAdmin):
    list_display = ("connection", "trigger", "outcome", "error_class", "records", "started_at", "finished_at")
    list_filter = ("outcome", "trigger", "connection__connector")
    search_fields = ("connection__slug", "connection__owner__username", "error_class")
    list_select_related = ("connection",)


@admin.register(DeviceToken)
class DeviceTokenAdmin(ReadOnlyAdmin):
    list_display = ("connection", "hint", "created_at", "last_used_at", "revoked_at")
    search_fields = ("connection__slug", "connection__owner__username")
    exclude = ("token_hash",)
    list_select_related = ("connection",)


@admin.register(AccessToken)
class AccessTokenAdmin(ReadOnlyAdmin):
    list_display = ("owner", "name", "hint", "created_at", "last_used_at", "revoked_at")
    search_fields = ("owner__username", "name")
    exclude = ("token_hash",)


@admin.register(OwnerProfile)
class OwnerProfileAdmin(admin.ModelAdmin):
    list_display = ("owner", "time_zone")
    search_fields = ("owner__username",)
