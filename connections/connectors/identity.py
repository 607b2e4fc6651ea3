"""Identity hints: which account or chat an artifact comes from, where the format says so.

A parser that can tell whose data a file holds sets ``BatchFacts.identity`` to a short text in
the owner's words: an e-mail address (a Takeout archive that names its account), the chat and
its participants (WhatsApp: ``"Family: Anna, Ben"``, or ``"Anna, Ben"`` when the file does not
name the chat). The pipeline compares it with the hint of the source's first committed import
(``coverage.pipeline.accounts``) and asks the owner to confirm an import from another account.

A hint is owner data: it is shown to the owner and kept on the batch, never written to a log as
it is (``log_token`` gives a digest to log instead) and never shown in an admin list.

``same_account`` is the one comparison. Hints that are equal (ignoring case and spaces around)
are the same account. Participant lists are the same chat when one list holds the other (a later
export in which someone wrote nothing yet) or when they share at least two people (a group that
gained or lost members); a one-to-one chat with someone else shares only the owner, so it is
another chat.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .base import (
    Artifact,
    ArtifactRejected,
    BatchFacts,
    ParsedRecord,
    ParseOptions,
    Parser,
    clean_text,
    is_zip,
    open_zip,
    safe_member_names,
    sniff,
)

MAX_PARTICIPANTS = 50  # people named in a chat hint (a larger group is cut, in name order)
MAX_HINT_CHARS = 300
HEAD_BYTES = 256 * 1024  # how much of a member is searched for an account's name
_EMAIL = re.compile(rb"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}")
_ME = re.compile(rb"<Me\s([^>]{0,2000})/?>")
_ATTR = re.compile(rb'(HKCharacteristicTypeIdentifier\w+)="([^"]{0,100})"')


def log_token(hint: str | None) -> str:
    """What a log line may say about a hint: a short digest, never the hint itself."""
    if not hint:
        return "-"
    return "id:" + hashlib.sha256(hint.strip().lower().encode()).hexdigest()[:12]


def _participants(hint: str) -> frozenset[str]:
    people = hint.rsplit(": ", 1)[-1]
    return frozenset(p.strip().lower() for p in people.split(",") if p.strip())


def people(hint: str | None) -> list[str]:
    """The participants a chat hint names, as written."""
    if not hint:
        return []
    return [p.strip() for p in hint.rsplit(": ", 1)[-1].split(",") if p.strip()]


def same_account(a: str | None, b: str | None) -> bool:
    """Whether two hints name the same account or chat (an unknown hint never differs)."""
    if not a or not b:
        return True
    if a.strip().lower() == b.strip().lower():
        return True
    first, second = _participants(a), _participants(b)
    if len(first) < 2 and len(second) < 2:
        return False  # two different single names or addresses
    return first <= second or second <= first or len(first & second) >= 2


def chat_hint(chat_name: str | None, authors: Iterable[str]) -> str | None:
    """A chat's hint: its name when known, then its participants in name order."""
    people = sorted({a.strip() for a in authors if a and a.strip()}, key=str.lower)[:MAX_PARTICIPANTS]
    if not people:
        return None
    text = ", ".join(p.replace(",", " ") for p in people)
    if chat_name:
        text = f"{chat_name.strip()}: {text}"
    return clean_text(text, MAX_HINT_CHARS)


# How WhatsApp names an exported chat's file, longest first: iOS "WhatsApp Chat - <name>.zip",
# Android "WhatsApp Chat with <name>.txt" in the phone's language (Spanish, Portuguese, French
# and German as public parsers of exports list them; Russian as FORMATS.md gives it).
_CHAT_FILE_PREFIXES = (
    "Чат WhatsApp с контактом ",
    "Conversa do WhatsApp com ",
    "Discussion WhatsApp avec ",
    "Chat de WhatsApp con ",
    "WhatsApp Chat with ",
    "WhatsApp Chat mit ",
    "WhatsApp Chat - ",
    "Чат WhatsApp с ",
)

