"""Operator admin over the pipe evidence. Read-mostly: evidence rows are never edited here.

A connection's projected verdict and health, and its removal with its evidence, are coverage's:
``coverage.admin`` registers the ``Connection`` admin, ``ConnectionAdmin`` with them added.
"""

from __future__ import annotations

from django.contrib import admin

from .collect import masked_feed_url
from .models import AccessToken, CollectionRun, Condition, DeviceToken, OwnerProfile


class ReadOnlyAdmin(admin.ModelAdmin):
    """Evidence is written by the app, not by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SourceRowAdmin(ReadOnlyAdmin):
    """Evidence rows of one source: found by the source's slug or its owner, listed with the source."""

    search_fields = ("connection__slug", "connection__owner__username")
    list_select_related = ("connection",)


def searched_by(*fields: str) -> tuple[str, ...]:
    """A source row's search fields with ``fields`` added."""
    return (*SourceRowAdmin.search_fields, *fields)


class ConnectionAdmin(admin.ModelAdmin):
    """The connection's own fields; ``coverage.admin.ConnectionHealthAdmin`` adds the projection."""

    list_display = ("name", "slug", "owner", "connector", "schedule_policy", "created_at")
    list_filter = ("connector", "schedule_policy")
    search_fields = ("slug", "name", "owner__username", "owner__email")
    list_select_related = ("owner",)
    readonly_fields = ("owner", "connector", "slug", "created_at", "feed_url_masked")
    fields = ("owner", "connector", "slug", "name", "schedule_policy", "interval_seconds", "next_due_at",
              "feed_url_masked", "created_at")

    def has_add_permission(self, request):
        return False

    @admin.display(description="feed url")
    def feed_url_masked(self, obj):
        if not obj.feed_url:
            return "-"
        # The address itself is a credential (a private calendar's secret link): show its host only.
        return masked_feed_url(obj.feed_url)


@admin.register(Condition)
class ConditionAdmin(SourceRowAdmin):
    list_display = ("connection", "type", "status", "reason", "observed_at", "expires_at", "superseded_at")
    list_filter = ("type", "status", "connection__connector")
    search_fields = searched_by("reason")


@admin.register(CollectionRun)
class CollectionRunAdmin(SourceRowAdmin):
    list_display = ("connection", "trigger", "outcome", "error_class", "records", "started_at", "finished_at")
    list_filter = ("outcome", "trigger", "connection__connector")
    search_fields = searched_by("error_class")


@admin.register(DeviceToken)
class DeviceTokenAdmin(SourceRowAdmin):
    list_display = ("connection", "hint", "created_at", "last_used_at", "revoked_at")
    exclude = ("token_hash",)


@admin.register(AccessToken)
class AccessTokenAdmin(ReadOnlyAdmin):
    list_display = ("owner", "name", "hint", "created_at", "last_used_at", "revoked_at")
    search_fields = ("owner__username", "name")
    exclude = ("token_hash",)


@admin.register(OwnerProfile)
class OwnerProfileAdmin(admin.ModelAdmin):
    list_display = ("owner", "time_zone")
    search_fields = ("owner__username",)
