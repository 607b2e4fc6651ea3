"""An export.zip: the main XML found by its root element, and workout routes by their path."""

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
