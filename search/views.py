"""The search page: the owner's text records holding everything they typed, newest first.

Each result names its source, says when (in the owner's zone), shows the words around the
match with the match highlighted (escaped first, then marked), and links to its day.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.db import connection as db
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from coverage import words
from coverage.models import Record
from ownerhub.paging import page_number

from . import backends

PAGE = 20  # results a page
LONGEST_QUERY = 200


@dataclass
class Result:
    source: str
    when: str
    day_url: str
    snippet: SafeString


def highlighted(snippet: str) -> SafeString:
    """The snippet escaped, its matches in ``<mark>``; a stray marker never opens a tag."""
    out, open_mark = [], False
    for char in escape(snippet):
        if char == backends.MARK_START and not open_mark:
            out.append("<mark>")
            open_mark = True
        elif char == backends.MARK_END and open_mark:
            out.append("</mark>")
            open_mark = False
        elif char not in (backends.MARK_START, backends.MARK_END):
            out.append(char)
    if open_mark:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 - escaped above; only <mark> added


@require_safe
@login_required
def results(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:LONGEST_QUERY]
    page = page_number(request)
    found = backends.search(request.user.pk, query, offset=(page - 1) * PAGE, limit=PAGE, using=db.alias)
    tz = timezone.get_current_timezone()
    records = Record.objects.select_related("connection").only(
        "event_at", "connection__slug", "connection__name"
    ).in_bulk([hit.record_id for hit in found.hits])
    shown = []
    for hit in found.hits:
        record = records.get(hit.record_id)
        if record is None:
            continue
        local = words.local_date(record.event_at, tz)
        shown.append(
            Result(
                source=record.connection.name,
                when=words.day_and_time(record.event_at, tz),
                day_url=reverse("coverage:day", args=[record.connection.slug, local.isoformat()]),
                snippet=highlighted(hit.snippet),
            )
        )

    def page_url(n: int) -> str:
        return reverse("search:results") + "?" + urlencode({"q": query, **({"page": n} if n > 1 else {})})

    first = (page - 1) * PAGE + 1
    context = {
        "query": query,
        "results": shown,
        "asked": bool(backends.read(query)),
        "total_text": words.count(found.total, ("result", "results")),
        "first": first,
        "last": first + len(found.hits) - 1,
        "paged": found.total > PAGE,
        "previous_page": page_url(page - 1) if page > 1 else "",
        "next_page": page_url(page + 1) if page * PAGE < found.total else "",
        "zone": words.zone_name(tz),
    }
    return render(request, "search/results.html", context)
