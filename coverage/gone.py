"""A preview that went without being imported (``GonePreview``): finding it for an owner, and saying what became
of it, in the same words on the web page its old address leads to (``views_gone``) and in the API's answer
(``api_problems``: 410 ``preview_gone``)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from . import words
from .models import AcquisitionBatch, GonePreview
from .pipeline.sweep import preview_ttl

Reason = GonePreview.Reason


def gone_preview(owner, batch_id) -> GonePreview | None:
    """The owner's preview of that id that went, else ``None`` (another owner's is never found)."""
    return (GonePreview.objects.filter(batch_id=batch_id, connection__owner=owner)
            .select_related("connection", "newer").first())


def preview_name(gone: GonePreview, tz: tzinfo) -> str:
    """The upload as UI.md names it: '4 Dec 2026 · WhatsApp Chat with Ana.txt'."""
    return words.import_name(gone.uploaded_at, gone.filename, tz)


def when_gone(gone: GonePreview, tz: tzinfo, now: datetime) -> str:
    """'today at 21:05 NZDT', 'on 7 Dec 2026 at 21:00 NZDT'."""
    when = words.moment(gone.gone_at, tz, now)
    return when if when.split(" ", 1)[0] in words.NEAR_DAY_WORDS else f"on {when}"


def waited() -> str:
    """How long a preview waits before it is cleared: '24 hours'."""
    return words.count(int(preview_ttl().total_seconds() // 3600), ("hour", "hours"))


def gone_sentence(gone: GonePreview, tz: tzinfo, now: datetime) -> str:
    """What became of the preview, said whole."""
    name, when = preview_name(gone, tz), when_gone(gone, tz, now)
    if gone.reason == Reason.REPLACED:
        return (f"The preview of {name} gave way to a newer upload of the same file {when}; nothing was imported "
                "from it.")
    if gone.reason == Reason.LANDED:
        return f"The preview of {name} was not needed: the same file was imported from another preview {when}."
    if gone.reason == Reason.CANCELLED:
        return f"You cancelled the preview of {name} {when}. Nothing was imported from it."
    return (f"The preview of {name} waited {waited()} without being imported and was cleared {when}. Nothing was "
            "imported from it. Upload the file again to import it.")


LEADS_ON = (Reason.REPLACED, Reason.LANDED)  # gone for a batch that took its place: its page leads there


def lead_to_newer(gone: GonePreview) -> str:
    """What the owner is told on the page of the batch that took the gone preview's place (``gone.newer``)."""
    file = gone.filename or "This file"
    if gone.reason == Reason.LANDED:
        return f"{file} was imported from another preview of it (in another tab or window): this is that import."
    status = gone.newer.status if gone.newer is not None else ""
    lead = f"{file} was uploaded again, so its earlier preview gave way to this one"
    if status == AcquisitionBatch.Status.PREVIEW:
        return f"{lead}. Nothing has been imported from it yet."
    if status == AcquisitionBatch.Status.COMMITTING:
        return f"{lead}, which is being imported."
    if status == AcquisitionBatch.Status.COMMITTED:
        return f"{lead}, which is imported."
    return f"{lead}."
