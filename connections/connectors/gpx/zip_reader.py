"""A zip of GPX files (a Strava archive, the Health app's export.zip): every member checked first."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

from ..base import ArtifactRejected, BatchFacts, ParsedRecord, open_zip, safe_member_names
from ..safe_xml import root_element
from .document import (
    CHUNK_SIZE,
    DTD_DETAIL,
    HOSTILE,
    NAMESPACES,
    READ_ERRORS,
    XML_ERRORS,
    Document,
    NotGpx,
    Tally,
    new_parser,
)

SOURCE_ZIP = "gpx_zip"
SNIFF_LIMIT = 1 << 20  # bytes of a zip member read while looking for its root element
# Activities in a zip (a Strava archive) that are in another format.
_OTHER_ACTIVITIES = (".fit", ".fit.gz", ".tcx", ".tcx.gz")


def parse_zip(path: Path, facts: BatchFacts, tally: Tally) -> Iterator[ParsedRecord]:
    zf = open_zip(path)
    with zf:
        names = safe_member_names(zf)
        members = sorted(name for name in names if name.lower().endswith(".gpx"))
        if not members:
            raise ArtifactRejected("wrong_source", "This zip holds no GPX files.")
        readable = _check_members(zf, members, facts)  # every member, before the first point
        facts.source_format = SOURCE_ZIP
        others = sum(1 for name in names if name.lower().endswith(_OTHER_ACTIVITIES))
        if others:
            facts.warn(
                "other_format",
                "1 activity in the zip is not a GPX file (FIT or TCX), so it was not read."
                if others == 1
                else f"{others} activities in the zip are not GPX files (FIT or TCX), so they were not read.",
            )
        for name in readable:
            try:
                raw = zf.open(name)
            except (*READ_ERRORS, ValueError):
                _unreadable(facts, name)
                continue
            with raw:
                try:
                    yield from Document(facts, tally, name).read(raw)
                except (*HOSTILE, NotGpx):
                    _unreadable(facts, name)


def _check_members(zf: zipfile.ZipFile, members: list[str], facts: BatchFacts) -> list[str]:
    """The members whose root is ``<gpx>``; a member that declares a DTD refuses the whole zip."""
    readable = []
    for name in members:
        root = _member_root(zf, name)
        if root == "!hostile":
            raise ArtifactRejected("unsupported", f"The zip's file {name} {DTD_DETAIL}")
        if root is not None and root.rpartition(" ")[::2] in {(ns, "gpx") for ns in NAMESPACES}:
            readable.append(name)
        else:
            _unreadable(facts, name)
    return readable


def _unreadable(facts: BatchFacts, name: str) -> None:
    facts.warn("unreadable_entry", "This file in the zip is not a GPX file that could be read.", f"entry {name}")


def _member_root(zf: zipfile.ZipFile, name: str) -> str | None:
    """The root element of a member (``"ns local"``), ``"!hostile"`` for a DTD, None when unreadable."""
    try:
        with zf.open(name) as raw:
            return root_element(new_parser(), iter(lambda: raw.read(CHUNK_SIZE), b""), SNIFF_LIMIT)
    except HOSTILE:
        return "!hostile"
    except (NotGpx, *READ_ERRORS, *XML_ERRORS):
        return None
