"""Owner pages: read imports again with today's reader, or in the owner's new zone.

``reread`` (a source's outdated imports) and ``reread_zone`` (every source that writes no zone,
after the owner changed zone on the settings page): GET previews the difference, in owner words
(``coverage.reread_words``), with counts; POST reads them again and says what changed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from connections.models import Connection
from connections.zoneless import zoneless_words
from connections.zones import owner_zone

from . import words
from .models import AcquisitionBatch
from .pipeline.background import read_in_owner_zone
from .pipeline.reread import RereadRefused, commit_reread, preview_reread
from .pipeline.reread_total import combined_difference
from .pipeline.reread_which import imports_to_read_again, outdated_imports, zone_imports
from .reread_words import (
    GOING_ORDER,
    GOING_READER,
    difference_lines,
    import_heading,
    previewed,
    total,
    zone_question,
)
from .zone_previews import previews_in_other_zones

Status = AcquisitionBatch.Status


def _owned(request: HttpRequest, slug: str) -> Connection:
    return get_object_or_404(Connection.objects.for_owner(request.user), slug=slug)


def _previews(olds: list[AcquisitionBatch], zone: str | None = None, *, in_background: bool = False
              ) -> list[AcquisitionBatch]:
    return [preview_reread(old, zone=zone, in_background=in_background) for old in olds]


def _ready(batch: AcquisitionBatch) -> bool:
    return batch.status == Status.PREVIEW and batch.is_measured and not batch.question


def _rows(olds: list[AcquisitionBatch], previews: list[AcquisitionBatch], tz, why_going: str = GOING_READER) -> list[dict]:
    """One row per import: its name, and its difference in sentences (or why it cannot be read)."""
    rows = []
    for old, batch in zip(olds, previews, strict=True):
        ready = _ready(batch)
        if batch.is_reading:  # the worker reads a large file (``preview_reread(in_background=True)``)
            lines = [f"Reading it again… {words.count(batch.progress, old.connection.manifest.record_noun)} so far."
                     if batch.progress else "Reading it again…"]
        elif ready:
            lines = difference_lines(previewed(batch), old.connection.manifest.record_noun, done=False,
                                     why_going=why_going)
        elif batch.question:
            lines = [batch.question.get("text", "")]
        else:
            lines = [f"It cannot be read again: {batch.reject_detail}"]
        rows.append({"heading": import_heading(old, tz), "lines": lines, "ready": ready})
    return rows


def _commit(previews: list[AcquisitionBatch]) -> list[AcquisitionBatch]:
    done = []
    for batch in previews:
        if _ready(batch):
            try:
                done.append(commit_reread(batch))
            except RereadRefused:
                continue  # read again meanwhile (another tab): nothing left to do for it
    return done


def _said(done: list[AcquisitionBatch], noun: words.Noun, why_going: str = GOING_READER) -> str:
    imports = words.count(len(done), ("import", "imports"))
    return f"Read {imports} again. " + " ".join(difference_lines(total(done), noun, done=True, why_going=why_going))


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def reread(request: HttpRequest, slug: str) -> HttpResponse:
    """A source's imports read by an older reader, or in a day/month order a later file proved wrong: the
    difference reading them again makes, then do it."""
    connection = _owned(request, slug)
    source = Connection.objects.filter(pk=connection.pk)
    olds = imports_to_read_again(source)
    order_only = bool(olds) and not outdated_imports(source)  # only answers a later file proved wrong
    why = GOING_ORDER if order_only else GOING_READER
    noun = connection.manifest.record_noun
    previews = _previews(olds)
    if request.method == "POST":
        done = _commit(previews)
        if done:
            messages.success(request, _said(done, noun, why))
        else:
            messages.info(request, "Every import of this source is read by today's reader already.")
        return redirect("coverage:source", slug=connection.slug)
    ready = [b for b in previews if b.status == Status.PREVIEW and not b.question]
    context = {
        "connection": connection,
        "rows": _rows(olds, previews, owner_zone(request.user), why),
        "ready": len(ready),
        "ready_text": words.count(len(ready), ("import", "imports")),
        "summary": difference_lines(combined_difference(ready), noun, done=False, why_going=why) if ready else [],
        "order_only": order_only,
    }
    return render(request, "coverage/reread.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def reread_zone(request: HttpRequest) -> HttpResponse:
    """After a zone change: read the sources that write no zone again in the owner's new zone."""
    tz = owner_zone(request.user)
    zone = words.zone_name(tz)
    olds = zone_imports(request.user, zone)
    # A large export (a Health zip of millions of records) is read by the worker while this page counts it.
    previews = _previews(olds, zone, in_background=True)
    ready = [b for b in previews if _ready(b)]
    reading = [b for b in previews if b.is_reading]
    nouns = {old.connection.manifest.record_noun for old in olds} or {("record", "records")}
    noun = nouns.pop() if len(nouns) == 1 else ("record", "records")
    waiting = previews_in_other_zones(request.user, zone)  # uploads not imported yet: read again, not committed
    what, why = zoneless_words({b.connection.connector for b in [*olds, *waiting]})
    if request.method == "POST":
        if reading:
            messages.info(request, f"{words.count(len(reading), ('import is', 'imports are'))} still being read "
                          f"again in {zone}: nothing was changed yet.")
            return redirect("coverage:reread_zone")
        done = _commit(previews)
        if done:
            messages.success(request, _said(done, noun))
        for batch in waiting:
            read_in_owner_zone(batch)
        if waiting:
            messages.info(request, f"{words.count(len(waiting), ('preview', 'previews'))} waiting to be imported "
                          f"{'is' if len(waiting) == 1 else 'are'} read again in {zone}: check and import "
                          f"{'it' if len(waiting) == 1 else 'them'} from the source's page.")
        return redirect("connections:settings")
    together = combined_difference(ready)  # each record once, however many imports hold it
    context = {
        "zone": zone,
        "rows": _rows(olds, previews, tz),
        "ready": len(ready),
        "reading": len(reading),
        "question": zone_question(zone, together.moved, noun, what) if ready else "",
        "what": what,
        "why": why,
        "noun": noun[1],
        "summary": difference_lines(together, noun, done=False) if ready else [],
        "waiting": [{"heading": import_heading(b, tz), "read_in": b.time_zone_assumed, "batch_id": b.pk} for b in waiting],
    }
    return render(request, "coverage/reread_zone.html", context)
