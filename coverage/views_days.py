"""A source's day: the records the owner holds whose time falls within one of the owner's days.

``/sources/<slug>/days/<YYYY-MM-DD>/``, in the owner's zone (active on owner pages through
``ownerhub.owner_zone``). Each stream is shown as its connector's manifest declares
(``Manifest.views``: a kind of view and the payload fields it shows), one template per kind,
never by the source's id. Each record says which imports or pushes delivered it; provenance is
loaded for the whole page in two queries, whatever the number of records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo

from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from connections.connectors.manifest import METHOD_LABELS, StreamView
from ownerhub.paging import page_number

from . import maps, words
from .days import day_bounds
from .models import AcquisitionBatch, Record, RecordProvenance
from .receipt_words import stream_label
from .views import _owned

PAGE = 500  # records a page
FALLBACK = StreamView("table")  # a stream its manifest does not declare: a plain table of its payload

# Deliveries without a file, named by how they came (owner words).
_ARRIVED = {
    "device_sync": "the phone",
    "provider_api": "the feed",
    "device_backup": "a backup",
    "browser_polyfill": "the browser",
}


@dataclass
class Item:
    """One record as the day page shows it."""

    time: str
    fields: dict
    media: str  # "attached", "missing", "omitted" or ""
    provenance: str
    group: str = ""


@dataclass
class Section:
    stream: str
    view: StreamView
    template: str
    items: list[Item] = field(default_factory=list)
    points: list[dict] = field(default_factory=list)  # a "points" view's places, to draw on a map

    @property
    def label(self) -> str:
        """The stream in owner words ("Activity summaries")."""
        return stream_label(self.stream)

    @property
    def groups(self) -> list[tuple[str, list[Item]]]:
        """Items by ``view.group_by`` (a table by type), groups in name order, items in time order."""
        out: dict[str, list[Item]] = {}
        for item in self.items:
            out.setdefault(item.group, []).append(item)
        return sorted(out.items())

    @property
    def devices(self) -> bool:
        """Whether any row names the phone it came from (a points table then has a Device column)."""
        return any(item.fields.get("device") for item in self.items)

    @property
    def labels(self) -> tuple[str, ...]:
        """The declared fields as column heads: 'media_name' -> 'Media name'."""
        return self.view.labels or tuple(name.replace("_", " ").capitalize() for name in self.view.fields)


def _delivery(batch: AcquisitionBatch, tz: tzinfo) -> str:
    if batch.artifact_filename:
        return f"the import of {words.import_name(batch.created_at, batch.artifact_filename, tz)}"
    return _ARRIVED.get(batch.method, f"the {METHOD_LABELS.get(batch.method, batch.method).lower()}")


def provenance(records: list[Record], tz: tzinfo) -> dict[int, str]:
    """Record id -> 'from the phone and from the import of 12 Mar 2023 · WhatsApp Chat.txt'.

    Two queries for any number of records: later deliveries, then every delivering batch.
    """
    later: dict[int, list[int]] = {}
    rows = RecordProvenance.objects.filter(record_id__in=[r.pk for r in records]).order_by("batch_id")
    for record_id, batch_id in rows.values_list("record_id", "batch_id"):
        later.setdefault(record_id, []).append(batch_id)
    ids = {r.first_batch_id for r in records} | {b for bs in later.values() for b in bs}
    batches = AcquisitionBatch.objects.filter(pk__in=ids).only("method", "artifact_filename", "created_at")
    names = {b.pk: _delivery(b, tz) for b in batches}
    out = {}
    for record in records:
        said = list(dict.fromkeys(names[b] for b in [record.first_batch_id, *later.get(record.pk, [])] if b in names))
        out[record.pk] = "from " + " and from ".join(said) if said else ""
    return out


def _group(view: StreamView, payload: dict) -> str:
    """The heading of the group a record's row is in (a table by type), in owner words."""
    if not view.group_by:
        return ""
    value = str(payload.get(view.group_by, ""))
    return view.group_words(value) if view.group_words and value else value


