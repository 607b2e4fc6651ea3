"""WhatsApp "Export chat": Android and iOS text exports, with or without media.

The parser makes two streaming passes over the chat text. The first checks that the file is a
WhatsApp chat at all (a timestamped line within the first 50 non-empty lines) and searches the
whole text for evidence of its day/month order (a first field over 12 means day-first, a second
one month-first). The second pass yields one record per message. Between them, only for a chat
whose dates could be read either way and whose owner has not said, one more pass looks for the
phone's language in WhatsApp's own words (``language``): one whose phones only write the day
first settles the order; else the owner is asked.

Memory stays bounded: the text is read in 512 KiB chunks, a line longer than ``MAX_LINE_CHARS``
is dropped while it streams past, a message longer than that is skipped, and the occurrence
counter behind duplicate keys only remembers the last 128 minutes.

A message's key never depends on the owner's zone, the phone's language, the platform or
whether media was attached (rule and reasons in ``keys``): ``YYYYMMDDTHHMM-<32 hex>``, the
date and minute as the file writes them (no seconds, no zone), then a blake2b digest of that
minute, the author, the content (the text of a plain message; for media in any state and
language, a deletion, a call, a location or a poll, a token of its kind) and the number of
identical (author, content) messages before it in that minute. Keys that start with the time
arrive almost in order, so the B-tree inserts of a large import land on neighbouring pages.

Modules: ``lines`` (decoded blocks of whole lines), ``source`` (the text in a .txt or a zip),
``grammar`` (the header line's layout), ``scan`` (pass 1), ``reader`` (pass 2, the message
loop), ``keys`` (the record key rule), ``clock`` (a header's time in the owner's zone),
``changes`` (the note on times a change of the clocks made come twice or never),
``language`` (the phone's language, where it settles the day/month order),
``media`` and ``words`` (what a message is, from the words WhatsApp writes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, tzinfo

from ..base import Artifact, ArtifactRejected, BatchFacts, ParsedRecord, ParseOptions
from ..identity import chat_hint, chat_name_from_filename
from ..manifest import Manifest, StreamView, export_path
from .backup.path import BACKUP_PATH
from .clock import _ymd
from .language import day_first_language
from .lines import _blocks, _ReadError
from .people import as_the_same_people
from .reader import _Reader
from .scan import _Scan, _scan
from .source import _Source
from .words.dates import DAY_FIRST

__all__ = ["MANIFEST", "PARSER_VERSION", "parse"]

# 3: media named in words it does not know, by the file names WhatsApp gives; 4: the edited marker
# in Turkish and Brazilian Portuguese, with a period, and after a message of several lines; a line
# in the other platform's layout (a message quoting one) stays text of the message it is in;
# 5: the edited marker in Indonesian, Arabic, Japanese, Dutch and European Portuguese, the
# encryption notice in WhatsApp's later Japanese and Arabic wordings; once a chat's times go back
# within the hour the clocks went back over, its messages are read in that hour's second pass; a
# chat whose dates could be read either way is read day first when WhatsApp's words in it are all
# of a language whose phones only write the day first (``language``); 6: a time the clocks went
# forward over is placed at the moment they did, in the chat's order (not an hour on, after the
# next message), and the note on the hour that came twice names the pass by its zone ("CEST")
PARSER_VERSION = "whatsapp/6"


def _zone_name(tz: tzinfo) -> str:
    return getattr(tz, "key", None) or str(tz)


def parse(artifact: Artifact, facts: BatchFacts, options: ParseOptions) -> Iterator[ParsedRecord]:
    """Read one WhatsApp chat export (.txt, or .zip from Android or iOS); see the package doc.

    ``facts.identity`` names the chat and its participants (``connectors.identity``) once the
    whole text is read. ``options.authors`` and ``options.clock``: read as the same people as the
    source, on its clock (``people``)."""
    records = _read(artifact, facts, options)
    if options.authors or options.clock:
        return as_the_same_people(records, options.authors or {}, options.clock, options.time_zone)
    return records


def _read(artifact: Artifact, facts: BatchFacts, options: ParseOptions) -> Iterator[ParsedRecord]:
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
        facts.time_zone_assumed = _zone_name(tz)
        order = _date_order(scan, options, facts, lambda: _language(source, scan))
        if order is _ASK:
            return
        reader = _Reader(
            facts, source.media, source.chat_name_hint, order, tz, scan.fast, scan.layout
        )
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
        reader.changes.note(facts)  # times the clocks' change made come twice or never
        name = chat_name_from_filename(getattr(artifact, "filename", "") or "")
        people = {options.authors.get(p, p) for p in reader.people} if options.authors else reader.people
        facts.identity = chat_hint(name, people) or facts.identity
    finally:
        source.close()


_ASK = "ask"  # the owner must say which day/month order the phone uses


def _language(source: _Source, scan: _Scan) -> str | None:
    """The phone's language when its words settle the day/month order (``language``)."""
    try:
        fh = source.open()
        try:
            return day_first_language(fh, scan.layout)
        finally:
            fh.close()
    except _ReadError:
        return None  # the reading pass says the text is damaged


