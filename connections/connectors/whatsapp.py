"""WhatsApp "Export chat": Android and iOS text exports, with or without media.

The parser makes two streaming passes over the chat text. The first checks that the file is a
WhatsApp chat at all (a timestamped line within the first 50 non-empty lines) and searches the
whole text for evidence of its day/month order (a first field over 12 means day-first, a second
one month-first). The second pass yields one record per message.

Memory stays bounded: the text is read in 512 KiB chunks, a line longer than ``MAX_LINE_CHARS``
is dropped while it streams past, a message longer than that is skipped, and the occurrence
counter behind duplicate keys only remembers the messages of the current timestamp.

A message's key is ``YYYYMMDDTHHMMSS-<32 hex>``: the date and time as the file writes them
(seconds 00 when the format has none; never shifted by a time zone), then a blake2b digest of
the UTC time, author, text and occurrence number. Keys that start with the time arrive almost
in order, so the B-tree inserts of a large import land on neighbouring index pages.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import chain
from typing import IO

from .base import (
    MAX_LINE_CHARS,
    Artifact,
    ArtifactRejected,
    BatchFacts,
    ParsedRecord,
    ParseOptions,
    is_zip,
    open_zip,
    safe_member_names,
    sniff,
)
from .manifest import AcquisitionPath, Manifest

PARSER_VERSION = "whatsapp/1"

_STREAM = "messages"
_CHUNK = 1 << 19  # below MAX_LINE_CHARS, so most blocks skip the per-line length check
# A UTF-8 character is at most 4 bytes: past this many bytes a line is too long for sure.
_LONG_BYTES = MAX_LINE_CHARS * 4
_SNIFF_LINES = 50
_MAX_CANDIDATES = 20  # .txt members of a zip inspected when there is no _chat.txt

# Invisible direction marks and the BOM: stripped before any text is compared.
_MARKS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\ufeff"
_MARK_TABLE = {ord(c): None for c in _MARKS}
_MARK_RE = re.compile(f"[{_MARKS}]")
_LEAD_MARKS = ("\u200e", "\u200f")


def _has_marks(text: str) -> bool:
    # Eight substring scans beat one character-class regex search by far on long text.
    return any(mark in text for mark in _MARKS)


# --- line grammar ------------------------------------------------------------------------------
# Marks may sit anywhere inside the prefix (Arabic exports put U+200F between date fields).
_M = f"[{_MARKS}]*"
_S = "[ \u00a0\u202f]"  # space, no-break space, narrow no-break space (before AM/PM since 2023)
_DATE = rf"\d{{1,4}}{_M}[./-]{_M}\d{{1,2}}{_M}[./-]{_M}\d{{1,4}}"
_AMPM = rf"(?:[aApP]\.?{_S}?[mM]\.?|[\u0635\u0645])"  # AM/PM, a.m., p. m., Arabic ص/م
_TIME = rf"\d{{1,2}}[:.]\d{{2}}(?:[:.]\d{{2}})?(?:{_S}?{_M}{_AMPM})?"
# Android "31/12/2023, 21:40 - ", iOS "[12/31/23, 9:40:05 PM] ", old iOS "13/06/15 10:59:59: ".
_SEP = rf"(?:\] |{_S}[-\u2013]{_S}|: )"


def _prefix(date: str, time: str) -> str:
    return rf"{_M}\[?{_M}{date}{_M}\.?{_M}[,\u060c]?{_M}{_S}?{_M}(?:klo{_S})?{time}{_M}{_SEP}"


# One line (used on single lines), and the same grammar preceded by the newline that ends the
# previous line: a literal first character lets the regex engine jump from line start to line
# start in C, so whole decoded blocks are cut (split) or searched without a Python loop.
_HEADER = re.compile(_prefix(f"({_DATE})", f"({_TIME})"))
_HEADER_NL = re.compile("\n" + _prefix(f"({_DATE})", f"({_TIME})"))

# Day/month evidence, searched over whole blocks: a header whose first field can only be a day
# (13-31) before a possible month, or the reverse. Other lines fail within a few characters.
_A_DAY = "(?:1[3-9]|2[0-9]|3[01])"
_A_MONTH = "(?:0?[1-9]|1[0-2])"


def _dated(first: str, second: str) -> re.Pattern[str]:
    date = rf"({first}{_M}[./-]{_M}{second}{_M}[./-]{_M}\d{{1,4}})"
    return re.compile("\n" + _prefix(date, f"(?:{_TIME})"))


_DAY_FIRST = _dated(_A_DAY, _A_MONTH)
_MONTH_FIRST = _dated(_A_MONTH, _A_DAY)
_NOT_YEAR_FIRST = _dated(r"\d{1,2}", r"\d{1,2}")  # a date that needs an order at all

_DIGITS = re.compile(r"\d+")
_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?:.*?([aApP\u0635\u0645]))?", re.DOTALL)

# --- message kinds -----------------------------------------------------------------------------
_OMITTED = (
    # Android, one placeholder for every media type (localized).
    "<Media omitted>",
    "<Medien ausgeschlossen>",
    "<Multimedia omitido>",
    "<Multimedia omitidos>",
    "<Médias omis>",
    "<Media omessi>",
    "<Mídia oculta>",
    "<Arquivo de mídia oculto>",
    "<Без медиафайлов>",
    "<Media weggelaten>",
    # iOS, one token per type.
    "image omitted",
    "video omitted",
    "audio omitted",
    "sticker omitted",
    "GIF omitted",
    "Contact card omitted",
    "Bild weggelassen",
    "Video weggelassen",
    "Audio weggelassen",
    "Sticker weggelassen",
    "GIF weggelassen",
    "Kontaktkarte weggelassen",
    "изображение отсутствует",
    "видео отсутствует",
    "аудиофайл отсутствует",
    "стикер отсутствует",
    "GIF отсутствует",
    "карточка контакта отсутствует",
    "imagen omitida",
    "video omitido",
    "audio omitido",
    "sticker omitido",
    "imagem ocultada",
    "vídeo ocultado",
    "áudio ocultado",
    "figurinha omitida",
)
_DELETED = (
    "This message was deleted",
    "You deleted this message",
    "Diese Nachricht wurde gelöscht",
    "Du hast diese Nachricht gelöscht",
    "Se eliminó este mensaje",
    "Eliminaste este mensaje",
    "Ce message a été supprimé",
    "Vous avez supprimé ce message",
    "Questo messaggio è stato eliminato",
    "Hai eliminato questo messaggio",
    "Mensagem apagada",
    "Essa mensagem foi apagada",
    "Você apagou esta mensagem",
    "Данное сообщение удалено",
    "Вы удалили данное сообщение",
    "Это сообщение удалено",
)
_CALLS = (
    "Missed voice call",
    "Missed video call",
    "Missed group voice call",
    "Missed group video call",
    "Voice call",
    "Video call",
    "Group voice call",
    "Group video call",
    "Verpasster Sprachanruf",
    "Verpasster Videoanruf",
    "Sprachanruf",
    "Videoanruf",
    "Llamada perdida",
    "Videollamada perdida",
    "Пропущенный аудиозвонок",
    "Пропущенный видеозвонок",
)
# Exact first-line bodies -> kind. Trailing periods vary between app versions.
_EXACT: dict[str, str] = {}
for _text in _OMITTED:
    _EXACT[_text] = "omitted"
for _text in _DELETED:
    _EXACT[_text] = "deleted"
    _EXACT[_text + "."] = "deleted"
for _text in _CALLS:
    _EXACT[_text] = "call"

_DOC_OMITTED_ENDS = (
    "document omitted",
    "Dokument weggelassen",
    "документ отсутствует",
    "documento omitido",
    "documento ocultado",
)
# Last characters of bodies that may be media: "… (file attached)", "<attached: …>".
_SPECIAL_TAILS = frozenset(")>")
_FILE_ATTACHED = re.compile(
    r"(?P<name>.+?) \((?:file attached|Datei angehängt|archivo adjunto|fichier joint|"
    r"arquivo anexado|file allegato|файл добавлен|файл прикреплён|bestand bijgevoegd)\)$"
)
_IOS_ATTACHED = re.compile(
    r"<(?:attached|Anhang|adjunto|anexo|anexado|pièce jointe|allegato|вложение|bijlage): "
    r"(?P<name>[^<>]+)>"
)
_LOCATION = re.compile(r"\w+: https?://(?:maps\.google\.[a-z.]+|maps\.apple\.com|goo\.gl/maps)/")
_POLL_PREFIXES = ("POLL:", "UMFRAGE:", "ENCUESTA:", "SONDAGE:", "ENQUETE:", "SONDAGGIO:", "ОПРОС:")
_CALL_RE = re.compile(
    r"(?:Missed |Verpasster )?(?:group |Gruppen)?(?:voice|video|Sprach|Video)"
    r" ?(?:call|anruf)(?:[,.] .*)?$",
    re.IGNORECASE,
)
_EDITED = re.compile(
    r"\s*<(?:This message was edited|Diese Nachricht wurde bearbeitet|Se editó este mensaje\.?|"
    r"Ce message a été modifié|Questo messaggio è stato modificato|Essa mensagem foi editada|"
    r"Сообщение изменено)>$"
)
# iOS system notices carry an author and a U+200E-led body; these phrases identify them.
_SYSTEM = re.compile(
    r"end-to-end encrypted|Ende-zu-Ende-verschlüsselt|cifrados de extremo a extremo|"
    r"chiffrés de bout en bout|crittografia end-to-end|criptografia de ponta a ponta|"
    r"сквозным шифрованием|created group|created this group|changed the subject|"
    r"changed this group|changed the group|changed their phone number|security code|"
    r"disappearing messages|joined using this group|\badded\b|\bleft$|\bremoved\b|"
    r"now an admin|no longer an admin|pinned a message|business account|"
    r"hat die Gruppe|hat den Betreff|Sicherheitsnummer|hinzugefügt|hat die Gruppe verlassen"
)
_IOS_ZIP_NAME = re.compile(r"WhatsApp Chat - (.+)\.zip$", re.IGNORECASE)


# --- reading lines -----------------------------------------------------------------------------
class _TooLong:
    """A line longer than MAX_LINE_CHARS; its text was never held."""


_TOO_LONG = _TooLong()


class _Undecodable:
    """A line that is not valid UTF-8, with a lossy preview for classification."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


