"""Pass 2: the reader, a state machine fed decoded blocks that yields one record per message.

A message is a header line plus the lines up to the next header. The loop in ``_segment``
names its steps: split a block into headers (``_split``), read a header's time
(``_Clock.read``), split "Author: body" (``_author_and_body``), and finish a message
(``_finish_message``: tidy the body, classify its first line, count repeats, make its key and
record). A plain one-line message by a known author, the most common kind by far, is finished
inline in the loop: the same steps without a call.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, tzinfo

from ..base import MAX_LINE_CHARS, BatchFacts, ParsedRecord
from ..drafts import FAST, Draft, new
from ..identity import MAX_PARTICIPANTS
from .changes import ClockChanges
from .clock import _CACHE_CAP, _EPOCH, _Clock
from .grammar import (
    _LEAD_MARKS,
    _MARK_RE,
    _MARK_TABLE,
    DATE_FIRST,
    Layout,
    _has_marks,
    first_known,
    split_headers,
)
from .keys import Occurrences, key_content, record_key
from .lines import _TOO_LONG, _Undecodable
from .media import SYSTEM, classify, count_media, is_encryption_notice
from .words import DOCUMENT_ENDS, EDITED_RE, EXACT, POLL_PREFIXES, SPECIAL_TAILS

_STREAM = "messages"
# In a minute's counter (``Occurrences``), how many messages the minute held so far: a message
# after the first carries its place as ``seq``, so a day shows a minute's messages (Android
# writes no seconds) in the export's order. No author is empty, so no message is counted here.
_SEQ = ("", "")


def _place_in_minute(occ: dict, payload: dict) -> None:
    """Count the message in its minute; after the minute's first, keep its place as ``seq``."""
    if seq := occ.get(_SEQ, 0):
        payload["seq"] = seq
    occ[_SEQ] = seq + 1
_MAX_BODY = MAX_LINE_CHARS  # a message (all its lines) longer than this is skipped
_NONE, _OPEN, _SWALLOW = 0, 1, 2  # no message yet / collecting one / inside a skipped or failed one
_PEOPLE_CAP = 10 * MAX_PARTICIPANTS  # distinct authors remembered for the chat's identity


def _author_and_body(rest: str, authors: dict[str, bool]) -> tuple[str, str] | None:
    """Split the text after a header into author and body; None for a notice (no author).

    ``authors`` remembers which author texts are plausible: a notice quoting something
    that holds a colon is not a message. No author it holds contains a newline.
    """
    i = rest.find(": ")
    if i > 0 and rest.find("\n", 0, i) < 0:
        author = rest[:i]
        body = rest[i + 2 :]
    else:
        first, _, more = rest.partition("\n")
        if len(first) > 1 and first[-1] == ":":
            author = first[:-1]  # "Author:" with an empty first line
            body = more
        else:
            return None  # Android system notice: no "Author: " part
    ok = authors.get(author)
    if ok is None:
        if len(authors) >= _CACHE_CAP:
            authors.clear()
        ok = authors[author] = not (
            len(author) > 100 or '"' in author or "\u201c" in author or "\u201e" in author
        )
    return (author, body) if ok else None


def _tidy_lines(body: str) -> str:
    """A body of several lines without trailing spaces on any line or at the end."""
    return "\n".join([part.rstrip() for part in body.split("\n")]).rstrip()


def _without_edit_marker(body: str, edited: re.Match[str]) -> tuple[str, str]:
    """(body, first line) without the "<This message was edited>" marker at the end."""
    body = body[: edited.start()]
    return body, body.partition("\n")[0]


def _line_of(parts: list[str], base: int, k: int) -> int:
    """Line number of the k-th header of a split segment (only on failures: a plain count)."""
    return (
        base + 1 + parts[0].count("\n") + sum(1 + r.count("\n") for r in parts[3 : 3 * k + 1 : 3])
    )


