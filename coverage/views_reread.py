"""Owner pages: read imports again with today's reader, or in the owner's new zone."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods

from connections.models import Connection


def _owned(request: HttpRequest, slug: str) -> Connection:
    return get_object_or_404(Connection.objects.for_owner(request.user), slug=slug)


@require_http_methods(["GET", "POST"])
@login_required
def reread(request: HttpRequest, slug: str) -> HttpResponse:
    connection = _owned(request, slug)
    return redirect("coverage:source", slug=connection.slug)


@require_http_methods(["GET", "POST"])
@login_required
def reread_zone(request: HttpRequest) -> HttpResponse:
    return redirect("coverage:dashboard")
