"""The words of a found record's text around what matched, the matches marked.

A snippet is plain text whose matches sit between ``MARK_START`` and ``MARK_END`` (control
characters no text holds; ``search.views`` escapes the snippet, then turns them into ``<mark>``).
SQLite's FTS5 cuts its own snippets for a search of words only; this module cuts the others: every
snippet on PostgreSQL (``ts_headline`` reads text as HTML and drops what looks like a tag), and
any search with a piece (a substring) on either database, which the index knows nothing of.
"""

from __future__ import annotations

import re
import unicodedata

from .terms import Terms

MARK_START, MARK_END = "\x02", "\x03"
SNIPPET_WORDS = 24  # about as many words as FTS5's snippets hold
LONGEST = 200  # characters: a sentence in an unspaced script is one "word" of any length
BEFORE = 60  # characters kept before the first match when a snippet is cut by length
_WORD = re.compile(r"\w+")
_PRESENTATION = "\ufe0e\ufe0f"  # a variation selector stays with the emoji it follows


def snippet(body: str, terms: Terms) -> str:
    """About ``SNIPPET_WORDS`` words (at most ``LONGEST`` characters) of ``body`` around the first
    match, each whole word of ``terms.words`` and each occurrence of a piece marked."""
    body = " ".join(body.split())
    matches = _matches(body, terms)
    start, end = _window(body, matches[0] if matches else (0, 0))
    out, at = [], start
    for low, high in matches:
        if low < start or high > end:
            continue
        out += [body[at:low], MARK_START, body[low:high], MARK_END]
        at = high
    out.append(body[at:end])
    return ("…" if start else "") + "".join(out) + ("…" if end < len(body) else "")


def fold(text: str) -> str:
    """A word as the index compares it: case and diacritics aside (``remove_diacritics``)."""
    return "".join(c for c in unicodedata.normalize("NFD", text.casefold()) if not unicodedata.combining(c))


def _matches(body: str, terms: Terms) -> list[tuple[int, int]]:
    """Where the terms are in ``body``: (start, end) spans in order, none overlapping."""
    wanted = {fold(word) for word in terms.words}
    spans = [m.span() for m in _WORD.finditer(body) if fold(m.group()) in wanted] if wanted else []
    lowered, where = _lowered(body)
    for piece in terms.pieces:
        needle = _lowered(piece)[0]
        at = lowered.find(needle)
        while needle and at >= 0:
            end = where[at + len(needle) - 1] + 1
            while end < len(body) and body[end] in _PRESENTATION:
                end += 1
            spans.append((where[at], end))
            at = lowered.find(needle, at + len(needle))
    kept: list[tuple[int, int]] = []
    for low, high in sorted(spans):
        if not kept or low >= kept[-1][1]:
            kept.append((low, high))
    return kept


def _lowered(text: str) -> tuple[str, list[int]]:
    """``text`` in lower case, and for each of its characters the index in ``text`` it came from
    (a character may lower to two: "İ")."""
    out, where = [], []
    for i, char in enumerate(text):
        lower = char.lower()
        out.append(lower)
        where += [i] * len(lower)
    return "".join(out), where


def _window(body: str, first: tuple[int, int]) -> tuple[int, int]:
    """The part of ``body`` shown: ``SNIPPET_WORDS`` words from a third before the first match,
    cut to ``LONGEST`` characters around it."""
    spans = list(_WORD.finditer(body))
    if not spans:
        start, end = 0, len(body)
    else:
        at = next((i for i, m in enumerate(spans) if m.end() > first[0]), len(spans) - 1)
        start_word = max(0, at - SNIPPET_WORDS // 3)
        end_word = min(len(spans), start_word + SNIPPET_WORDS)
        start = 0 if start_word == 0 else spans[start_word].start()
        end = len(body) if end_word == len(spans) else spans[end_word - 1].end()
    if end - start > LONGEST:
        start = max(start, first[0] - BEFORE)
        end = min(end, max(start + LONGEST, first[1]))
    return start, end
