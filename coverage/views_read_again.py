"""Read a set-aside file again: a preview whose reading stopped too often keeps its file (issue 14)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from .models import AcquisitionBatch
from .pipeline.background import retry_reading

Status = AcquisitionBatch.Status


def can_read_again(batch: AcquisitionBatch) -> bool:
    """Set aside after its reading stopped too often, with its file kept."""
    return batch.status == Status.REJECTED and batch.reject_reason == "reading_stopped" and bool(batch.artifact_name)


@require_POST
@login_required
def read_again(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Read the kept file once more from the start; its receipt then counts as it reads."""
    batch = get_object_or_404(AcquisitionBatch.objects.for_owner(request.user), pk=batch_id)
    if not can_read_again(batch):
        messages.error(request, "This file is not waiting to be read again.")
    elif retry_reading(batch).status == Status.PREVIEW:
        messages.success(request, "Reading the file again, from the start.")
    return redirect("coverage:receipt", batch.pk)