# What a browser or a file manager adds to a name it already holds: "Familie (1).zip" (Chrome,
# Edge), "Familie(2).zip" (Firefox), "Familie - Copy.zip", "Familie - Kopie (2).zip" (Windows).
_COPY_SUFFIX = re.compile(r"(?:\s*\(\d{1,3}\)|\s+-\s+\w+(?:\s+\(\d{1,3}\))?)$")
_COPY_WORDS = frozenset({"copy", "kopie", "copie", "copia", "kopia", "kopio", "cópia", "копия"})


def chat_name_from_filename(filename: str) -> str | None:
    """The chat's name as WhatsApp writes it in an export's file name, or None.

    A copy's mark that a browser or file manager added is not part of the name: a chat exported
    twice is downloaded as ``WhatsApp Chat - Familie (1).zip``."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    for prefix in _CHAT_FILE_PREFIXES:
        if name.lower().startswith(prefix.lower()):
            stem = name[len(prefix):]
            stem = stem.rsplit(".", 1)[0] if "." in stem else stem
            return _without_copy_mark(stem.strip()) or None
    return None


def _without_copy_mark(stem: str) -> str:
    m = _COPY_SUFFIX.search(stem)
    if m is None or m.start() == 0:
        return stem
    mark = m.group(0).strip()
    if mark.startswith("-"):
        word = mark[1:].strip().split(" (")[0].strip().lower()
        if word not in _COPY_WORDS:
            return stem  # "Team - Berlin" is a name, not a copy
    return stem[: m.start()].rstrip()


def with_file_identity(parser: Parser, extract: Callable[[Path], str | None]) -> Parser:
    """``parser`` that also sets ``facts.identity`` to what ``extract`` finds in the file, once it
    has been read (a file the parser refused is not looked at again)."""

    def parse(source: Artifact, facts: BatchFacts, options: ParseOptions) -> Iterator[ParsedRecord]:
        yield from parser(source, facts, options)
        try:
            hint = extract(Path(source.path))
        except (ArtifactRejected, OSError, ValueError, RuntimeError, EOFError, zipfile.BadZipFile, zlib.error):
            hint = None  # no name found (a damaged zip included) is no hint; the import itself stands
        if hint:
            facts.identity = clean_text(hint, MAX_HINT_CHARS)

    parse.__doc__ = parser.__doc__
    return parse


def _member_head(path: Path, wanted: Callable[[str], bool]) -> bytes | None:
    """The first ``HEAD_BYTES`` of the first zip member ``wanted`` names, or of the file itself."""
    if not is_zip(sniff(path, 8)):
        return None
    zf = open_zip(path)
    try:
        name = next((n for n in safe_member_names(zf) if wanted(n)), None)
        if name is None:
            return None
        with zf.open(name) as fh:
            return fh.read(HEAD_BYTES)
    finally:
        zf.close()


def takeout_account(path: Path) -> str | None:
    """The Google account a Takeout archive names (its ``archive_browser.html``), or None."""
    head = _member_head(path, lambda n: n.rsplit("/", 1)[-1] == "archive_browser.html")
    found = _EMAIL.search(head or b"")
    return found.group(0).decode("ascii").lower() if found else None


def health_owner(path: Path) -> str | None:
    """Who an Apple Health export is of, from its ``Me`` element: "born 1990-03-14, female"."""
    head = _member_head(path, lambda n: n.rsplit("/", 1)[-1] == "export.xml")
    if head is None:
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    found = _ME.search(head)
    if found is None:
        return None
    attrs = {k.decode(): v.decode("utf-8", "replace") for k, v in _ATTR.findall(found.group(1))}
    born = attrs.get("HKCharacteristicTypeIdentifierDateOfBirth", "")
    sex = attrs.get("HKCharacteristicTypeIdentifierBiologicalSex", "").removeprefix("HKBiologicalSex")
    words = [f"born {born}" if born else "", sex.lower() if sex and sex != "NotSet" else ""]
    text = ", ".join(w for w in words if w)
    return text or None
