"""Owner pages render in the owner's zone (DESIGN.md, "Time").

For a logged-in request, the owner's zone (their profile's, else the installation's
``TIME_ZONE``) is made the active zone, so the template filters, which call
``coverage.words``, write days and times in it. It decides no fact: the projection
already names its days in the same zone (``coverage.evidence``). JSON stays UTC.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from connections.zones import owner_zone


class OwnerZoneMiddleware:
    """Activates the owner's zone for the request (one query, only for a logged-in owner)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        with timezone.override(owner_zone(user)):
            return self.get_response(request)
