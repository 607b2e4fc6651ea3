"""An import's pages beyond its receipt: undo it, the imports list of a source, downloads.

Owner-scoped like every page (another owner's import is a 404); they ask the pipeline and
render, deciding nothing themselves.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from .models import AcquisitionBatch
from .pipeline.undo import RemovalRefused, plan_removal, remove_import
from .words import count, pick

Status = AcquisitionBatch.Status


def _owned_batch(request: HttpRequest, batch_id: int) -> AcquisitionBatch:
    batches = AcquisitionBatch.objects.for_owner(request.user).select_related("connection")
    return get_object_or_404(batches, pk=batch_id)


def removal_words(batch: AcquisitionBatch, removed: int, kept: int) -> str:
    """The confirmation's sentence: what goes and what stays, counts agreeing with their nouns."""
    noun = batch.connection.manifest.record_noun
    text = f"{count(removed, noun)} {pick(removed, ('goes', 'go'))}."
    if kept:
        text += (f" {count(kept, noun)} {pick(kept, ('stays', 'stay'))}, because another import "
                 "or your phone delivered them too.")
    return text


@require_http_methods(["GET", "POST"])
@login_required
def remove(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Undo one import: GET states what would go and what would stay; POST removes it."""
    batch = _owned_batch(request, batch_id)
    if batch.status != Status.COMMITTED or batch.method != "owner_artifact":
        messages.info(request, "Only an import that was saved can be removed.")
        return redirect("coverage:receipt", batch.pk)
    if request.method == "POST":
        try:
            remove_import(batch)
        except RemovalRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Removed the import. Your other imports were not changed.")
        return redirect("coverage:receipt", batch.pk)
    plan = plan_removal(batch)
    context = {
        "batch": batch,
        "connection": batch.connection,
        "plan": plan,
        "words": removal_words(batch, plan.removed, plan.kept),
    }
    return render(request, "coverage/remove_import.html", context)
