"""XML from owners' files, read with expat set up as defusedxml does, never as a tree.

``new_parser`` refuses entity declarations and external references (XML bombs, external
entities) by raising defusedxml's own errors from expat's handlers; parameter entities are
never parsed. A connector adds its own rule for a document type declaration: Apple Health
exports carry a long internal DTD of element declarations (allowed), a GPX file never has
one (refused). ``root_element`` reads just far enough to name the root element, which is how
a file (or a zip member) is recognised by content rather than by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from xml.parsers import expat

from defusedxml.common import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

# Failures raised by expat on hostile or damaged bytes (LookupError: an unknown encoding name).
XML_ERRORS = (expat.ExpatError, LookupError, ValueError)
# What the protections raise (defusedxml's errors are ValueErrors: catch these first).
HOSTILE = (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden)


def xml_number(text: str | None, otherwise=None):
    """An attribute's or element's text as a JSON number: an int when it is plain digits (fewer
    than 16), a float when it is a finite one; ``otherwise`` when it is not a number (or is
    inf or nan, which JSON cannot hold), and None for no text."""
    if text is None:
        return None
    if text.isdecimal() and len(text) < 16:
        return int(text)
    try:
        value = float(text)
    except ValueError:
        return otherwise
    return value if value - value == 0 else otherwise


def new_parser(namespace_separator: str | None = None) -> expat.XMLParserType:
    """An expat parser that refuses entity declarations and external references."""
    if namespace_separator is None:
        parser = expat.ParserCreate()
    else:
        parser = expat.ParserCreate(namespace_separator=namespace_separator)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
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


class _FoundRoot(Exception):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def root_element(parser: expat.XMLParserType, chunks: Iterable[bytes], limit: int) -> str | None:
    """The root element's name as ``parser`` reports it, from at most about ``limit`` bytes
    of ``chunks``; None when the bytes end (or the limit is reached) first.

    The parser's errors (``XML_ERRORS``, ``HOSTILE``) and the reader's propagate: each caller
    says what they mean for its kind of file.
    """

    def on_start(tag, attrs):
        raise _FoundRoot(tag)

    parser.StartElementHandler = on_start
    read = 0
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
            read += len(chunk)
            if read >= limit:
                return None
        parser.Parse(b"", True)
    except _FoundRoot as found:
        return found.name
    return None
