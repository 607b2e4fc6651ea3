"""Not found, unless it is a preview that went: its old address says what became of it.

A preview goes without being imported when the same file is uploaded again (the newer preview waits
instead), when another preview of the file is imported (two tabs), when the owner cancels it, or when
it waits past the preview's time to live (``pipeline.sweep``). ``GonePreview`` keeps its id for a
while; a page or form of the old preview (the receipt, its polling, its Import button) then leads to
the batch that took its place with a sentence saying why, or says the preview is gone and that
nothing was imported from it. Any other address not found is the plain not-found page.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from .gone import LEADS_ON, gone_preview, gone_sentence, lead_to_newer
from .models import GonePreview


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The project's 404 (``handler404``): a gone preview's address leads on; anything else is not found."""
    gone = _gone_preview(request)
    if gone is None:
        return render(request, "404.html", status=404)
    if gone.newer is not None and gone.reason in LEADS_ON:
        messages.info(request, lead_to_newer(gone))
        target = reverse("coverage:receipt", args=[gone.newer_id])
        if getattr(request, "htmx", False):  # a polling receipt: the whole page goes to the newer one
            return HttpResponse(status=200, headers={"HX-Redirect": target})
        return redirect(target)
    said = gone_sentence(gone, timezone.get_current_timezone(), timezone.now())
    return render(request, "coverage/gone_preview.html", {"gone": gone, "said": said}, status=410)


def _gone_preview(request: HttpRequest) -> GonePreview | None:
    """The owner's gone preview this address named (a receipt's page or form), else ``None``."""
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    if match is None or match.namespace != "coverage" or "batch_id" not in match.kwargs:
        return None
    if user is None or not user.is_authenticated:
        return None
    return gone_preview(user, match.kwargs["batch_id"])