def _date_order(
    scan: _Scan, options: ParseOptions, facts: BatchFacts,
    language: Callable[[], str | None] = lambda: None,
) -> str | None:
    """The day/month order to read dates with: the file's own evidence, else the owner's answer,
    else the phone's language when its phones only write the day first (``language``, read
    only then).

    None when no date needs an order; ``_ASK`` (with the question in the facts) when the
    file cannot tell and the owner has not answered yet.
    """
    if scan.needs_order is None:
        return None
    answer = options.date_order if options.date_order in ("dmy", "mdy", "ymd") else None
    if scan.years is not None and scan.years.first:  # 23/12/31 in a Korean or Basque phone's way
        facts.date_order_seen = "ymd"
        if answer is not None and answer != "ymd":
            facts.warn(
                "date_order_from_file",
                "The file shows its dates are year first (like 23/12/31), so that order was "
                "used instead of the one you chose.",
            )
        return "ymd"
    dmy, mdy = scan.day_first, scan.month_first
    settled = "dmy" if dmy and not mdy else "mdy" if mdy and not dmy else None
    if settled is not None:
        facts.date_order_seen = settled
        if answer is not None and answer != settled:
            facts.warn(
                "date_order_from_file",
                f"The file shows its dates are {'day' if settled == 'dmy' else 'month'} "
                "first, so that order was used instead of the one you chose.",
            )
        return settled
    example = scan.needs_order
    if answer is not None:  # said on the receipt, where the owner may change an answer
        why = "as a later export of this chat shows" if options.date_order_proven else "as you said"
        facts.warn("date_order_proven" if options.date_order_proven else "date_order_answered",
                   f"Dates like {example} were read {_FIRST[answer]} first{_as_day(example, answer)}, {why}.")
        return answer
    if (tag := language()) is not None:
        facts.warn(
            "date_order_from_language",
            f"Dates like {example} were read day first{_as_day(example)}, as phones set to "
            f"{DAY_FIRST[tag]} always write them.",
        )
        return "dmy"
    if _DOTTED.fullmatch(example):  # 01.06.24: no phone writes a date with dots month first
        facts.warn(
            "date_order_from_dots",
            f"Dates like {example} were read day first{_as_day(example)}: no phone writes a date "
            "with dots month first.",
        )
        return "dmy"
    facts.needs_answer = {"question": "date_order", "choices": ["dmy", "mdy"], "example": example}
    facts.warn(
        "ambiguous_date_order",
        f"Dates like {example} could be day/month or month/day; say which this phone uses.",
    )
    return _ASK


# A date written with dots, its year last. Of CLDR's 162 locales whose short date has dots, every one
# writes it d.M.y or, year first, y.MM.dd (a four-digit year: told apart before) or "yy. M. d." (with
# spaces); none writes the month first (Babel 2.19, CLDR 49: ``babel.dates.get_date_format("short")``).
_DOTTED = re.compile(r"\d{1,2}\.\d{1,2}\.\d{2,4}")


_FIRST = {"dmy": "day", "mdy": "month", "ymd": "year"}  # what a date order writes first


def _as_day(example: str, order: str = "dmy") -> str:
    """" (6 May 2024)": a date read in ``order`` (day first unless said), as the owner's pages write a day."""
    ymd = _ymd(example, order)
    if ymd is None:
        return ""
    day = datetime(*ymd)  # a wall-clock day of the chat: no zone to move it by
    return f" ({day.day} {day:%b %Y})"


INSTRUCTIONS = (
    "Open the chat in WhatsApp on your phone.",
    "Tap the chat name (iPhone) or the ⋮ menu then More (Android), then Export chat.",
    "Choose Attach media to keep photos and voice notes, or Without media for a smaller file.",
    "Save the .zip or .txt file and upload it here.",
)

MANIFEST = Manifest(
    id="whatsapp",
    name="WhatsApp",
    record_noun=("message", "messages"),
    summary="One chat, from the chat export on your phone.",
    paths=(
        export_path((".txt", ".zip"), INSTRUCTIONS, parse, job="Import a chat from an export"),
        BACKUP_PATH,  # a phone backup's database (``backup``)
    ),
    streams=("messages",),
    views={"messages": StreamView("messages", ("author", "text", "media_name"))},
    record_key_rule=(
        "minute written in the chat, the author and the text (for media, calls, deleted "
        "messages, locations and polls only their kind), so a time zone change, a phone in "
        "another language or an export with media never adds a message twice"
    ),
    expected_refresh=timedelta(days=30),
    recovery=(
        "Upload the file WhatsApp made with Export chat: a .txt, or a .zip holding "
        "_chat.txt or 'WhatsApp Chat with ….txt', without a password."
    ),
    re_export_hint="Export the chat again from your phone to add newer messages.",
)