class _ReadError(Exception):
    """The underlying stream failed (damaged zip member, I/O error)."""


def _read(fh: IO[bytes], size: int) -> bytes:
    try:
        return fh.read(size)
    except Exception as exc:  # any failure of the stream (zlib, CRC, EOF, OSError) is damage
        raise _ReadError(str(exc)) from exc


def _decode_lines(block: bytes) -> list:
    out: list = []
    for raw in block.split(b"\n")[:-1]:
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            out.append(_Undecodable(raw[:4096].decode("utf-8", "replace")))
            continue
        out.append(line if len(line) <= MAX_LINE_CHARS else _TOO_LONG)
    return out


def _decode(block: bytes) -> str | list:
    """Decode complete lines (``block`` ends with a newline).

    Returns the text (still ending with a newline, CRLF folded) when every line is
    good, else a list with one entry per line: str, ``_TOO_LONG`` or ``_Undecodable``.
    """
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        return _decode_lines(block)
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if len(text) > MAX_LINE_CHARS:
        lines = text.split("\n")
        lines.pop()
        if max(map(len, lines), default=0) > MAX_LINE_CHARS:
            return [line if len(line) <= MAX_LINE_CHARS else _TOO_LONG for line in lines]
    return text


def _blocks(fh: IO[bytes]) -> Iterator[str | list]:
    """Yield decoded blocks of whole lines from a binary stream, in bounded memory."""
    carry = b""
    skipping = False  # inside a line already known to be too long
    first = True
    while True:
        data = _read(fh, _CHUNK)
        if not data:
            break
        if first:
            first = False
            if data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
        if skipping:
            i = data.find(b"\n")
            if i < 0:
                continue
            yield [_TOO_LONG]
            skipping = False
            data = data[i + 1 :]
        if carry:
            data = carry + data
            carry = b""
        cut = data.rfind(b"\n")
        if cut < 0:
            carry = data
        else:
            carry = data[cut + 1 :]
            yield _decode(data[: cut + 1])
        if len(carry) > _LONG_BYTES:
            carry = b""
            skipping = True
    if skipping:
        yield [_TOO_LONG]
    elif carry:
        yield _decode(carry + b"\n")


