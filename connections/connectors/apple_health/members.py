"""An export.zip: the main XML found by its root element, workout routes by their path, and what else it holds."""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Callable

from defusedxml.common import EntitiesForbidden, ExternalReferenceForbidden

from ..base import ArtifactRejected
from ..safe_xml import XML_ERRORS, root_element
from ..safe_zip import READ_ERRORS
from .safe_xml import _ENTITIES_DETAIL, _NOT_HEALTH, ROOT, _filtered_chunks, _new_parser

SNIFF_LIMIT = 4 << 20  # bytes read from a zip member while looking for its root element
MAX_SNIFFED_MEMBERS = 50


def _find_main_member(zf: zipfile.ZipFile, names: list[str]) -> str:
    """The member whose root element is ``HealthData`` (by content, not by name)."""
    candidates = [n for n in names if n.lower().endswith(".xml")]
    # export.xml first, then shallow paths, then larger files; routes and CDA last.
    sizes = {info.filename: info.file_size for info in zf.infolist()}

    def rank(name: str) -> tuple:
        base = name.rsplit("/", 1)[-1].lower()
        return (
            base != "export.xml",
            base == "export_cda.xml" or "/workout-routes/" in f"/{name.lower()}",
            name.count("/"),
            -sizes.get(name, 0),
            name,
        )

    candidates.sort(key=rank)
    seen = set()
    for name in candidates[:MAX_SNIFFED_MEMBERS]:
        root = _member_root(zf, name)
        if root == ROOT:
            return name
        seen.add(root)
    if "!entities" in seen:
        raise ArtifactRejected("unsupported", _ENTITIES_DETAIL)
    if "!unreadable" in seen:
        raise ArtifactRejected("malformed", "The zip is damaged: its XML files cannot be unpacked.")
    raise ArtifactRejected("wrong_source", _NOT_HEALTH)


# What else an export.zip holds, which Ownerhub does not read: (a member's file name, or a folder it is in; the
# words for one and for several; why). FORMATS.md §3: the Health app writes these beside export.xml.
NOT_READ: tuple[tuple[str, tuple[str, str], str], ...] = (
    ("export_cda.xml", ("export_cda.xml", "export_cda.xml"), " (the same records in another format)"),
    ("electrocardiograms/", ("electrocardiogram file", "electrocardiogram files"), ""),
    ("clinical-records/", ("clinical record file", "clinical record files"), ""),
)
NOT_READ_KIND = "not_read"  # the warning that names them: a note on the receipt


def _not_read_as(name: str) -> int | None:
    """Which row of ``NOT_READ`` a member is, if any."""
    *folders, base = name.lower().split("/")
    return next((i for i, (what, _, _) in enumerate(NOT_READ)
                 if base == what or what.rstrip("/") in folders and what.endswith("/")), None)


def unread_members(names: list[str]) -> str:
    """One sentence naming what of the zip is not read ("export_cda.xml (the same records in another format)
    and 12 electrocardiogram files are not read."), or "" when it holds nothing of the kinds ``NOT_READ`` lists."""
    counts = [0] * len(NOT_READ)
    for name in names:
        if (row := _not_read_as(name)) is not None and not name.endswith("/"):
            counts[row] += 1
    parts = [(one if what == one else f"{n:,} {one if n == 1 else many}") + why
             for (what, (one, many), why), n in zip(NOT_READ, counts, strict=True) if n]
    if not parts:
        return ""
    said = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{said} {'are' if len(parts) > 1 or sum(counts) > 1 else 'is'} not read."


def _member_root(zf: zipfile.ZipFile, name: str) -> str | None:
    """The root element name of an XML member.

    ``"!entities"`` when it declares entities, ``"!unreadable"`` when the zip
    cannot unpack it, None when it is not XML.
    """
    try:
        with zf.open(name) as raw:
            return root_element(_new_parser(), _filtered_chunks(raw), SNIFF_LIMIT)
    except (EntitiesForbidden, ExternalReferenceForbidden):
        return "!entities"
    except READ_ERRORS:
        return "!unreadable"
    except XML_ERRORS:
        return None


def _route_resolver(main: str, names: list[str]) -> Callable[[str], str | None]:
    """Maps a FileReference path (``/workout-routes/x.gpx``) to the zip member, if present."""
    base = main.rpartition("/")[0]
    members = set(names)
    by_basename: dict[str, str] = {}
    for name in names:
        if "workout-routes/" in name:
            by_basename.setdefault(name.rsplit("/", 1)[-1], name)

    def resolve(ref: str) -> str | None:
        rel = ref.strip().lstrip("/")
        if not rel or ".." in rel.split("/") or "\\" in rel:
            return None
        candidate = posixpath.join(base, rel) if base else rel
        if candidate in members:
            return candidate
        return by_basename.get(rel.rsplit("/", 1)[-1])

    return resolve
