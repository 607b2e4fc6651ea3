"""Reading XML defensively: expat with defusedxml's settings, control bytes dropped, and the
errors a damaged or hostile export raises (see the package doc)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO
from xml.parsers import expat

from ..safe_xml import XML_ERRORS as _XML_ERRORS
from ..safe_xml import new_parser
from ..safe_zip import READ_ERRORS as _READ_ERRORS

__all__ = ["_READ_ERRORS", "_XML_ERRORS", "ROOT", "CHUNK_SIZE", "_new_parser", "_filtered_chunks"]

ROOT = "HealthData"
CHUNK_SIZE = 1 << 20  # bytes fed to expat per step; records are yielded after each step

# Control bytes that XML 1.0 forbids and old exports sometimes contain (\x0b in
# device strings). Tab, LF and CR stay. None of these bytes can occur inside a
# multi-byte UTF-8 sequence, so dropping them chunk by chunk is safe.
_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in (0x09, 0x0A, 0x0D))

_ENTITIES_DETAIL = (
    "The file declares XML entities, which a Health app export never does; "
    "it was not read for safety."
)
_NOT_HEALTH = "This is not an Apple Health export (export.zip or export.xml from the Health app)."
_DAMAGED = "The Apple Health export is damaged and could not be read."


class _WrongRoot(Exception):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


# --------------------------------------------------------------------------- helpers


def _new_parser() -> expat.XMLParserType:
    """An expat parser with defusedxml's protections (DTD allowed, entities and external refs not)."""
    parser = new_parser()
    parser.specified_attributes = True  # attribute defaults from a DTD are not the owner's data
    return parser


def _filtered_chunks(raw: IO[bytes]) -> Iterator[bytes]:
    """Chunks of ``raw`` without the control bytes XML forbids (read errors propagate)."""
    read = raw.read
    while True:
        chunk = read(CHUNK_SIZE)
        if not chunk:
            return
        yield chunk.translate(None, _CONTROL_BYTES)