def _lines(block: str | list) -> list:
    if type(block) is str:
        lines = block.split("\n")
        lines.pop()
        return lines
    return block


# --- the artifact ------------------------------------------------------------------------------
class _Source:
    """The chat text inside the artifact (a bare .txt or a zip member), reopenable per pass."""

    def __init__(self, artifact: Artifact, facts: BatchFacts):
        self.path = artifact.path
        self.zf: zipfile.ZipFile | None = None
        self.member: str | None = None
        self.media: frozenset[str] = frozenset()
        hint = _IOS_ZIP_NAME.search(artifact.filename or "")
        self.chat_name_hint = hint.group(1).strip() if hint else None
        try:
            head = sniff(self.path, 8)
        except OSError as exc:
            raise ArtifactRejected("malformed", "The file could not be read.") from exc
        if not head:
            raise ArtifactRejected("empty", "The file is empty.")
        if is_zip(head):
            self.zf = open_zip(self.path)
            try:
                self._choose_member(facts)
            except BaseException:
                self.zf.close()
                raise

    @property
    def zipped(self) -> bool:
        return self.zf is not None

    def open(self) -> IO[bytes]:
        try:
            if self.zf is not None:
                return self.zf.open(self.member)
            return open(self.path, "rb")
        except Exception as exc:  # unsupported compression, bad local header, I/O error
            raise _ReadError(str(exc)) from exc

    def close(self) -> None:
        if self.zf is not None:
            self.zf.close()

    def _choose_member(self, facts: BatchFacts) -> None:
        assert self.zf is not None
        names = safe_member_names(self.zf)
        chats = [n for n in names if n.rsplit("/", 1)[-1] == "_chat.txt"]
        if chats:
            chosen = min(chats, key=lambda n: (n.count("/"), n))
        else:
            texts = [n for n in names if n.lower().endswith(".txt")]
            if not texts:
                raise ArtifactRejected(
                    "wrong_source", "The zip holds no WhatsApp chat text (.txt)."
                )
            if len(texts) == 1:
                chosen = texts[0]
            else:
                looks = [n for n in texts[:_MAX_CANDIDATES] if self._looks_like_chat(n)]
                if not looks:
                    raise ArtifactRejected("wrong_source", "The zip holds no WhatsApp chat text.")
                sizes = {i.filename: i.file_size for i in self.zf.infolist()}
                chosen = min(looks, key=lambda n: (n.count("/"), -sizes.get(n, 0), n))
                if len(looks) > 1:
                    facts.warn(
                        "several_chats",
                        f"The zip holds {len(looks)} chat texts; only {chosen} was read.",
                        f"entry {chosen}",
                    )
        self.member = chosen
        self.media = frozenset(n.rsplit("/", 1)[-1] for n in names if n != chosen)

    def _looks_like_chat(self, name: str) -> bool:
        self.member = name
        try:
            fh = self.open()
            try:
                return _scan(fh, full=False).platform is not None
            finally:
                fh.close()
        except (ArtifactRejected, _ReadError):
            return False


# --- pass 1: is it a chat, and which day/month order -------------------------------------------
@dataclass
class _Scan:
    platform: str | None = None  # "android" or "ios", from the first timestamped line
    needs_order: str | None = None  # the first date not written year-first, if any
    day_first: bool = False  # some date can only be read day-first
    month_first: bool = False  # some date can only be read month-first
    fast: re.Pattern[str] | None = None  # a header regex fitted to this file, see _specialize


def _platform(prefix: str) -> str:
    return "android" if prefix.rstrip().endswith(("-", "\u2013")) else "ios"


