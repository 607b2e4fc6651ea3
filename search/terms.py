"""What the owner typed, read as the search understands it: words, and pieces of text.

A word is found through the database's index, as a whole word: the index's tokenizers (FTS5's
``unicode61``, PostgreSQL's ``simple``) cut text at spaces and punctuation, which is where words
end in most scripts. Some scripts are written without spaces between words (Chinese, Japanese,
Thai, Lao, Khmer, Myanmar, Tibetan): there the index holds a whole sentence as one "word", and a
word typed from inside it would never match. What the owner types in those scripts is a piece,
found anywhere in the text (a substring, case-insensitive). So is an emoji or another pictograph,
which the tokenizers drop as separators, and anything typed with no word in it at all ("?!").

Punctuation next to words is not syntax and not searched ("lunch?" is the word ``lunch``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

MOST_TERMS = 16

# Unicode blocks of the scripts written without spaces between words (Unicode's Blocks.txt;
# Korean is written with spaces and is not here). A term holding any of these is a piece.
UNSPACED_BLOCKS = (
    (0x0E00, 0x0E7F),  # Thai
    (0x0E80, 0x0EFF),  # Lao
    (0x0F00, 0x0FFF),  # Tibetan
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x19E0, 0x19FF),  # Khmer Symbols
    (0x2E80, 0x2FDF),  # CJK Radicals Supplement, Kangxi Radicals
    (0x3005, 0x3007),  # ideographic iteration mark, closing mark, number zero
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3100, 0x312F),  # Bopomofo
    (0x31A0, 0x31FF),  # Bopomofo Extended, CJK Strokes, Katakana Phonetic Extensions
    (0x3400, 0x4DBF),  # CJK Unified Ideographs Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xA9E0, 0xA9FF),  # Myanmar Extended-B
    (0xAA60, 0xAA7F),  # Myanmar Extended-A
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0xFF66, 0xFF9F),  # Halfwidth Katakana
    (0x1B000, 0x1B16F),  # Kana Supplement, Kana Extended-A, Small Kana Extension
    (0x20000, 0x323AF),  # CJK Unified Ideographs Extensions B to H
)

# Variation selectors ask for an emoji's look (U+FE0F) or a text look (U+FE0E); a message holds
# "❤" with or without one, so a piece is looked for without them.
_PRESENTATION = dict.fromkeys((0xFE0E, 0xFE0F))
_WORD = re.compile(r"\w+")
_WORD_CHARACTER = re.compile(r"[^\W_]")  # a letter or a digit: what makes a word


@dataclass(frozen=True)
class Terms:
    words: list[str] = field(default_factory=list)  # whole words, through the index
    pieces: list[str] = field(default_factory=list)  # anywhere in the text: unspaced scripts, emoji

    def __bool__(self) -> bool:
        return bool(self.words or self.pieces)


def unspaced(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in UNSPACED_BLOCKS)


def _punctuation(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def _picture(char: str) -> bool:
    """An emoji or another pictograph (``So``); not a sign such as + or $, which reads as syntax."""
    return unicodedata.category(char) == "So"


def read(query: str) -> Terms:
    """The words and pieces of ``query``, at most ``MOST_TERMS`` of them, words first.

    Each run between spaces and punctuation that holds a character of an unspaced script is a
    piece; any other run is read as words, as the index reads text. A run with no word but a
    pictograph (an emoji) is a piece; when the query holds no word at all, each of its runs is a
    piece as typed, punctuation and all.
    """
    chunks = query.split()
    any_word = any(_WORD_CHARACTER.search(chunk) for chunk in chunks)
    words: list[str] = []
    pieces: list[str] = []
    for chunk in chunks:
        runs = _runs(chunk)
        if not runs and not any_word:  # nothing but punctuation, and nothing else typed
            pieces.append(chunk)
        for run in runs:
            if any(unspaced(char) for char in run):
                pieces.append(run)
            elif _WORD_CHARACTER.search(run):
                words += _WORD.findall(run)
            elif not any_word or any(_picture(char) for char in run):
                pieces.append(run)
    pieces = [kept for kept in (piece.translate(_PRESENTATION) for piece in pieces) if kept]
    words = words[:MOST_TERMS]
    return Terms(words=words, pieces=pieces[: MOST_TERMS - len(words)])


def _runs(chunk: str) -> list[str]:
    """``chunk`` cut at its punctuation."""
    runs, run = [], []
    for char in chunk:
        if _punctuation(char):
            runs.append("".join(run))
            run = []
        else:
            run.append(char)
    runs.append("".join(run))
    return [run for run in runs if run]
