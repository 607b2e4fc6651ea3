"""Owner pages. They load owner-scoped rows, ask the projection or the pipeline, and render.

No view decides a state: the dashboard and the source page render the projection
(``coverage.evidence``), the import pages render the receipt (``coverage.receipts``).
"""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from connections import services
from connections.models import Connection

from . import pipeline, tasks
from .evidence import load_health, load_one, load_receipt, load_system
from .models import AcquisitionBatch, GonePreview
from .pipeline.accounts import confirm_other_account
from .pipeline.backup import answer_chat, start_upload
from .pipeline.other_phone import import_as_it_reads
from .projection import summarize
from .projection.collect_now import collect_held
from .receipts import build_receipt

Status = AcquisitionBatch.Status
RECENT_RECEIPTS = 10


def _owned(request: HttpRequest, slug: str) -> Connection:
    return get_object_or_404(Connection.objects.for_owner(request.user), slug=slug)


def _owned_batch(request: HttpRequest, batch_id: int) -> AcquisitionBatch:
    batches = AcquisitionBatch.objects.for_owner(request.user).select_related("connection", "duplicate_of")
    return get_object_or_404(batches, pk=batch_id)


def _busy_slugs(connections: QuerySet[Connection]) -> set[str]:
    """Connections with an import being saved: their cards poll until it lands."""
    committing = AcquisitionBatch.objects.filter(connection__in=connections, status=Status.COMMITTING)
    return set(committing.values_list("connection__slug", flat=True))


@require_safe  # GET, and HEAD for uptime checks
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    connections = Connection.objects.for_owner(request.user)
    healths = load_health(connections)
    summary = summarize(healths)
    # Each part of the summary line filters the cards to its bucket (UI.md): ?show=needs_you.
    show = request.GET.get("show", "")
    show = show if show in {part.key for part in summary.parts} else ""
    context = {
        "healths": healths,
        "summary": summary,
        "show": show,
        "cards": [h for h in summary.cards if not show or h.bucket == show],
        "system": load_system(),
        "busy_slugs": _busy_slugs(connections),
    }
    return render(request, "coverage/dashboard.html", context)


@require_safe
@login_required
def card(request: HttpRequest, slug: str) -> HttpResponse:
    """One card, for htmx to swap in place (it polls while an import of this source runs)."""
    connection = _owned(request, slug)
    context = {
        "health": load_one(connection),
        "busy_slugs": _busy_slugs(Connection.objects.filter(pk=connection.pk)),
    }
    return render(request, "coverage/dashboard.html#coverage-card", context)


@require_safe
@login_required
def source(request: HttpRequest, slug: str) -> HttpResponse:
    connection = _owned(request, slug)
    batches = list(
        connection.batches.exclude(status=Status.PREVIEW).select_related("duplicate_of")[:RECENT_RECEIPTS]
    )
    for batch in batches:
        batch.connection = connection
    health = load_one(connection, timeline=True)  # everything the page says about health and coverage
    context = {
        "connection": connection,
        "manifest": connection.manifest,
        "health": health,
        "busy_slugs": {connection.slug} if health.work.imports else set(),
        "receipts": [build_receipt(b) for b in batches],
        "has_device_token": connection.device_tokens.live().exists(),
    }
    return render(request, "coverage/source.html", context)


def _accepted(connection: Connection, path) -> list[str]:
    """The file types the upload picker offers: the export's, and a phone backup's when the source takes one."""
    backup = connection.manifest.path("device_backup")
    formats = [*(path.accepted_formats if path else ()), *(backup.accepted_formats if backup else ())]
    return list(dict.fromkeys(formats))


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def upload(request: HttpRequest, slug: str) -> HttpResponse:
    """The upload page; each file posted becomes its own preview (read by the worker when large).

    The drop zone (``static/js/upload.js``) posts one file per request and asks for JSON: the
    receipt's address to open. Without script, the form posts every chosen file at once: one
    file opens its receipt, several are listed with a link to each.
    """
    connection = _owned(request, slug)
    path = connection.manifest.path("owner_artifact")
    error = ""
    made: list[AcquisitionBatch] = []
    if request.method == "POST" and path is not None:
        uploads = request.FILES.getlist("artifact")
        if not uploads:
            error = "Choose a file to upload."
        made = [start_upload(connection, f, f.name or "upload") for f in uploads]  # a phone backup, or an export
        if _wants_json(request) and len(made) == 1:
            return JsonResponse(_upload_json(made[0]), status=202 if made[0].is_reading else 200)
        if len(made) == 1:
            return redirect("coverage:receipt", made[0].pk)
    limit = settings.OWNERHUB_MAX_UPLOAD_BYTES
    context = {
        "connection": connection,
        "path": path,
        "accepted": _accepted(connection, path),
        "error": error,
        "made": [build_receipt(b) for b in made],
        # The browser refuses a file over the limit before sending it; the server refuses it too.
        "max_bytes": limit,
        "too_large": f"The file is larger than the {pipeline.size_words(limit)} limit.",
    }
    return render(request, "coverage/upload.html", context, status=400 if error else 200)


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


