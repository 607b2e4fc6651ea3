"""What a file is, when the source it was uploaded to refuses it: cheap content checks.

``hint_for(path, refused_by)`` names the kind of file and the source that takes it
("This is a Google Timeline export: add a Google Maps Timeline source to import it."), or
None when the file is none of the kinds below. Each check is the connector's own detection,
run on the first bytes or the first members, never a full parse:

- Apple Health: an XML document (or zip member) whose root element is ``HealthData``
  (``apple_health.members``), found before GPX because an export.zip also holds GPX routes;
- Google location history: JSON whose first keys are a Timeline format (``google_timeline.detect``);
- WhatsApp: text whose first lines are dated chat lines (``whatsapp.scan``), or a zip with one;
- GPX: an XML document (or zip member) whose root element is ``gpx``.

Zips are opened with the same guards as every parser (``base.open_zip``); XML is read with
defusedxml's settings (``apple_health.safe_xml``), a few MB at most.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .apple_health.members import _find_main_member
from .apple_health.safe_xml import ROOT as HEALTH_ROOT
from .apple_health.safe_xml import _filtered_chunks, _new_parser
from .base import ArtifactRejected, is_zip, open_zip, safe_member_names, sniff
from .google_timeline.common import _Unreadable
from .google_timeline.detect import _classify
from .safe_xml import HOSTILE, XML_ERRORS, root_element
from .safe_zip import READ_ERRORS
from .whatsapp.scan import _scan

# connector id -> (what the file is, the source that takes it), in owner words
KINDS: dict[str, tuple[str, str]] = {
    "apple_health": ("an Apple Health export", "an Apple Health source"),
    "google_timeline": ("a Google Timeline export", "a Google Maps Timeline source"),
    "whatsapp": ("a WhatsApp chat export", "a WhatsApp source"),
    "gpx": ("a GPX track", "a GPS tracks source"),
}
XML_SNIFF_LIMIT = 4 << 20  # bytes of XML read while looking for the root element
MAX_MEMBERS = 20  # members of each kind looked into, at most


@dataclass(frozen=True)
class Hint:
    """What the file is and the source that takes it."""

    connector: str  # the connector id that takes the file
    what: str  # "a Google Timeline export"
    source: str  # "a Google Maps Timeline source"

    @property
    def sentence(self) -> str:
        return f"This is {self.what}: add {self.source} to import it."

    @property
    def label(self) -> str:
        return f"Add {self.source}"


def hint_for(path: Path, refused_by: str) -> Hint | None:
    """The hint for a file the connector ``refused_by`` would not take, or None."""
    kind = identify(path)
    if kind is None or kind == refused_by:
        return None
    what, source = KINDS[kind]
    return Hint(kind, what, source)


def identify(path: Path) -> str | None:
    """The connector whose own detection recognises the file, or None."""
    try:
        head = sniff(path)
    except OSError:
        return None
    if not head:
        return None
    if is_zip(head):
        try:
            zf = open_zip(path)
        except ArtifactRejected:
            return None
        with zf:
            return _identify_zip(zf)
    return _identify_file(path, head)


def _identify_file(path: Path, head: bytes) -> str | None:
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    opener = lambda: open(path, "rb")  # noqa: E731
    if start[:1] == b"<":
        return _by_root(_xml_root(opener))
    if start[:1] in (b"{", b"["):
        return "google_timeline" if _is_timeline(opener) else None
    return "whatsapp" if _is_chat(opener) else None


def _identify_zip(zf: zipfile.ZipFile) -> str | None:
    names = safe_member_names(zf)
    try:
        _find_main_member(zf, names)
        return "apple_health"
    except ArtifactRejected:
        pass
    lower = [(name.lower(), name) for name in names]
    jsons = [name for low, name in lower if low.endswith(".json")][:MAX_MEMBERS]
    if any(_is_timeline(_member(zf, name)) for name in jsons):
        return "google_timeline"
    texts = [name for low, name in lower if low.endswith(".txt")][:MAX_MEMBERS]
    if any(_is_chat(_member(zf, name)) for name in texts):
        return "whatsapp"
    tracks = [name for low, name in lower if low.endswith(".gpx")][:MAX_MEMBERS]
    if any(_by_root(_xml_root(_member(zf, name))) == "gpx" for name in tracks):
        return "gpx"
    return None


def _member(zf: zipfile.ZipFile, name: str) -> Callable[[], IO[bytes]]:
    return lambda: zf.open(name)


def _is_timeline(opener: Callable[[], IO[bytes]]) -> bool:
    try:
        fmt = _classify(opener)
    except (_Unreadable, ArtifactRejected, OSError, ValueError, zipfile.BadZipFile):
        return False
    return fmt not in (None, "empty_array")


def _is_chat(opener: Callable[[], IO[bytes]]) -> bool:
    try:
        with opener() as fh:
            return _scan(fh, full=False).platform is not None
    except Exception:  # noqa: BLE001 - any failure to read it as a chat means it is not one
        return False


def _xml_root(opener: Callable[[], IO[bytes]]) -> str | None:
    """The root element's name (prefix and namespace as written), or None."""
    try:
        with opener() as raw:
            return root_element(_new_parser(), _filtered_chunks(raw), XML_SNIFF_LIMIT)
    except (*HOSTILE, *XML_ERRORS, *READ_ERRORS):
        return None


def _by_root(root: str | None) -> str | None:
    if root is None:
        return None
    local = root.rpartition(":")[2]
    if local == HEALTH_ROOT:
        return "apple_health"
    if local == "gpx":
        return "gpx"
    return None