class _Reader:
    """Fed decoded blocks; yields one record per message.

    ``_HEADER_NL.split`` cuts a block into messages in C, so continuation lines cost nothing
    in Python; a message that runs past the end of a block is carried as ``pending`` text
    into the next one. ``people`` holds the authors of the records (for the chat's identity).
    """

    def __init__(
        self,
        facts: BatchFacts,
        media: frozenset[str],
        chat_name: str | None,
        order: str | None,
        tz: tzinfo,
        fast: re.Pattern[str] | None = None,
        layout: Layout = DATE_FIRST,
    ):
        self.facts = facts
        self.layout = layout
        self.header, self.header_nl = layout.header, layout.header_nl
        self.fast = fast  # see _specialize; dropped after a few blocks it did not fit
        self.misfits = 0
        self.media = media
        self.chat_name = chat_name
        self.named_by_notice = False
        self.clock = _Clock(order, tz)
        self.changes = ClockChanges(tz, order)  # messages at times a change of the clocks made odd
        self.odd: str | None = None  # the clock's ``odd`` of ``now``
        self.open_odd: tuple[str, str, str] | None = None  # (odd, date, time) of the carried message
        # n of the key (see keys.py): identical (author, content) messages seen earlier in the
        # same minute; ``occ`` is the counter of the minute ``occ_minute``.
        self.occurrences = Occurrences()
        self.occ: dict[tuple[str, str], int] = {}
        self.occ_minute = ""
        self.base = 0  # lines before the current segment
        self.state = _NONE
        self.author = ""
        self.pending: str | None = None  # body so far of a message carried across segments
        self.pending_marks = False  # whether that body's text may hold invisible marks
        self.open_line = 0  # header line of the carried message
        self.at = _EPOCH  # the carried message's instant and key minute
        self.minute = ""
        self.last_date: str | None = None
        self.last_time: str | None = None
        self.now: tuple[datetime, str] | None = None  # the clock's reading of that header
        self.authors: dict[str, bool] = {}  # author text -> plausible as an author
        self.people: set[str] = set()  # authors of records, at most _PEOPLE_CAP
        self.started = False  # a message was read: the encryption notice can only come first

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
        if isinstance(line, _Undecodable) and self.header.match(line.text) is not None:
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

    def _bad_time(self, date: str, time: str, parts: list[str], k: int) -> None:
        shown = f"{date}, {time}".translate(_MARK_TABLE)
        line = _line_of(parts, self.base, k)
        self.facts.fail(f"The date or time {shown} is not a real one.", f"line {line}")

    # -- the loop -------------------------------------------------------------------------------
    def _segment(self, text: str, final: bool = False) -> Iterator[ParsedRecord]:
        """Read ``text`` (whole lines, each after a newline; "" with ``final``), cut by ``_split`` into
        [before, date, time, rest, ...], each rest "Author: body" and more lines; the last may go on."""
        parts = self._split(text)
        marks = _has_marks(text)  # most Android files hold none at all
        yield from self._lead_in(parts[0], marks, final or len(parts) > 1)
        authors, people, finish = self.authors, self.people, self._finish_message
        counts = self.occurrences.counts
        days, clocks, read_time = self.clock.days, self.clock.clocks, self.clock.read
        last_date, last_time, now, odd = self.last_date, self.last_time, self.now, self.odd
        occ_minute, occ, started = self.occ_minute, self.occ, self.started
        long = len(text) > _MAX_BODY  # only then can one message be too long
        it = iter(parts[1:-3])
        for k, (date, time, rest) in enumerate(zip(it, it, it, strict=False)):
            if time != last_time or date != last_date:
                last_date, last_time = date, time
                d, c = days.get(date), clocks.get(time)  # Clock.read's first step, inline
                now, odd = (((d[1] + c[1], d[3] + c[2]), None) if d and c and d[1]
                            else (read_time(date, time), self.clock.odd))  # odd: see changes.py
            if now is None:
                self._bad_time(date, time, parts, k)
                continue
            author, sep, body = rest.partition(": ")
            if not (sep and authors.get(author)):  # not a known author (none holds a newline)
                if (split := _author_and_body(rest, authors)) is None:
                    self.facts.skipped += 1  # a notice, not a message
                    continue
                author, body = split
            if long and len(body) > _MAX_BODY:
                self._too_long(_line_of(parts, self.base, k))
                continue
            at, minute = now
            if (  # maybe not plain text: _finish_message tests each in turn
                marks or not started or not FAST or "\n" in body
                or (body := body.rstrip())[-1:] in SPECIAL_TAILS or body[-3:] in DOCUMENT_ENDS
                or "maps" in body or body in EXACT or body.startswith(POLL_PREFIXES) or odd
            ):
                self.occ_minute, self.occ = occ_minute, occ
                if (record := finish(author, body, marks, at, minute, odd and (odd, date, time))):
                    yield record
                occ_minute, occ, started = self.occ_minute, self.occ, self.started
                continue
            if minute != occ_minute:  # a plain one-line message: _finish_message's steps, inline
                occ_minute, occ = minute, counts(minute)
            n = occ[ident] = occ.get(ident := (author, body), 0) + 1
            key = record_key(minute, author, body, n - 1)
            record = new(Draft)  # see connections.connectors.drafts
            record.stream, record.key, record.event_at = _STREAM, key, at
            record.payload = {"author": author, "text": body, "kind": "text", "media_name": None}
            if seq := occ.get(_SEQ, 0):  # not the minute's first message: its place in the minute
                record.payload["seq"] = seq
            occ[_SEQ] = seq + 1
            record.media, record.__class__ = None, ParsedRecord
            yield record
            if author not in people and len(people) < _PEOPLE_CAP:
                people.add(author)
        self.last_date, self.last_time, self.now, self.odd = last_date, last_time, now, odd
        self.occ_minute, self.occ = occ_minute, occ
        opened = len(parts) > 1 and self._open(parts, marks)
        self._carry(text.count("\n"), parts, opened)

    def _lead_in(self, before: str, marks: bool, ends: bool) -> list[ParsedRecord]:
        """The lines before a segment's first header: more of the carried message (complete
        when ``ends``: a header follows, or the text ends), or stray text before any message."""
        state = self.state
        if before:
            if state == _OPEN:
                self.pending = f"{self.pending}\n{before[1:]}"
                self.pending_marks = self.pending_marks or marks
            elif state == _NONE:
                self._stray(before[1:], self.base + 1)
        if state != _OPEN or not ends:
            return []
        pending, self.pending, self.state = self.pending, None, _SWALLOW
        if len(pending) > _MAX_BODY:
            self._too_long(self.open_line)
            return []
        record = self._finish_message(
            self.author, pending, self.pending_marks, self.at, self.minute, self.open_odd
        )
        return [] if record is None else [record]

    def _open(self, parts: list[str], marks: bool) -> bool:
        """Read the last header of a segment, whose message may go on in the next one; whether
        it opened a message."""
        date, time, rest = parts[-3:]
        self.state = _SWALLOW
        if time != self.last_time or date != self.last_date:
            self.last_date, self.last_time = date, time
            self.now = self.clock.read(date, time)
            self.odd = self.clock.odd
        self.open_odd = None if self.odd is None else (self.odd, date, time)
        if self.now is None:
            self._bad_time(date, time, parts, len(parts) // 3 - 1)
            return False
        split = _author_and_body(rest, self.authors)
        if split is None:
            self.facts.skipped += 1  # a notice, not a message
            return False
        self.author, self.pending = split
        self.at, self.minute = self.now
        self.state, self.pending_marks = _OPEN, marks
        return True

    def _carry(self, lines: int, parts: list[str], opened: bool) -> None:
        """Keep what the next segment continues: the open message, if any, and the line count."""
        if opened:  # the open message is the last one: count back from the end
            self.open_line = self.base + lines - parts[-1].count("\n")
        if self.state == _OPEN and len(self.pending) > _MAX_BODY:
            self._too_long(self.open_line)
            self.state = _SWALLOW
        if self.state != _OPEN:
            self.pending = None
        self.base += lines

    def _split(self, text: str) -> list[str]:
        fast = self.fast
        header_nl = self.header_nl
        time_group = 1 if self.layout.time_first else 2
        if fast is None:
            parts = split_headers(header_nl, text, time_group)
            if self.layout.time_first:  # (time, date) -> (date, time)
                parts[1::3], parts[2::3] = parts[2::3], parts[1::3]
            return parts
        parts = fast.split(text)
        # A header the fitted regex missed can only hide after a newline inside a chunk: one
        # search over the chunks joined finds it (or, rarely, a false alarm across a joint,
        # which only costs the general split below). A line whose time carries words that are
        # no clock words ("12/03/2024, from 10:00 - 14:00") is text, not a header it missed.
        if first_known(header_nl, parts[0], 2) is None and first_known(header_nl, "".join(parts[3::3]), 2) is None:
            return parts
        self.misfits += 1
        if self.misfits >= 3:
            self.fast = None
        return split_headers(header_nl, text, 2)

    # -- one message ----------------------------------------------------------------------------
    def _finish_message(self, author: str, body: str, pmarks: bool, at: datetime, minute: str,
                        odd: tuple[str, str, str] | None = None) -> ParsedRecord | None:
        """A complete message's record, None for a notice (skipped); ``odd``: ``changes.add``'s."""
        lead = False
        if pmarks:  # (isascii is O(1): no mark in ASCII text)
            lead = body.startswith(_LEAD_MARKS)
            if not body.isascii() and _MARK_RE.search(body) is not None:
                body = body.translate(_MARK_TABLE)
            if not author.isascii() and _MARK_RE.search(author) is not None:
                author = author.translate(_MARK_TABLE).strip()
        if "\n" in body:
            body = _tidy_lines(body)
            head = body.partition("\n")[0]
        else:
            head = body = body.rstrip()
        tail = head[-1:]
        # The edited marker ends the message's last line, which is not the first when it has several.
        if body[-1:] == ">" and (edited := EDITED_RE.search(body)) is not None:
            body, head = _without_edit_marker(body, edited)
            tail = head[-1:]
        # Classify: plain text unless a cheap test says it may be something else.
        exact = EXACT.get(head)
        if (
            exact is None
            and not lead
            and tail not in SPECIAL_TAILS
            and head[-3:] not in DOCUMENT_ENDS
            and "maps" not in head
            and not head.startswith(POLL_PREFIXES)
            and self.started
        ):
            kind, media_name, media_state, media_kind = "text", None, None, None
        else:
            kind, media_name, media_state, media_kind = self._classify(author, head, exact, lead)
            if kind is None:
                return None
        # The key (keys.py): the minute as written, author, content and occurrence number.
        if minute != self.occ_minute:
            self.occ_minute = minute
            self.occ = self.occurrences.counts(minute)
        occ = self.occ
        content = body if kind == "text" else key_content(kind, body)
        n = occ.get(ident := (author, content), 0)
        occ[ident] = n + 1
        key = record_key(minute, author, content, n)
        payload = {"author": author, "text": body, "kind": kind, "media_name": media_name}
        _place_in_minute(occ, payload)
        if media_kind is not None:
            payload["media_kind"] = media_kind
        if author not in self.people and len(self.people) < _PEOPLE_CAP:
            self.people.add(author)
        if odd is not None:
            self.changes.add(*odd)
        if not FAST:  # pragma: no cover - see connections.connectors.drafts
            return ParsedRecord(_STREAM, key, at, payload, media_state)
        record = new(Draft)
        record.stream, record.key, record.event_at = _STREAM, key, at
        record.payload, record.media = payload, media_state
        record.__class__ = ParsedRecord
        return record

    def _classify(
        self, author: str, head: str, exact: tuple | None, lead: bool
    ) -> tuple[str | None, str | None, str | None, str | None]:
        """(kind, media name, media state, media kind) of a first line that may not be plain
        text, counting its media; kind None for a system notice (counted as skipped)."""
        kind, media_name, media_state, media_kind = classify(head, exact, lead)
        if kind == "text" and not lead and not self.started and is_encryption_notice(head):
            # The encryption notice without its mark, as the first line (a group's is written
            # under the group's name): never the first message.
            kind = SYSTEM
        self.started = True
        if kind == SYSTEM:
            if not self.named_by_notice:
                # A notice in a known language is written under the chat's name: it names the
                # chat better than the zip's name, which the owner or a browser may have changed.
                self.chat_name, self.named_by_notice = author, True
            kind = None
        elif lead and kind == "text" and author == self.chat_name:
            kind = None  # iOS system notice whose author is the chat's name
        if kind is None:
            self.facts.skipped += 1
            return None, None, None, None
        if kind == "media":
            media_state = count_media(self.facts, self.media, media_name, media_state)
        return kind, media_name, media_state, media_kind
