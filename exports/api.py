"""Owner API: the whole account as one zip.

``POST /api/owner/exports`` asks for an export (202, or the one already on its way); the worker
builds it. ``GET /api/owner/exports/{id}`` tells its progress; once ``ready``, its
``download_url`` answers the zip until ``expires_at`` (then 410).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from ninja import Router, Schema

from coverage.api_problems import problem, problems

from . import services
from .models import Export
from .views import open_download

router = Router(tags=["exports"])


class ExportOut(Schema):
    id: UUID
    status: str  # queued, building, ready, failed, expired
    done: int  # records and files written so far
    total: int  # records and files to write (0 until the worker starts)
    percent: int
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None
    bytes: int | None
    url: str  # this export's status
    download_url: str | None  # the zip, while ready


def _out(request: HttpRequest, export: Export) -> dict:
    expired = export.expired(timezone.now()) or (export.status == Export.Status.READY and not export.file_name)
    ready = export.status == Export.Status.READY and not expired
    return {
        "id": export.token,
        "status": "expired" if expired else export.status,
        "done": export.done,
        "total": export.total,
        "percent": export.percent,
        "created_at": export.created_at,
        "finished_at": export.finished_at,
        "expires_at": export.expires_at,
        "bytes": export.bytes if ready else None,
        "url": reverse("owner_api:export", args=[export.token]),
        "download_url": reverse("owner_api:export_download", args=[export.token]) if ready else None,
    }


@router.post("/exports", response={202: ExportOut, **problems()}, url_name="exports")
def create_export(request: HttpRequest):
    """Ask for a zip of everything the owner holds; the worker builds it. Poll ``url`` for progress."""
    export = services.request_export(request.user)
    return JsonResponse(_out(request, export), status=202)


@router.get("/exports/{export_id}", response={200: ExportOut, **problems(400, 404)}, url_name="export")
def get_export(request: HttpRequest, export_id: UUID):
    """An export's progress and, once ready, its download address."""
    services.purge_expired(request.user, timezone.now())
    return _out(request, get_object_or_404(Export, owner=request.user, token=export_id))


@router.get(
    "/exports/{export_id}/download",
    response={200: None, **problems(400, 404, 410)},
    url_name="export_download",
    openapi_extra={"responses": {200: {"description": "The zip", "content": {"application/zip": {}}}}},
)
def download_export(request: HttpRequest, export_id: UUID):
    """The export's zip (``application/zip``), while it has not expired."""
    response = open_download(request.user, export_id)
    if response is None:
        return problem(410, "This export has expired. Ask for a new one with POST /api/owner/exports.", "expired")
    return response
