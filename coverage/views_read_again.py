"""Read a stored file again from the start: a preview set aside after its reading stopped too often
(issue 14), or a preview that read times without a zone in the owner's old zone (``zone_previews``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from connections.zones import owner_zone

from .models import AcquisitionBatch
from .pipeline.background import read_in_owner_zone, retry_reading
from .words import zone_name
from .zone_previews import zone_to_read_in

Status = AcquisitionBatch.Status
NOT_WAITING = "This file is not waiting to be read again."


def can_read_again(batch: AcquisitionBatch) -> bool:
    """Set aside after its reading stopped too often, with its file kept."""
    return batch.status == Status.REJECTED and batch.reject_reason == "reading_stopped" and bool(batch.artifact_name)


def read_again_now(batch: AcquisitionBatch) -> AcquisitionBatch | None:
    """Read ``batch``'s file again when it waits for that (either kind above); None when it does not."""
    if can_read_again(batch):
        return retry_reading(batch)
    if zone_to_read_in(batch, zone_name(owner_zone(batch.connection.owner_id))):
        return read_in_owner_zone(batch)
    return None


@require_POST
@login_required
def read_again(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Read the kept file once more from the start; its receipt then counts as it reads."""
    batch = get_object_or_404(AcquisitionBatch.objects.for_owner(request.user).select_related("connection"), pk=batch_id)
    read = read_again_now(batch)
    if read is None:
        messages.error(request, NOT_WAITING)
    elif read.status == Status.PREVIEW:
        messages.success(request, "Reading the file again, from the start.")
    return redirect("coverage:receipt", batch.pk)
