"""The owner's media rule for a source: "every media file is required" turns missing media blocking.

Both answers are POSTs from the card's actions (the projection offers the one that applies) and
return what pause and resume return: the refreshed card for HTMX, else a message and the page before.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from connections.models import Connection

from .views import _managed, _owned


def _set_media_required(request: HttpRequest, slug: str, required: bool) -> Connection:
    connection = _owned(request, slug)
    if connection.media_required != required:
        connection.media_required = required
        connection.save(update_fields=["media_required"])
    return connection


@require_POST
@login_required
def require_media(request: HttpRequest, slug: str) -> HttpResponse:
    connection = _set_media_required(request, slug, True)
    return _managed(request, connection, f"Every media file of “{connection.name}” is now required: "
                                         "while any is missing, it shows as can't collect.")


@require_POST
@login_required
def media_optional(request: HttpRequest, slug: str) -> HttpResponse:
    connection = _set_media_required(request, slug, False)
    return _managed(request, connection, f"Missing media of “{connection.name}” is a suggestion again, "
                                         "not a blocking problem.")
