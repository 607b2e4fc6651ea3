"""The settings page's export panel (HTMX: polled while the worker builds) and the download."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from coverage import words

from . import services
from .models import Export


def describe(export: Export | None, now) -> dict:
    """What the panel says about the owner's newest export."""
    if export is None:
        return {"state": "none"}
    tz = timezone.get_current_timezone()
    if export.status in (Export.Status.QUEUED, Export.Status.BUILDING):
        return {"state": "building", "percent": export.percent, "export": export,
                "waiting": export.status == Export.Status.QUEUED}
    if export.status == Export.Status.FAILED:
        return {"state": "failed", "export": export}
    if export.expired(now) or not export.file_name:
        return {"state": "expired", "export": export, "made": words.when(export.finished_at, tz, now)}
    return {
        "state": "ready",
        "export": export,
        "size": words.file_size(export.bytes),
        "made": words.when(export.finished_at, tz, now),
        "until": words.moment(export.expires_at, tz, now),
    }


def _panel(request: HttpRequest, status: int = 200) -> HttpResponse:
    now = timezone.now()
    return render(request, "exports/panel.html", describe(services.latest(request.user, now), now), status=status)


panel = require_safe(login_required(_panel))  # the panel alone, for HTMX polling while the worker builds


@require_POST
@login_required
def create(request: HttpRequest) -> HttpResponse:
    services.request_export(request.user)
    if request.headers.get("HX-Request") == "true":
        return _panel(request)
    return redirect("connections:settings")


def open_download(owner, token) -> FileResponse | None:
    """The zip of the owner's export ``token``; 404 for anyone else's, 410 once it has expired."""
    export = get_object_or_404(Export, owner=owner, token=token)
    if export.status != Export.Status.READY:
        raise Http404("This export is not ready")
    if export.expired(timezone.now()) or not export.file_name or not default_storage.exists(export.file_name):
        return None
    day = timezone.localdate(export.finished_at).isoformat()
    response = FileResponse(
        default_storage.open(export.file_name, "rb"), as_attachment=True, filename=f"ownerhub-export-{day}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@login_required
def download(request: HttpRequest, token) -> HttpResponse:
    response = open_download(request.user, token)
    if response is None:
        return render(request, "exports/expired.html", status=410)
    return response
