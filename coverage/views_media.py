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


_SAID = {
    True: "Every media file of “{name}” is now required: while any is missing, it shows as can't collect.",
    False: "Missing media of “{name}” is a suggestion again, not a blocking problem.",
}


@require_POST
@login_required
def media_rule(request: HttpRequest, slug: str, required: bool) -> HttpResponse:
    """Set the media rule: ``required`` comes from the URL (``media/required/`` or ``media/optional/``)."""
    connection = _set_media_required(request, slug, required)
    return _managed(request, connection, _SAID[required].format(name=connection.name))
