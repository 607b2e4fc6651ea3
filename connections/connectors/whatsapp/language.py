"""The phone's language, from the words WhatsApp wrote into the chat, where it settles the
day/month order of a chat whose dates could be read either way (06/05/24).

Only WhatsApp's own words count, never what people typed: a notice (Android: a line with no
author; iPhone: a body led by its mark), a message that is a placeholder as a whole ("<Medya
dahil edilmedi>", "Bu mesaj silindi", a missed call) and the marker after an edited message.
WhatsApp writes them in the language of the phone that exported the chat, whoever sent the
message. When all of them are words of one language whose phones write the day first wherever
they are used (``words.dates``), the dates are day first; any word of a language written either
way (English), or words of two languages, and the owner is asked, as before.

This is a pass of its own over the text, made only for a chat the owner would otherwise be
asked about; like the others it reads the text in blocks, in bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from .grammar import _LEAD_MARKS, _MARK_TABLE, Layout, split_headers
from .lines import _blocks
from .words import EDITED_LANGUAGES, EDITED_RE, EXACT_LANGUAGES, NOTICE_LANGUAGES, NOTICE_WORDS_RE
from .words.dates import DAY_FIRST


def day_first_language(fh: IO[bytes], layout: Layout) -> str | None:
    """The tag of the language of the chat's WhatsApp words when it writes dates day first and
    every such word is of it; None when there is no such word, or one is also a word of a
    language that writes the month first somewhere, or the words are of two languages."""
    found: frozenset[str] | None = None  # the languages every word so far is a word of
    time_group = 1 if layout.time_first else 2
    for block in _blocks(fh):
        if type(block) is not str:
            block = "".join(f"{line}\n" for line in block if type(line) is str)
        parts = split_headers(layout.header_nl, "\n" + block[:-1], time_group)
        for rest in parts[3::3]:
            for tags in _words_of(rest):
                if not tags <= DAY_FIRST.keys():
                    return None
                found = tags if found is None else found & tags
                if not found:
                    return None
    return None if found is None else min(found)  # (Brazil's and Portugal's words are shared)


def _words_of(rest: str) -> Iterator[frozenset[str]]:
    """The languages of each of WhatsApp's words in a message (the text after its header)."""
    first, _, more = rest.partition("\n")
    author, sep, body = first.partition(": ")
    if not sep or len(author) > 100 or '"' in author or "\u201c" in author or "\u201e" in author:
        yield from _notice_words(first.translate(_MARK_TABLE))  # Android: a notice has no author
        return
    lead = body.startswith(_LEAD_MARKS)
    body = body.translate(_MARK_TABLE).strip()
    if (tags := EXACT_LANGUAGES.get(body)) is not None:
        yield tags
    elif lead:
        yield from _notice_words(body)  # iPhone: a notice, under the chat's name
    last = more.rpartition("\n")[2].translate(_MARK_TABLE).rstrip() if more else body
    if last[-1:] == ">" and (m := EDITED_RE.search(last)) is not None:
        marker = m.group(0).strip()[1:-1].rstrip(".")
        if (tags := EDITED_LANGUAGES.get(marker)) is not None:
            yield tags


def _notice_words(text: str) -> Iterator[frozenset[str]]:
    for m in NOTICE_WORDS_RE.finditer(text):
        yield NOTICE_LANGUAGES[m.group(0)]