def _scan(fh: IO[bytes], full: bool = True) -> _Scan:
    """Check the start of the text looks like WhatsApp, then read the whole text for evidence
    of its day/month order (and, in a zip, for damage)."""
    scan = _Scan()
    nonempty = bad = 0
    sniffing = True
    for block in _blocks(fh):
        if sniffing:
            for line in _lines(block):
                if type(line) is not str:
                    nonempty += 1
                    bad += isinstance(line, _Undecodable)
                elif line.strip():
                    m = _HEADER.match(line)
                    if m is not None:
                        scan.platform = _platform(m.group(0))
                        scan.fast = _specialize(m)
                        sniffing = False
                        break
                    nonempty += 1
                    bad += "\x00" in line
                if nonempty >= _SNIFF_LINES:
                    break
            if sniffing:
                if nonempty >= _SNIFF_LINES:
                    break
                continue
            if not full:
                return scan
        if scan.day_first and scan.month_first:
            continue  # settled as contradictory; read on only to check the rest is readable
        if type(block) is str:
            text = "\n" + block
        else:
            text = "\n" + "\n".join(line for line in block if type(line) is str)
        if scan.needs_order is None and (m := _NOT_YEAR_FIRST.search(text)) is not None:
            scan.needs_order = m.group(1).translate(_MARK_TABLE)
        if not scan.day_first:
            scan.day_first = _DAY_FIRST.search(text) is not None
        if not scan.month_first:
            scan.month_first = _MONTH_FIRST.search(text) is not None
    if sniffing:
        if nonempty == 0:
            raise ArtifactRejected("empty", "The chat text is empty.")
        if bad * 2 >= nonempty:
            raise ArtifactRejected("malformed", "The file is not readable text (not UTF-8).")
        raise ArtifactRejected(
            "wrong_source", "This does not look like a WhatsApp chat export: no dated messages."
        )
    return scan


_FIELD_WIDTH = {1: r"\d{1,2}", 2: r"\d{1,2}", 4: r"\d{4}"}
_PLAIN_DATE = re.compile(r"(\d+)([./-])(\d+)([./-])(\d+)")
_PLAIN_TIME = re.compile(
    r"(\d{1,2}([:.])\d{2}(?:([:.])\d{2})?)(?:( ?|\u202f|\u00a0)([aApP])(\.? ?[mM]\.?))?"
)


def _specialize(m: re.Match[str]) -> re.Pattern[str] | None:
    """A narrower header regex fitted to the file's first header, about twice as fast to split with.

    It fixes the separators, the field widths and the clock style seen in that header, so every
    line it matches is also matched by ``_HEADER_NL``, with the same groups. The converse does
    not hold; ``_Reader`` checks each block for headers it missed and then splits that block
    with the general regex. None when the header is unusual (marks inside, other calendars).
    """
    prefix = m.group(0)
    head, between, after = prefix[: m.start(1)], prefix[m.end(1) : m.start(2)], prefix[m.end(2) :]
    if head.strip(_MARKS) not in ("", "[") or _has_marks(between + m.group(2) + after):
        return None
    date = _PLAIN_DATE.fullmatch(m.group(1))
    clock = _PLAIN_TIME.fullmatch(m.group(2))
    if date is None or clock is None:
        return None
    widths = [_FIELD_WIDTH.get(len(date.group(i))) for i in (1, 3, 5)]
    if None in widths:
        return None
    date_rx = (
        widths[0] + re.escape(date.group(2)) + widths[1] + re.escape(date.group(4)) + widths[2]
    )
    time_rx = r"\d{1,2}" + re.escape(clock.group(2)) + r"\d{2}"
    if clock.group(3):
        time_rx += re.escape(clock.group(3)) + r"\d{2}"
    if clock.group(5):  # 12-hour clock: the same spacing and letter case, either half of the day
        letters = "[AP]" if clock.group(5).isupper() else "[ap]"
        time_rx += re.escape(clock.group(4)) + letters + re.escape(clock.group(6))
    lead = "[\u200e\u200f]?" + ("\\[" if "[" in head else "")
    return re.compile(f"\n{lead}({date_rx}){re.escape(between)}({time_rx}){re.escape(after)}")


def _date_fields(date: str) -> tuple[str, str, str] | None:
    parts = _DIGITS.findall(date)
    if len(parts) != 3:
        return None
    return parts[0], parts[1], parts[2]


