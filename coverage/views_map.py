"""A source's places on a map, for a range of the owner's days: ``/sources/<slug>/map/?from=&to=``.

Only connectors that declare a stream of places (a ``points`` view) have one. At most
``MAP_POINTS`` points are drawn: a longer range is thinned evenly and the page says so.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from . import maps, words
from .days import day_bounds
from .models import Record
from .views import _owned

MAP_POINTS = 5_000
DEFAULT_DAYS = 7
LONGEST = 366  # days a map may span


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@require_safe
@login_required
def source_map(request: HttpRequest, slug: str) -> HttpResponse:
    connection = _owned(request, slug)
    streams = maps.place_streams(connection.manifest)
    if not streams:
        raise Http404("This source holds no places")
    tz = timezone.get_current_timezone()
    records = Record.objects.visible().filter(connection=connection, stream__in=streams)
    last = _date(request.GET.get("to"))
    if last is None:
        latest = records.aggregate(latest=Max("event_at"))["latest"]
        last = words.local_date(latest, tz) if latest else timezone.localdate()
    first = _date(request.GET.get("from")) or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        first, last = last, first
    first = max(first, last - timedelta(days=LONGEST - 1))
    start, _ = day_bounds(first, tz)
    _, end = day_bounds(last, tz)
    chosen = records.filter(event_at__gte=start, event_at__lt=end)
    total = chosen.count()
    step = -(-total // MAP_POINTS) if total else 1
    places = []
    rows = chosen.order_by("event_at", "stream", "key").values_list("event_at", "payload")
    for i, (at, payload) in enumerate(rows.iterator(chunk_size=2_000)):
        if i % step:
            continue
        payload = payload if isinstance(payload, dict) else {}
        label = payload.get("name") or ("A visit" if payload.get("kind") == "visit" else "")
        place = maps.point(payload.get("lat"), payload.get("lon"), words.day_and_time(at, tz), str(label))
        if place is not None:
            places.append(place)
    span = words.day(first) if first == last else f"{words.day(first)} to {words.day(last)}"
    noun = connection.manifest.record_noun
    context = {
        "connection": connection,
        "manifest": connection.manifest,
        "first": first.isoformat(),
        "last": last.isoformat(),
        "span": span,
        "total_text": words.count(total, noun),
        "thinned": step > 1,
        "shown_text": words.count(len(places), noun),
        "map": maps.config(places, title=f"Map of {words.count(len(places), noun)}, {span}") if places else None,
        "empty_text": f"No {noun[1]} from {span}.",
    }
    return render(request, "coverage/map.html", context)
