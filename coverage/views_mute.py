"""Mute a source's reminders: the export-only counterpart of pause (issue 14).

A source of exports collects nothing, so pausing it means nothing; the owner may instead stop
the reminder digest from naming it. Its card keeps showing how stale it is.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from .views import _managed, _owned


def _set_muted(request: HttpRequest, slug: str, muted: bool) -> HttpResponse:
    connection = _owned(request, slug)
    connection.reminders_muted = muted
    connection.save(update_fields=["reminders_muted"])
    message = (f"Reminders about “{connection.name}” are muted. Its card still shows how current it is."
               if muted else f"Reminders about “{connection.name}” are back on.")
    return _managed(request, connection, message)


@require_POST
@login_required
def mute(request: HttpRequest, slug: str) -> HttpResponse:
    return _set_muted(request, slug, True)


@require_POST
@login_required
def unmute(request: HttpRequest, slug: str) -> HttpResponse:
    return _set_muted(request, slug, False)
