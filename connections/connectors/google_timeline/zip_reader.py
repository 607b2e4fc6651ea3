"""A Takeout zip: each ``.json`` member classified by content, then read in a planned order.

Records.json and Semantic Location History months may describe the same time, or not
(an old Takeout holds Records.json from 2015 next to months of 2021). The overlap is
measured, never assumed: Records.json is read first and the UTC days it has points on are
noted (one small integer per day, so memory stays flat); a Semantic record on such a day is
left out (counted as skipped, with one sentence saying why), and every other Semantic record
is imported. Keys do the rest: a Semantic point that is the very fix Records.json holds has
the same key and is counted as a repeat by the pipeline.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from typing import IO

from ..base import (
    Artifact,
    ArtifactRejected,
    BatchFacts,
    ParsedRecord,
    ParseOptions,
    open_zip,
    safe_member_names,
)
from .common import ANDROID, IOS, RECORDS, SEMANTIC, _Unreadable
from .detect import _classify
from .reader import _read_all
from .stream import _Source

# Takeout siblings of Records.json that hold no points.
_IGNORED_MEMBERS = frozenset({"settings.json", "timeline edits.json"})


def _member_opener(zf: zipfile.ZipFile, name: str) -> Callable[[], IO[bytes]]:
    return lambda: zf.open(name)


def _parse_zip(
    artifact: Artifact, facts: BatchFacts, options: ParseOptions
) -> Iterator[ParsedRecord]:
    zf = open_zip(artifact.path)
    try:
        found, unreadable = _members_by_format(zf)
        if not any(found.values()):
            _reject_empty_zip(unreadable)
        plan = _plan(found, facts)
        for name in unreadable:
            facts.warn(
                "unreadable_entry", "This JSON file in the zip could not be read.", f"entry {name}"
            )
        sources = [_Source(kind, _member_opener(zf, name), name) for kind, name in plan]
        overlap = _Overlap() if found[RECORDS] and found[SEMANTIC] else None
        yield from _read_all(sources, facts, options, overlap.wrap if overlap else None)
        if overlap is not None:
            overlap.report(facts)
    finally:
        zf.close()


class _Overlap:
    """The days Records.json covers, and the Semantic records left out because they fall on one."""

    def __init__(self) -> None:
        self.days: set[int] = set()
        self.left_out = 0

    def wrap(self, source: _Source, records: Iterator[ParsedRecord]) -> Iterator[ParsedRecord]:
        if source.fmt == RECORDS:
            return self._note(records)
        if source.fmt == SEMANTIC:
            return self._filter(records)
        return records

    def _note(self, records: Iterator[ParsedRecord]) -> Iterator[ParsedRecord]:
        add = self.days.add
        for record in records:
            add(record.event_at.toordinal())
            yield record

    def _filter(self, records: Iterator[ParsedRecord]) -> Iterator[ParsedRecord]:
        days = self.days
        for record in records:
            if record.event_at.toordinal() in days:
                self.left_out += 1
                continue
            yield record

    def report(self, facts: BatchFacts) -> None:
        n = self.left_out
        if not n:
            return
        facts.skipped += n
        facts.warn(
            "semantic_overlap",
            f"{n:,} place{'s' if n != 1 else ''} from Semantic Location History "
            f"{'were' if n != 1 else 'was'} left out: Records.json already has points on the "
            "same days, and importing both would count those days twice.",
        )


def _members_by_format(zf: zipfile.ZipFile) -> tuple[dict[str, list[str]], list[str]]:
    """The ``.json`` members of each format, in name order, and those that could not be read."""
    found: dict[str, list[str]] = {RECORDS: [], SEMANTIC: [], ANDROID: [], IOS: []}
    unreadable: list[str] = []
    for name in sorted(safe_member_names(zf)):
        base = name.rsplit("/", 1)[-1].lower()
        if not base.endswith(".json") or base in _IGNORED_MEMBERS:
            continue
        try:
            fmt = _classify(_member_opener(zf, name))
        except _Unreadable:
            unreadable.append(name)
            continue
        if fmt in found:
            found[fmt].append(name)
    return found, unreadable


def _reject_empty_zip(unreadable: list[str]) -> None:
    if unreadable:
        raise ArtifactRejected(
            "malformed",
            f"The zip's file {unreadable[0]} is damaged, and no other file holds places.",
        )
    raise ArtifactRejected(
        "wrong_source",
        "This zip holds no Google location history (Records.json, Semantic Location "
        "History or a Timeline export).",
    )


def _plan(found: dict[str, list[str]], facts: BatchFacts) -> list[tuple[str, str]]:
    """(format, member) in reading order (Records.json first: see the module doc); sets the
    source format."""
    plan: list[tuple[str, str]] = [(RECORDS, name) for name in found[RECORDS]]
    plan += [(SEMANTIC, name) for name in found[SEMANTIC]]
    plan += [(ANDROID, name) for name in found[ANDROID]]
    plan += [(IOS, name) for name in found[IOS]]
    fmt = next((f for f in (RECORDS, SEMANTIC, ANDROID) if found[f]), IOS)
    facts.source_format = f"{fmt}_zip"
    return plan
