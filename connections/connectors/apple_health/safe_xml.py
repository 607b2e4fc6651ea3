"""Reading XML defensively: expat with defusedxml's settings, control bytes dropped, and the
errors a damaged or hostile export raises (see the package doc)."""

from __future__ import annotations

import lzma
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO
from xml.parsers import expat

from defusedxml.common import EntitiesForbidden, ExternalReferenceForbidden

ROOT = "HealthData"
CHUNK_SIZE = 1 << 20  # bytes fed to expat per step; records are yielded after each step

# Control bytes that XML 1.0 forbids and old exports sometimes contain (\x0b in
# device strings). Tab, LF and CR stay. None of these bytes can occur inside a
# multi-byte UTF-8 sequence, so dropping them chunk by chunk is safe.
_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in (0x09, 0x0A, 0x0D))

# Failures while decompressing or reading a zip member.
_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
)
# Failures raised by expat on hostile bytes (LookupError: unknown encoding name).
_XML_ERRORS = (expat.ExpatError, LookupError, ValueError)

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


class _FoundRoot(Exception):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


# --------------------------------------------------------------------------- helpers


def _new_parser() -> expat.XMLParserType:
    """An expat parser with defusedxml's protections (DTD allowed, entities and external refs not)."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.specified_attributes = True  # attribute defaults from a DTD are not the owner's data
    parser.EntityDeclHandler = _refuse_entity_decl
    parser.UnparsedEntityDeclHandler = _refuse_unparsed_entity_decl
    parser.ExternalEntityRefHandler = _refuse_external_ref
    return parser


def _refuse_entity_decl(name, is_parameter_entity, value, base, sysid, pubid, notation_name):
    raise EntitiesForbidden(name, value, base, sysid, pubid, notation_name)


def _refuse_unparsed_entity_decl(name, base, sysid, pubid, notation_name):
    raise EntitiesForbidden(name, None, base, sysid, pubid, notation_name)


def _refuse_external_ref(context, base, sysid, pubid):
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


def _filtered_chunks(raw: IO[bytes]) -> Iterator[bytes]:
    """Chunks of ``raw`` without the control bytes XML forbids (read errors propagate)."""
    read = raw.read
    while True:
        chunk = read(CHUNK_SIZE)
        if not chunk:
            return
        yield chunk.translate(None, _CONTROL_BYTES)