def _words(view: StreamView, name: str, payload: dict):
    """A field's value as the row shows it: a text value in the words the manifest gives it."""
    value = payload.get(name)
    said = view.field_words.get(name)
    return said(value, payload) if said and isinstance(value, str) else value


def _time(view: StreamView, record: Record, payload: dict, tz: tzinfo) -> str:
    """When a row happened: '07:30', '22:10 to 06:05 the next day' for a record that lasts, 'All day'."""
    if not view.timed:
        return "All day"
    end = words.instant(payload.get(view.until)) if view.until else None
    if end is None or end <= record.event_at:
        return words.time_of_day(record.event_at, tz)
    return words.clock_span(record.event_at, end, tz)


def _sections(connection, records: list[Record], tz: tzinfo) -> list[Section]:
    manifest = connection.manifest
    said = provenance(records, tz)
    sections: dict[str, Section] = {}
    for record in records:
        section = sections.get(record.stream)
        if section is None:
            view = manifest.views.get(record.stream, FALLBACK)
            section = sections[record.stream] = Section(record.stream, view, f"coverage/day_{view.kind}.html")
        payload = record.payload if isinstance(record.payload, dict) else {}
        shown = section.view.fields or tuple(k for k in payload if k != section.view.group_by)
        time = _time(section.view, record, payload, tz)
        if section.view.kind == "points":
            label = payload.get("name") or ("A visit" if payload.get("kind") == "visit" else "")
            place = maps.point(payload.get("lat"), payload.get("lon"), time, str(label))
            if place is not None:
                section.points.append(place)
        section.items.append(
            Item(
                time=time,
                fields={name: _words(section.view, name, payload) for name in shown},
                media=record.media,
                provenance=said.get(record.pk, ""),
                group=_group(section.view, payload),
            )
        )
    order = {stream: i for i, stream in enumerate(manifest.streams)}
    return sorted(sections.values(), key=lambda s: (order.get(s.stream, 99), s.stream))


@require_safe
@login_required
def day(request: HttpRequest, slug: str, day: str) -> HttpResponse:
    connection = _owned(request, slug)
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise Http404("No such day") from None
    tz = timezone.get_current_timezone()
    start, end = day_bounds(when, tz)
    page = page_number(request)
    rows = list(
        Record.objects.visible()
        .filter(connection=connection, event_at__gte=start, event_at__lt=end)
        # A chat's messages of one minute (Android writes no seconds) in the export's order (``seq``).
        .order_by("event_at", F("payload__seq").asc(nulls_first=True), "id")
        .only("stream", "event_at", "payload", "media", "first_batch_id")[(page - 1) * PAGE : page * PAGE + 1]
    )
    more, rows = len(rows) > PAGE, rows[:PAGE]
    noun = connection.manifest.record_noun

    def day_url(d: date) -> str:
        return reverse("coverage:day", args=[connection.slug, d.isoformat()])

    here = day_url(when)
    sections = _sections(connection, rows, tz)
    places = [place for section in sections for place in section.points]
    context = {
        "day_map": maps.config(places, title=f"Map of {words.count(len(places), connection.manifest.record_noun)}")
        if places
        else None,
        "has_map": maps.has_map(connection.manifest),
        "connection": connection,
        "manifest": connection.manifest,
        "day_text": words.day(when),
        "zone": words.zone_name(tz),
        "sections": sections,
        "shown": words.count(len(rows), noun),
        "first": (page - 1) * PAGE + 1,
        "last": (page - 1) * PAGE + len(rows),
        "previous_day": day_url(when - timedelta(days=1)),
        "next_day": day_url(when + timedelta(days=1)),
        "previous_day_text": words.day(when - timedelta(days=1)),
        "next_day_text": words.day(when + timedelta(days=1)),
        "next_page": f"{here}?page={page + 1}" if more else "",
        "previous_page": (f"{here}?page={page - 1}" if page > 2 else here) if page > 1 else "",
        "paged": more or page > 1,
        "empty_text": f"No {noun[1]} on {words.day(when)}.",
    }
    if request.headers.get("HX-Request") == "true":
        return render(request, "coverage/day.html#day-records", context)
    return render(request, "coverage/day.html", context)
