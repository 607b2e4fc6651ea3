"""An import's pages beyond its receipt: undo it, the imports list of a source, downloads.

Owner-scoped like every page (another owner's import is a 404); they ask the pipeline and
render, deciding nothing themselves.
"""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import get_valid_filename
from django.views.decorators.http import require_http_methods, require_safe

from connections.models import Connection

from . import words
from .evidence import load_one, load_receipt
from .models import AcquisitionBatch
from .pipeline.reread import TRIGGER as REREAD
from .pipeline.undo import RemovalRefused, plan_removal, remove_import
from .receipts import build_receipt
from .serializers import receipt_json
from .words import removal_words

Status = AcquisitionBatch.Status


def _owned_batch(request: HttpRequest, batch_id: int) -> AcquisitionBatch:
    batches = AcquisitionBatch.objects.for_owner(request.user).select_related("connection")
    return get_object_or_404(batches, pk=batch_id)


@require_http_methods(["GET", "HEAD", "POST"])
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
    try:
        plan = plan_removal(batch)
    except RemovalRefused as exc:  # an import read again: its newer reading is the one to remove
        messages.info(request, str(exc))
        return redirect("coverage:receipt", batch.pk)
    context = {
        "batch": batch,
        "connection": batch.connection,
        "plan": plan,
        "words": removal_words(batch.connection.manifest.record_noun, plan.removed, plan.kept),
    }
    return render(request, "coverage/remove_import.html", context)


# ---------------------------------------------------------------- the imports of a source, and downloads
IMPORTS_PER_PAGE = 25
ATTEMPTS_SHOWN = 20


@require_safe
@login_required
def imports(request: HttpRequest, slug: str) -> HttpResponse:
    """Every upload of a source, newest first, paginated; rejected attempts are listed apart.

    An upload read again is one row, its newest reading: the readings it replaced, and readings
    previewed but not taken, are not uploads of their own (each receipt still leads to the other)."""
    connection = get_object_or_404(Connection.objects.for_owner(request.user), slug=slug)
    uploads = connection.batches.filter(method="owner_artifact").select_related("duplicate_of")
    listed = (uploads.exclude(status=Status.REJECTED).exclude(options__has_key="superseded_by")
              .exclude(Q(trigger=REREAD) & ~Q(status__in=(Status.COMMITTED, Status.REMOVED))))
    page = Paginator(listed, IMPORTS_PER_PAGE).get_page(request.GET.get("page"))
    rejected = uploads.filter(status=Status.REJECTED)
    for batch in page.object_list:
        batch.connection = connection
    uploads = _uploads(page.object_list)
    for upload in uploads.values():
        upload.connection = connection
    rows = [(build_receipt(b), build_receipt(uploads[b.pk]) if b.pk in uploads else None) for b in page.object_list]
    context = {
        "connection": connection,
        "health": load_one(connection),  # what the source holds: the upload button's words
        "page": page,
        # A reading's row is its upload's: the day it was uploaded, what it brought (its receipt, a click away,
        # says what reading it again changed).
        "rows": rows,
        "named_alike": _named_alike(rows),
        "rejected": list(rejected[:ATTEMPTS_SHOWN]),
        "rejected_count": rejected.count(),
        "noun": connection.manifest.record_noun,
        "file_noun": ("file", "files"),
    }
    return render(request, "coverage/imports.html", context)


def _named_alike(rows) -> set[int]:
    """The rows an owner could not tell apart by day and file (two export.zip uploaded on one day): they show
    the time of day too."""
    tz = timezone.get_current_timezone()
    names = Counter()
    named = {}
    for receipt, upload in rows:
        at = (upload or receipt).created_at
        named[receipt.batch_id] = (words.local_date(at, tz), receipt.artifact.filename if receipt.artifact else "")
        names[named[receipt.batch_id]] += 1
    return {batch_id for batch_id, name in named.items() if names[name] > 1}


def _uploads(batches) -> dict[int, AcquisitionBatch]:
    """The upload each reading goes back to (a query per step back): its day, and what it brought."""
    found, back = {}, {b.pk: b.options.get("reread_of") for b in batches if b.trigger == REREAD and b.options}
    while back := {pk: old for pk, old in back.items() if old}:
        olds = AcquisitionBatch.objects.in_bulk(set(back.values()))
        found.update({pk: olds[old] for pk, old in back.items() if old in olds and olds[old].trigger != REREAD})
        back = {pk: (olds[old].options or {}).get("reread_of") if old in olds and olds[old].trigger == REREAD else None
                for pk, old in back.items()}
    return found


def _download_name(batch: AcquisitionBatch, suffix: str) -> str:
    stem = get_valid_filename(f"{batch.created_at.date().isoformat()} {batch.artifact_filename or 'receipt'}")
    return f"{stem}{suffix}"


@require_safe
@login_required
def receipt_json_download(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The receipt as JSON (the API's own form), as a file to keep."""
    batch = _owned_batch(request, batch_id)
    response = JsonResponse(receipt_json(load_receipt(batch)), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = content_disposition_header(True, _download_name(batch, ".receipt.json"))
    return response


@require_safe
@login_required
def receipt_print(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The receipt on a plain page to print or save as PDF."""
    batch = _owned_batch(request, batch_id)
    context = {"batch": batch, "receipt": load_receipt(batch), "connection": batch.connection,
               "noun": batch.connection.manifest.record_noun, "printing": True}
    return render(request, "coverage/receipt_print.html", context)


@require_safe
@login_required
def original_file(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The file as it was uploaded, streamed from storage (kept while its import stands)."""
    batch = _owned_batch(request, batch_id)
    if not batch.artifact_name or not default_storage.exists(batch.artifact_name):
        raise Http404("The stored copy of this file is no longer kept.")
    handle = default_storage.open(batch.artifact_name, "rb")
    return FileResponse(handle, as_attachment=True, filename=batch.artifact_filename or "upload")