# --- pass 2: messages --------------------------------------------------------------------------
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_MAX_BODY = MAX_LINE_CHARS  # a message (all its lines) longer than this is skipped
_CACHE_CAP = 100_000  # distinct dates/clocks/hours remembered; a hostile file cannot grow them
_MISS = object()
# Days (since 1970) too near the ends of datetime's calendar for offset arithmetic to be safe.
_FIRST_DAY = datetime(1, 1, 2).toordinal() - _EPOCH_ORDINAL
_LAST_DAY = datetime(9999, 12, 30).toordinal() - _EPOCH_ORDINAL
# Zones that are UTC all year: read without any offset lookups.
_UTC_KEYS = frozenset(
    {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu"}
)
_NONE, _OPEN, _SWALLOW = 0, 1, 2  # no message yet / collecting one / inside a skipped or failed one


# Records are made by setting ParsedRecord's slots through their descriptors: the same stores its
# generated __init__ makes through object.__setattr__, in half the time; at a million messages
# the constructor was the largest single cost. Only while the class is a slots dataclass with
# exactly these fields and no __post_init__ (a test checks it); otherwise the constructor.
_FIELDS = ("stream", "key", "event_at", "payload", "media")
_FAST_RECORDS = (
    tuple(getattr(ParsedRecord, "__dataclass_fields__", ())) == _FIELDS
    and getattr(ParsedRecord, "__slots__", None) == _FIELDS
    and not hasattr(ParsedRecord, "__post_init__")
)
_new = object.__new__
if _FAST_RECORDS:
    _set_stream, _set_key, _set_at, _set_payload, _set_media = (
        ParsedRecord.__dict__[name].__set__ for name in _FIELDS
    )
_blake2b = hashlib.blake2b


def _ymd(date: str, order: str | None) -> tuple[int, int, int] | None:
    fields = _date_fields(date)
    if fields is None:
        return None
    a, b, c = fields
    if len(a) == 4:
        if len(c) > 2:
            return None
        y, mo, d = int(a), int(b), int(c)
    elif len(a) <= 2 and len(c) in (2, 4):
        y = int(c) + (2000 if len(c) == 2 else 0)
        if order == "dmy":
            d, mo = int(a), int(b)
        elif order == "mdy":
            mo, d = int(a), int(b)
        else:
            return None
    else:
        return None
    try:
        datetime(y, mo, d)
    except ValueError:
        return None
    return y, mo, d


def _clock(sec: int) -> tuple[int, timedelta, str]:
    h, r = divmod(sec, 3600)
    return sec, timedelta(seconds=sec), f"T{h:02d}{r // 60:02d}{r % 60:02d}-"


def _seconds_of_day(time: str) -> int | None:
    m = _CLOCK.match(time)
    if m is None:
        return None
    h, mi = int(m.group(1)), int(m.group(2))
    s = int(m.group(3)) if m.group(3) else 0
    ap = m.group(4)
    if ap:
        if h > 12:
            return None
        if ap in "aA\u0635":
            h = 0 if h == 12 else h
        elif h != 12:
            h += 12
    if h > 23 or mi > 59 or s > 59:
        return None
    return h * 3600 + mi * 60 + s


class _Reader:
    """Pass 2: a state machine fed decoded blocks; yields one record per message.

    A message is a header line plus the lines up to the next header. ``_HEADER_NL.split`` cuts a
    block into messages in C, so continuation lines cost nothing in Python; a message that runs
    past the end of a block is carried as ``pending`` text into the next one. The per-message
    work is written inline in ``_segment``: at a million messages, every call counts.
    """

    def __init__(
        self,
        facts: BatchFacts,
        media: frozenset[str],
        chat_name: str | None,
        order: str | None,
        tz: tzinfo,
        fast: re.Pattern[str] | None = None,
    ):
        self.facts = facts
        self.fast = fast  # see _specialize; dropped after a few blocks it did not fit
        self.misfits = 0
        self.media = media
        self.chat_name = chat_name
        self.order = order
        self.tz = tz
        self.is_utc = tz is UTC or getattr(tz, "key", None) in _UTC_KEYS
        self.base = 0  # lines before the current segment
        self.state = _NONE
        self.author = ""
        self.pending: str | None = None  # body so far of a message carried across segments
        self.pending_marks = False  # whether that body's text may hold invisible marks
        self.open_line = 0  # header line of the carried message
        self.at = _EPOCH
        self.iso = ""
        self.stamp = ""  # key prefix: the open message's local time as written, YYYYMMDDTHHMMSS-
        self.last_date: str | None = None
        self.last_time: str | None = None
        self.last: tuple[datetime, str, str] | None = None
        self.days: dict[str, tuple] = {}
        self.clocks: dict[str, tuple] = {}
        self.isos: dict[int, str] = {}
        self.tods: dict[int, str] = {}  # at most 86,400
        self.offsets: dict[int, int | None] = {}
        # n of the key: identical (time, author, body) messages seen at the current timestamp.
        self.occ: dict[tuple[str, str], int] = {}
        self.occ_iso = ""
        self.authors: dict[str, bool] = {}  # author text -> plausible as an author

    # -- feeding --------------------------------------------------------------------------------
    def feed(self, block: str | list) -> Iterator[ParsedRecord]:
        """The records completed by one decoded block."""
        if type(block) is str:
            return self._segment("\n" + block[:-1])
        return self._mixed(block)

    def finish(self) -> Iterator[ParsedRecord]:
        """End of the text (or a lost header line): the open message is complete."""
        return self._segment("", final=True)

    def _mixed(self, block: list) -> Iterator[ParsedRecord]:
        run: list[str] = []
        for line in block:
            if type(line) is str:
                run.append(line)
                continue
            if run:
                yield from self._segment("\n" + "\n".join(run))
                run = []
            yield from self._special(line)
        if run:
            yield from self._segment("\n" + "\n".join(run))

    def _special(self, line: object) -> Iterator[ParsedRecord]:
        """One line that is too long or not UTF-8: counted as failed, never appended."""
        self.base += 1
        position = f"line {self.base}"
        if line is _TOO_LONG:
            self.facts.fail(
                f"A line is longer than {MAX_LINE_CHARS:,} characters and was skipped.", position
            )
            return
        self.facts.fail("A line is not valid UTF-8 text and was skipped.", position)
        if isinstance(line, _Undecodable) and _HEADER.match(line.text) is not None:
            # It started a message: that message is lost, with its continuation lines.
            yield from self.finish()

    def _stray(self, text: str, lineno: int) -> None:
        """Fail the non-empty lines found before the first message; ``lineno`` is the first's."""
        for part in text.split("\n"):
            if part.strip():
                self.facts.fail("Text before the first message was skipped.", f"line {lineno}")
            lineno += 1

    def _too_long(self, lineno: int) -> None:
        self.facts.fail(
            f"A message is longer than {_MAX_BODY:,} characters and was skipped.", f"line {lineno}"
        )

    def _segment(self, text: str, final: bool = False) -> Iterator[ParsedRecord]:
        """Read ``text``: whole lines, each one preceded by a newline (or "" with ``final``).

        ``_HEADER_NL.split`` cuts it into [before, date, time, rest, date, time, rest, ...]
        where each rest is "Author: body" plus its continuation lines. A message is completed
        when the next header (or, with ``final``, the end) is reached.
        """
        parts = self._split(text)
        facts = self.facts
        authors, occ, media_kind = self.authors, self.occ, self._media_or_notice
        days, clocks, isos, tods = self.days, self.clocks, self.isos, self.tods
        marks = _has_marks(text)  # most Android files hold none at all
        base = self.base
        state, pending, author = self.state, self.pending, self.author
        pmarks = self.pending_marks
        at, iso, stamp = self.at, self.iso, self.stamp
        last_date, last_time, last = self.last_date, self.last_time, self.last
        open_k = -1  # index of the open message's header in this segment, -1 if carried in

        before = parts[0]
        if before:  # continuation lines of a message carried in, or stray text
            if state == _OPEN:
                pending = f"{pending}\n{before[1:]}"
                pmarks = pmarks or marks
            elif state == _NONE:
                self._stray(before[1:], base + 1)

        def line_of(k: int) -> int:  # only called on failures, so a plain count is fine
            return (
                base
                + 1
                + before.count("\n")
                + sum(1 + r.count("\n") for r in parts[3 : 3 * k + 1 : 3])
            )

        it = iter(parts)
        next(it)
        triples: Iterator[tuple] = zip(it, it, it, strict=False)
        if final:
            triples = chain(triples, ((None, None, None),))
        for k, (date, time, rest) in enumerate(triples):
            if state == _OPEN:
                # Complete the open message: author, pending (its body), at, iso, stamp, pmarks.
                state = _SWALLOW
                body = pending
                if len(body) > _MAX_BODY:
                    self._too_long(self.open_line if open_k < 0 else line_of(open_k))
                    body = None
                lead = False
                if body is not None and pmarks:  # (isascii is O(1): no mark in ASCII text)
                    lead = body.startswith(_LEAD_MARKS)
                    if not body.isascii() and _MARK_RE.search(body) is not None:
                        body = body.translate(_MARK_TABLE)
                    if not author.isascii() and _MARK_RE.search(author) is not None:
                        author = author.translate(_MARK_TABLE).strip()
                if body is None:
                    pass
                elif "\n" in body:
                    body = "\n".join([part.rstrip() for part in body.split("\n")]).rstrip()
                    head = body.partition("\n")[0]
                else:
                    head = body = body.rstrip()
                if body is not None:
                    tail = head[-1:]
                    if tail == ">" and (edited := _EDITED.search(body)) is not None:
                        body = body[: edited.start()]
                        head = body.partition("\n")[0]
                        tail = head[-1:]
                    exact = _EXACT.get(head)
                    if (
                        exact is None
                        and not lead
                        and tail not in _SPECIAL_TAILS
                        and not head.endswith(_DOC_OMITTED_ENDS)
                        and "maps" not in head
                        and not head.startswith(_POLL_PREFIXES)
                    ):
                        kind, media_name, media_state = "text", None, None
                    else:
                        kind, media_name, media_state = media_kind(author, head, exact, lead)
                    if kind is not None:
                        # n counts identical (time, author, body) messages before this one, so
                        # genuine repeats within a minute keep distinct keys. Only the current
                        # timestamp's are remembered: an export lists a minute's messages
                        # together, and memory stays bounded.
                        if iso != self.occ_iso:
                            occ.clear()
                            self.occ_iso = iso
                        ident = (author, body)
                        n = occ.get(ident, 0)
                        occ[ident] = n + 1
                        digest = _blake2b(
                            f"{iso}\x1f{author}\x1f{body}\x1f{n}".encode(), digest_size=16
                        ).hexdigest()
                        key = stamp + digest  # time first: see the module docstring
                        payload = {
                            "author": author,
                            "text": body,
                            "kind": kind,
                            "media_name": media_name,
                        }
                        if _FAST_RECORDS:
                            record = _new(ParsedRecord)
                            _set_stream(record, _STREAM)
                            _set_key(record, key)
                            _set_at(record, at)
                            _set_payload(record, payload)
                            _set_media(record, media_state)
                        else:  # pragma: no cover - see _FAST_RECORDS
                            record = ParsedRecord(_STREAM, key, at, payload, media_state)
                        yield record
            if date is None:
                break  # the end (final)

            if date != last_date or time != last_time:
                last_date, last_time = date, time
                d = days.get(date)
                c = clocks.get(time)
                if d and c and d[2] is not None:  # a cached day with one offset throughout
                    t = d[2] + c[0]
                    date_iso = isos.get(t // 86400)
                    tod = tods.get(t % 86400)
                    if date_iso is not None and tod is not None:
                        last = (d[1] + c[1], date_iso + tod, d[3] + c[2])
                    else:
                        last = (d[1] + c[1], self._iso(t), d[3] + c[2])
                else:
                    last = self._stamp(date, time)
            if last is None:
                shown = f"{date}, {time}".translate(_MARK_TABLE)
                facts.fail(f"The date or time {shown} is not a real one.", f"line {line_of(k)}")
                continue
            at, iso, stamp = last

            i = rest.find(": ")
            if i > 0 and rest.find("\n", 0, i) < 0:
                author = rest[:i]
                pending = rest[i + 2 :]
            else:
                first, _, more = rest.partition("\n")
                if len(first) > 1 and first[-1] == ":":
                    author = first[:-1]  # "Author:" with an empty first line
                    pending = more
                else:
                    facts.skipped += 1  # Android system notice: no "Author: " part
                    continue
            ok = authors.get(author)
            if ok is None:
                if len(authors) >= _CACHE_CAP:
                    authors.clear()
                ok = authors[author] = not (
                    len(author) > 100 or '"' in author or "\u201c" in author or "\u201e" in author
                )
            if not ok:
                facts.skipped += 1  # a notice quoting something that holds a colon
                continue
            state = _OPEN
            pmarks = marks
            open_k = k

        if state == _OPEN:
            if open_k >= 0:  # the open message is the last one: count back from the end
                self.open_line = base + text.count("\n") - parts[-1].count("\n")
            if len(pending) > _MAX_BODY:
                self._too_long(self.open_line)
                state = _SWALLOW
        if state != _OPEN:
            pending = None
        self.base = base + text.count("\n")
        self.state, self.pending, self.author, self.pending_marks = state, pending, author, pmarks
        self.at, self.iso, self.stamp = at, iso, stamp
        self.last_date, self.last_time, self.last = last_date, last_time, last

    def _split(self, text: str) -> list[str]:
        fast = self.fast
        if fast is None:
            return _HEADER_NL.split(text)
        parts = fast.split(text)
        # A header the fitted regex missed can only hide inside a chunk holding a newline.
        search = _HEADER_NL.search
        if search(parts[0]) is None and not any(
            "\n" in rest and search(rest) is not None for rest in parts[3::3]
        ):
            return parts
        self.misfits += 1
        if self.misfits >= 3:
            self.fast = None
        return _HEADER_NL.split(text)

    def _media_or_notice(
        self, author: str, head: str, exact: str | None, lead: bool
    ) -> tuple[str | None, str | None, str | None]:
        """(kind, media name, media state) of a message that is not plain text, counting its
        media in the facts; kind None for an iOS system notice (counted as skipped)."""
        facts = self.facts
        kind = "text"
        media_name = media_state = None
        tail = head[-1:]
        if exact is not None:
            if exact == "omitted":
                kind, media_state = "media", "omitted"
            else:
                kind = exact
        elif tail == ")" and (m := _FILE_ATTACHED.match(head)) is not None:
            kind, media_name = "media", m.group("name").strip()
        elif tail == ">" and (m := _IOS_ATTACHED.search(head)) is not None:
            kind, media_name = "media", m.group("name").strip()
        elif head.endswith(_DOC_OMITTED_ENDS):
            # "Report.pdf • 3 pages document omitted": the name comes before the bullet.
            kind, media_state = "media", "omitted"
            name = head.rsplit(" ", 2)[0] if head.count(" ") >= 2 else ""  # 2-word suffixes
            media_name = name.split(" \u2022 ")[0].strip() or None
        elif "maps" in head and _LOCATION.match(head) is not None:
            kind = "location"
        elif head.startswith(_POLL_PREFIXES):
            kind = "poll"
        elif lead:
            if _CALL_RE.match(head) is not None:
                kind = "call"
            # iOS system notice: author is the chat name, body led by U+200E.
            elif _SYSTEM.search(head) is not None:
                if self.chat_name is None:
                    self.chat_name = author
                facts.skipped += 1
                return None, None, None
            elif author == self.chat_name:
                facts.skipped += 1
                return None, None, None

        if kind == "media":
            facts.media_declared += 1
            if media_state == "omitted":
                facts.media_omitted += 1
            elif media_name in self.media:
                facts.media_attached += 1
                media_state = "attached"
            else:
                facts.media_missing += 1
                media_state = "missing"
        return kind, media_name, media_state

    # -- time -----------------------------------------------------------------------------------
    # Caches, read directly by _segment:
    #   days[date]   (local day number, UTC instant of its local midnight, UTC epoch second of
    #                that midnight, "YYYYMMDD") when the whole local day has one UTC offset, with
    #                the middle two None when it holds a transition; () for an impossible date.
    #   clocks[time] (second of the day, as a timedelta, "THHMMSS-"), or () for an impossible
    #                time. The two texts make the key prefix: the time as written, in any zone.
    #   isos[n]      ISO date of UTC day n;  tods[s]  "THH:MM:SS+00:00" of second s of a day.
    def _stamp(self, date: str, time: str) -> tuple[datetime, str, str] | None:
        """(UTC instant, its ISO text, the key prefix "YYYYMMDDTHHMMSS-" of the local time) of a
        wall-clock date and time, or None if impossible."""
        d = self.days.get(date)
        if d is None:
            if len(self.days) >= _CACHE_CAP:
                self.days.clear()
            ymd = _ymd(date, self.order)
            d = self.days[date] = () if ymd is None else self._day(ymd)
        c = self.clocks.get(time)
        if c is None:
            if len(self.clocks) >= _CACHE_CAP:
                self.clocks.clear()
            sec = _seconds_of_day(time)
            c = self.clocks[time] = () if sec is None else _clock(sec)
        if not d or not c:
            return None
        if d[2] is not None:
            t = d[2] + c[0]
            at = d[1] + c[1]
        else:  # a day with a transition (or at the ends of the calendar): second by second
            offset = self._offset(d[0] * 86400 + c[0])
            if offset is None:
                return None
            t = d[0] * 86400 + c[0] - offset
            try:
                at = _EPOCH + timedelta(seconds=t)
            except OverflowError:
                return None
        return at, self._iso(t), d[3] + c[2]

    def _day(self, ymd: tuple[int, int, int]) -> tuple:
        day = datetime(*ymd).toordinal() - _EPOCH_ORDINAL
        compact = f"{ymd[0]:04d}{ymd[1]:02d}{ymd[2]:02d}"
        if not _FIRST_DAY < day < _LAST_DAY:
            return day, None, None, compact
        if self.is_utc:
            return day, _EPOCH + timedelta(days=day), day * 86400, compact
        start = day * 86400
        offset = self._exact_offset(start)
        if offset is None or any(
            self._exact_offset(start + s) != offset for s in (21600, 43200, 64800, 86399)
        ):
            return day, None, None, compact
        return day, _EPOCH + timedelta(seconds=start - offset), start - offset, compact

    def _iso(self, t: int) -> str:
        day, sec = divmod(t, 86400)
        date = self.isos.get(day)
        if date is None:
            if len(self.isos) >= _CACHE_CAP:
                self.isos.clear()
            date = self.isos[day] = (_EPOCH + timedelta(days=day)).date().isoformat()
        tod = self.tods.get(sec)
        if tod is None:
            h, r = divmod(sec, 3600)
            tod = self.tods[sec] = f"T{h:02d}:{r // 60:02d}:{r % 60:02d}+00:00"
        return date + tod

    def _offset(self, local: int) -> int | None:
        """UTC offset in seconds of a local wall-clock time (seconds since 1970-01-01 local).

        Read once per local hour: an hour with the same offset at its first and last second has
        it throughout. An hour holding a transition is looked up second by second.
        """
        hour = local // 3600
        offset = self.offsets.get(hour, _MISS)
        if offset is _MISS:
            if len(self.offsets) >= _CACHE_CAP:
                self.offsets.clear()
            first = self._exact_offset(hour * 3600)
            offset = first if first == self._exact_offset(hour * 3600 + 3599) else None
            self.offsets[hour] = offset
        if offset is None:
            return self._exact_offset(local)
        return offset

    def _exact_offset(self, local: int) -> int | None:
        try:
            wall = (_EPOCH_NAIVE + timedelta(seconds=local)).replace(tzinfo=self.tz)
            delta = wall.utcoffset()
        except (OverflowError, ValueError):
            return None
        return int(delta.total_seconds()) if delta is not None else 0


# --- entry point -------------------------------------------------------------------------------
def _zone_name(tz: tzinfo) -> str:
    return getattr(tz, "key", None) or str(tz)


def parse(artifact: Artifact, facts: BatchFacts, options: ParseOptions) -> Iterator[ParsedRecord]:
    """Read one WhatsApp chat export (.txt, or .zip from Android or iOS); see the module doc."""
    facts.parser_version = PARSER_VERSION
    source = _Source(artifact, facts)
    try:
        try:
            fh = source.open()
            try:
                scan = _scan(fh)
            finally:
                fh.close()
        except _ReadError as exc:
            raise ArtifactRejected(
                "malformed", "The chat text is damaged and cannot be read."
            ) from exc

        facts.source_format = f"whatsapp_{scan.platform}_{'zip' if source.zipped else 'txt'}"
        tz = options.time_zone
        zone = _zone_name(tz)
        facts.time_zone_assumed = zone

        answer = options.date_order if options.date_order in ("dmy", "mdy") else None
        order: str | None = None
        if scan.needs_order is not None:
            dmy, mdy = scan.day_first, scan.month_first
            settled = "dmy" if dmy and not mdy else "mdy" if mdy and not dmy else None
            if settled is not None:
                order = settled
                if answer is not None and answer != settled:
                    facts.warn(
                        "date_order_from_file",
                        f"The file shows its dates are {'day' if settled == 'dmy' else 'month'} "
                        "first, so that order was used instead of the one you chose.",
                    )
            elif answer is not None:
                order = answer
            else:
                example = scan.needs_order
                facts.needs_answer = {
                    "question": "date_order",
                    "choices": ["dmy", "mdy"],
                    "example": example,
                }
                facts.warn(
                    "ambiguous_date_order",
                    f"Dates like {example} could be day/month or month/day; "
                    "say which this phone uses.",
                )
                return
        reader = _Reader(facts, source.media, source.chat_name_hint, order, tz, scan.fast)
        try:
            fh = source.open()
            try:
                for block in _blocks(fh):
                    yield from reader.feed(block)
                yield from reader.finish()
            finally:
                fh.close()
        except _ReadError:
            # It read cleanly in the first pass; failing now means the file changed or the disk
            # failed mid-way. Records already yielded stand, so report a partial import.
            facts.partial = True
            facts.warn("unreadable_rest", "The chat text could not be read to its end.")
    finally:
        source.close()


MANIFEST = Manifest(
    id="whatsapp",
    name="WhatsApp",
    record_noun=("message", "messages"),
    summary="One chat, from the chat export on your phone.",
    paths=(
        AcquisitionPath(
            method="owner_artifact",
            job="Import a chat from an export",
            trigger="manual",
            recommended=True,
            accepted_formats=(".txt", ".zip"),
            instructions=(
                "Open the chat in WhatsApp on your phone.",
                "Tap the chat name (iPhone) or the ⋮ menu then More (Android), then Export chat.",
                "Choose Attach media to keep photos and voice notes, or Without media for a smaller file.",
                "Save the .zip or .txt file and upload it here.",
            ),
            parser=parse,
        ),
    ),
    streams=("messages",),
    record_key_rule="time, author and text of the message",
    expected_refresh=timedelta(days=30),
    recovery=(
        "Upload the file WhatsApp made with Export chat: a .txt, or a .zip holding "
        "_chat.txt or 'WhatsApp Chat with ….txt'. Do not unzip or edit it, and do not "
        "add a password."
    ),
    re_export_hint="Export the chat again from your phone to add newer messages.",
)
