"""A Takeout zip: each ``.json`` member classified by content, then read in a planned order."""

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
        yield from _read_all(sources, facts, options)
    finally:
        zf.close()


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
    """(format, member) in reading order; sets the source format and warns of skipped months.

    Records.json and Semantic months cover the same time: with Records.json present,
    the months are skipped so nothing is counted twice.
    """
    plan: list[tuple[str, str]] = []
    if found[RECORDS]:
        plan += [(RECORDS, name) for name in found[RECORDS]]
        if found[SEMANTIC]:
            count = len(found[SEMANTIC])
            facts.warn(
                "semantic_skipped",
                f"Skipped {count} Semantic Location History file{'s' if count != 1 else ''}: "
                "Records.json covers the same time, and importing both would double count it.",
            )
        fmt = RECORDS
    else:
        plan += [(SEMANTIC, name) for name in found[SEMANTIC]]
        fmt = SEMANTIC if found[SEMANTIC] else (ANDROID if found[ANDROID] else IOS)
    plan += [(ANDROID, name) for name in found[ANDROID]]
    plan += [(IOS, name) for name in found[IOS]]
    facts.source_format = f"{fmt}_zip"
    return plan