def _upload_json(batch: AcquisitionBatch) -> dict:
    """What the drop zone shows for one sent file: where its preview is and what it says so far."""
    receipt = build_receipt(batch)
    return {
        "url": reverse("coverage:receipt", args=[batch.pk]),
        "filename": batch.artifact_filename,
        "status": batch.status,
        "reading": batch.is_reading,
        "sentence": receipt.sentence,
    }


DECIDED_DATE_ORDER = ("date_order_from_language", "date_order_from_dots", "date_order_answered")


def _receipt_context(batch: AcquisitionBatch) -> dict:
    # While an import waits for the worker, say so if the worker is not running.
    system = load_system() if batch.status == Status.COMMITTING else None
    return {
        "batch": batch,
        "receipt": load_receipt(batch),
        "connection": batch.connection,
        "noun": batch.connection.manifest.record_noun,
        "system": system,
        # A preview's day/month order decided without the file proving it (the phone's language, dots, the owner's
        # answer) may be read the other way: its note carries the button.
        "date_order_notes": DECIDED_DATE_ORDER,
        "other_date_order": "mdy" if (batch.options or {}).get("date_order", "dmy") != "mdy" else "dmy",
    }


@require_safe
@login_required
def receipt(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The receipt of one batch, whatever its status: preview, importing, imported, duplicate, rejected."""
    return render(request, "coverage/receipt.html", _receipt_context(_owned_batch(request, batch_id)))


@require_safe
@login_required
def receipt_status(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The receipt body alone, for htmx to poll while an import is being saved."""
    context = _receipt_context(_owned_batch(request, batch_id))
    return render(request, "coverage/receipt.html#receipt-body", context)


def _try_on_receipt(request: HttpRequest, batch: AcquisitionBatch, step, *args) -> HttpResponse:
    """Run a pipeline step and return to the receipt; a refusal is told there, never an error page."""
    try:
        step(*args)
    except pipeline.CommitRefused as exc:
        messages.error(request, str(exc))
    return redirect("coverage:receipt", batch.pk)


@require_POST
@login_required
def commit(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _owned_batch(request, batch_id)
    if request.POST.get("confirm_other_account"):  # "This file belongs to … all the same"
        confirm_other_account(batch)
    if request.POST.get("as_it_reads"):  # the same chat from another phone, imported as it names its people
        import_as_it_reads(batch)
    return _try_on_receipt(request, batch, pipeline.start_commit, batch)


@require_POST
@login_required
def same_people(request: HttpRequest, batch_id: int) -> HttpResponse:
    """'Read as the same people': the same chat from another phone, its names paired with the source's."""
    batch = _owned_batch(request, batch_id)
    # "Change who is who": pairs of fields here_<n> (a name in the file) and as_<n> (the source's, or "").
    chosen = {request.POST[k]: request.POST.get(f"as_{k[5:]}", "") for k in request.POST if k.startswith("here_")}
    return _try_on_receipt(request, batch, partial(pipeline.read_as_same_people, names=chosen or None), batch)


@require_POST
@login_required
def retry(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Try a failed import again ("Try again now" on its receipt)."""
    batch = _owned_batch(request, batch_id)
    return _try_on_receipt(request, batch, pipeline.retry_commit, batch)


@require_POST
@login_required
def retry_import(request: HttpRequest, slug: str) -> HttpResponse:
    """Try the source's newest failed import again ("Try again now" on its card)."""
    connection = _owned(request, slug)
    failed = connection.batches.filter(status=Status.FAILED).order_by("-created_at", "-pk").first()
    if failed is None:
        messages.info(request, "Nothing to try again: no import of this source has failed.")
        return redirect("coverage:source", connection.slug)
    return retry(request, failed.pk)


@require_POST
@login_required
def answer(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The owner's answer to the preview's question (day/month order): the file is read again."""
    batch = _owned_batch(request, batch_id)
    if (batch.question or {}).get("kind") == "chat":  # which chat of a phone backup (pipeline.backup)
        chat = request.POST.get("chat", "")
        if chat in batch.question.get("choices", ()):
            answer_chat(batch, chat)
        else:
            messages.error(request, "Choose which chat this source is.")
        return redirect("coverage:receipt", batch.pk)
    date_order = request.POST.get("date_order", "")
    if date_order not in pipeline.DATE_ORDERS:
        messages.error(request, "Choose how dates are written in this file.")
        return redirect("coverage:receipt", batch.pk)
    return _try_on_receipt(request, batch, pipeline.answer_preview, batch, date_order)


@require_POST
@login_required
def cancel(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Abandon a preview: its staged records and stored file go; nothing was imported."""
    batch = _owned_batch(request, batch_id)
    connection = batch.connection
    if pipeline.discard_preview(batch, GonePreview.Reason.CANCELLED):
        messages.info(request, "Cancelled. Nothing was imported.")
    return redirect("coverage:source", connection.slug)


# ---------------------------------------------------------------- managing a source (pages that show its card)


def _back(request: HttpRequest, connection: Connection):
    """Where a state-changing form returns: its ``next`` when it is ours, else the source page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("coverage:source", connection.slug)


def _managed(request: HttpRequest, connection: Connection, message: str) -> HttpResponse:
    """After pause, resume or retry: the refreshed card for HTMX, else the message and the page before."""
    if request.htmx:
        context = {"health": load_one(connection), "busy_slugs": set()}
        return render(request, "coverage/dashboard.html#coverage-card", context)
    messages.info(request, message)
    return _back(request, connection)


@require_POST
@login_required
def pause(request: HttpRequest, slug: str) -> HttpResponse:
    connection = services.pause_connection(_owned(request, slug))
    return _managed(request, connection, f"Paused “{connection.name}”. Nothing is collected until you resume it.")


@require_POST
@login_required
def resume(request: HttpRequest, slug: str) -> HttpResponse:
    connection = services.resume_connection(_owned(request, slug))
    return _managed(request, connection, f"Resumed “{connection.name}”.")


@require_POST
@login_required
def retry_collect(request: HttpRequest, slug: str) -> HttpResponse:
    """"Collect now" (and a card's "Try again now"): the source is due now, or collected once when asked.

    A source the projection holds (access refused, paused, not connected) is not asked: the owner is told
    why in the projection's words and sent to the action that mends it (Reconnect: the source's #connect).
    """
    connection = _owned(request, slug)
    held = collect_held(load_one(connection))
    if held is not None:
        if request.htmx:
            return _managed(request, connection, "")  # the card says why, with its button
        messages.error(request, held.nothing_collected(connection.name))
        return redirect(held.action.url) if held.action.method == "GET" else _back(request, connection)
    if connection.schedule_policy == Connection.Policy.INTERVAL:
        # Due now: the scheduler picks it up on its next pass.
        connection.next_due_at = timezone.now()
        connection.save(update_fields=["next_due_at"])
    elif not connection.is_paused and connection.feed_url:
        tasks.collect_now.enqueue(connection.pk)  # collected only when asked: this is the asking
    return _managed(request, connection, f"Ownerhub will collect “{connection.name}” again in a moment.")


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def remove(request: HttpRequest, slug: str) -> HttpResponse:
    connection = _owned(request, slug)
    if request.method == "POST":
        name = connection.name
        pipeline.remove_connection(connection)
        messages.success(request, f"Removed “{name}” with its imported data. Your other sources were not changed.")
        return redirect("coverage:dashboard")
    health = load_one(connection)
    pushes = connection.manifest.path("device_sync") is not None  # a phone app keeps sending until it is told
    return render(request, "connections/remove.html", {"connection": connection, "health": health, "pushes": pushes})
