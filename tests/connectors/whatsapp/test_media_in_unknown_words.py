"""Attached media in a language whose words the reader does not know is still a media message.

WhatsApp names the files it attaches the same way in every language: iOS ``00000012-PHOTO-…``
and ``00000013-<document name>``, Android ``IMG-20240102-WA0003.jpg``. A line that names such a
file inside the language's own brackets is that attachment, whatever the word before or after it.
Before, an iPhone line was counted as text, or, in a chat with one person, whose notices are
written under that person's name, dropped as a notice: the photo Ana sent was gone.
"""

from __future__ import annotations

import pytest

from .helpers import LRM, read, zip_file

# The word an unknown language might use, and the colon its script writes.
IOS_FORMS = [
    ("kiambatisho", ": "),  # Swahili-like
    ("inilakip", ": "),  # Filipino-like
    ("ஜோடி", ": "),  # a Tamil word
    ("添付済み", "\uff1a"),  # a Japanese word with a full-width colon
    ("附加文件", "\uff1a"),
    ("qoşma", ": "),
]
ANDROID_FORMS = ["faili imeambatishwa", "ஃபைல் இணைக்கப்பட்டது", "nakalakip ang file", "ファイル添付"]


def _ios_chat(word: str, colon: str) -> bytes:
    """A chat with Ana (one person): iOS writes its notices under her name."""
    return (
        f"[14/03/2024, 08:00:00] Ana: {LRM}Messages and calls are end-to-end encrypted. No one outside of this "
        "chat, not even WhatsApp, can read or listen to them.\r\n"
        f"{LRM}[14/03/2024, 08:04:00] Ana: {LRM}<{word}{colon}00000012-PHOTO-2024-03-14-08-04-00.jpg>\r\n"
        f"{LRM}[14/03/2024, 08:05:00] Ben: {LRM}<{word}{colon}00000013-PHOTO-2024-03-14-08-05-00.jpg>\r\n"
        f"{LRM}[14/03/2024, 08:06:00] Ben: Report.pdf • {LRM}2 pages {LRM}<{word}{colon}00000014-Report.pdf>\r\n"
        "[14/03/2024, 08:07:00] Ana: hello\r\n"
    ).encode()


@pytest.mark.parametrize(("word", "colon"), IOS_FORMS)
def test_an_iphone_attachment_in_unknown_words_is_the_photo_it_names(tmp_path, word, colon):
    path = zip_file(tmp_path, {
        "_chat.txt": _ios_chat(word, colon),
        "00000012-PHOTO-2024-03-14-08-04-00.jpg": b"\xff\xd8\xff\xd9",
        "00000014-Report.pdf": b"%PDF-1.4",
    }, name="WhatsApp Chat - Ana.zip")

    records, facts = read(path)

    assert [(r.payload["author"], r.payload["kind"]) for r in records] == [
        ("Ana", "media"), ("Ben", "media"), ("Ben", "media"), ("Ana", "text"),
    ]
    assert [r.media for r in records[:3]] == ["attached", "missing", "attached"]
    assert (facts.media_declared, facts.media_attached, facts.media_missing) == (3, 2, 1)
    assert facts.skipped == 1  # the encryption notice, and nothing else


@pytest.mark.parametrize("words", ANDROID_FORMS)
def test_an_android_attachment_in_unknown_words_is_the_file_it_names(tmp_path, words):
    chat = (
        f"14/03/2024, 08:04 - Ana: IMG-20240314-WA0003.jpg ({words})\n"
        f"14/03/2024, 08:05 - Ana: PTT-20240314-WA0004.opus ({words})\n"
        "14/03/2024, 08:06 - Ana: A photo of the bay (taken from the ferry)\n"
    ).encode()
    path = zip_file(tmp_path, {"WhatsApp Chat with Ana.txt": chat, "IMG-20240314-WA0003.jpg": b"\xff\xd8\xff\xd9"})

    records, facts = read(path)

    assert [r.payload["kind"] for r in records] == ["media", "media", "text"]
    assert [r.media for r in records[:2]] == ["attached", "missing"]
    assert (facts.media_declared, facts.media_attached, facts.media_missing) == (2, 1, 1)
