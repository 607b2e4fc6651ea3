"""Reading documents: each source by its format's reader, then damage in the owner's words."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC

from ..base import ArtifactRejected, BatchFacts, ParsedRecord, ParseOptions
from . import stream
from .common import ANDROID, IOS, RECORDS, SEMANTIC, _consume, _Ctx, _Damage, _Hostile
from .guard import _READ_ERRORS
from .ondevice import _read_android, _segment_element
from .prefer import best_first
from .records import _consume_records
from .semantic import _semantic_element

_HANDLERS = {SEMANTIC: _semantic_element, IOS: _segment_element}


# Wraps the records of one source (a Takeout zip measures Records.json against Semantic months).
Wrap = Callable[[stream._Source, Iterator[ParsedRecord]], Iterator[ParsedRecord]]


def _read_source(
    source: stream._Source,
    facts: BatchFacts,
    options: ParseOptions,
    damages: list[_Damage],
    untimed: list[int],
) -> Iterator[ParsedRecord]:
    """Yield the records of one JSON document; damage (truncation) is appended to ``damages``,
    the count of waypoints without a time added to ``untimed[0]``."""
    naive_tz = UTC if source.fmt in (RECORDS, SEMANTIC) else options.time_zone
    ctx = _Ctx(facts, source.entry, naive_tz)
    # One generator per document, no wrapper around it: this runs for every point.
    if source.fmt == ANDROID:
        yield from best_first(_read_android(source, ctx, damages))  # a visit's record before a trip's end
    else:
        batches = stream._array_batches(source.open, stream._ARRAY_DOCS[source.fmt])
        if source.fmt == RECORDS:
            records = _consume_records(batches, ctx)
        else:
            records = best_first(_consume(batches, _HANDLERS[source.fmt], ctx))
        try:
            yield from records
        except _READ_ERRORS as exc:
            damages.append(_Damage(source.entry, None, ctx.read, exc))
    untimed[0] += ctx.untimed
    if ctx.naive_seen and facts.time_zone_assumed is None:
        facts.time_zone_assumed = getattr(naive_tz, "key", None) or str(naive_tz)
        facts.warn(
            "time_zone_assumed",
            f"Some times had no time zone; they were read as {facts.time_zone_assumed}.",
        )


def _damage_position(damage: _Damage) -> str:
    where = (
        f"element {damage.read}"
        if damage.array is None
        else f"{damage.array} element {damage.read}"
    )
    return where if damage.entry is None else f"entry {damage.entry}, {where}"


def _report_damage(damage: _Damage, facts: BatchFacts) -> None:
    what = "points" if damage.array is None else f"{damage.array} entries"
    where = "The file" if damage.entry is None else f"Entry {damage.entry}"
    message = str(damage.error)
    if "trailing garbage" in message:
        facts.warn(
            "trailing_data",
            f"{where} has extra bytes after its end; they were ignored.",
            _damage_position(damage),
        )
        return
    facts.partial = True
    if "premature EOF" in message:
        facts.warn(
            "truncated",
            f"{where} ends early; {what} after element {damage.read} were not read.",
            _damage_position(damage),
        )
    else:
        facts.warn(
            "damaged",
            f"{where} is damaged after element {damage.read}; the rest was not read.",
            _damage_position(damage),
        )


def _read_all(
    sources: list[stream._Source], facts: BatchFacts, options: ParseOptions, wrap: Wrap | None = None
) -> Iterator[ParsedRecord]:
    """Read every source; reject as malformed only while nothing has been yielded."""
    damages: list[_Damage] = []
    untimed = [0]
    yielded = False
    for source in sources:
        records = _read_source(source, facts, options, damages, untimed)
        if wrap is not None:
            records = wrap(source, records)
        if not yielded:
            for record in records:
                yielded = True
                yield record
                break
        yield from records  # after the first record, without a Python frame per record
    if damages and not yielded and not all("trailing garbage" in str(d.error) for d in damages):
        first = next(d for d in damages if "trailing garbage" not in str(d.error))
        if isinstance(first.error, _Hostile):
            detail = f"The file is not a Timeline export: it contains {first.error}."
        elif "premature EOF" in str(first.error):
            detail = (
                "The file ends before its first place: it was cut off while downloading or copying."
            )
        else:
            detail = "The file is damaged: it is not valid JSON."
        if first.entry is not None:
            detail = f"{detail} (entry {first.entry})"
        raise ArtifactRejected("malformed", detail)
    for damage in damages:
        _report_damage(damage, facts)
    if untimed[0]:
        n = untimed[0]
        facts.warn(
            "untimed_waypoints",
            f"{n:,} waypoint{'s' if n != 1 else ''} of trips {'have' if n != 1 else 'has'} no time, "
            f"so {'they' if n != 1 else 'it'} cannot show when you were there.",
        )
