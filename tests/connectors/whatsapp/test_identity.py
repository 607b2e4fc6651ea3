"""The chat's identity hint (``connectors.identity``), gathered by the reader itself: the chat's
name from the file name, then the authors of the records it yielded, not of notices."""

from __future__ import annotations

import pytest

from connections.connectors.identity import (
    MAX_HINT_CHARS,
    MAX_PARTICIPANTS,
    chat_name_from_filename,
)
from tests.connectors.whatsapp.helpers import LRM, chat_file, read, zip_file


def test_an_android_chat_is_named_by_its_file_and_the_authors_of_its_messages(tmp_path):
    path = chat_file(
        tmp_path,
        [
            "18/03/2023, 21:41 - Messages and calls are end-to-end encrypted. Tap to learn more.",
            "18/03/2023, 21:41 - Ben Carter: hello",  # a plain message, read inline
            "18/03/2023, 21:42 - Ana Souza: <Media omitted>",  # media, read by the general step
            "18/03/2023, 21:43 - Chloé Martin added Dan",  # a notice: Chloé wrote nothing
            "18/03/2023, 21:44 - Ana Souza: two",
            "lines",
        ],
        name="WhatsApp Chat with Trip 2024.txt",
    )
    records, facts = read(path)
    assert [r.payload["author"] for r in records] == ["Ben Carter", "Ana Souza", "Ana Souza"]
    assert facts.identity == "Trip 2024: Ana Souza, Ben Carter"


def test_ios_notices_under_the_chat_name_and_marks_around_an_author_do_not_add_people(tmp_path):
    path = chat_file(
        tmp_path,
        [
            f"[18/03/2023, 21:41:35] Trip: {LRM}Messages and calls are end-to-end encrypted.",
            f"[18/03/2023, 21:42:00] {LRM}Ana Souza: {LRM}image omitted",
            "[18/03/2023, 21:43:00] Ana Souza: hi",
            f"[18/03/2023, 21:44:00] Trip: {LRM}Ben Carter added Dan",
        ],
        name="chat.txt",
    )
    records, facts = read(path)
    assert [r.payload["author"] for r in records] == ["Ana Souza", "Ana Souza"]
    assert facts.identity == "Ana Souza"  # no chat name in "chat.txt"


def test_a_chat_that_waits_for_the_date_order_names_no_one_yet(tmp_path):
    path = chat_file(tmp_path, ["01/02/2023, 10:00 - Ana: hi", "01/02/2023, 10:01 - Ben: yo"])
    records, facts = read(path)
    assert records == [] and facts.needs_answer is not None
    assert facts.identity is None
    records, facts = read(path, date_order="dmy")
    assert len(records) == 2 and facts.identity == "Ana, Ben"


def test_a_crowded_chat_names_the_first_people_in_name_order_within_the_hint_limit(tmp_path):
    people = [f"Person {n:03d}" for n in range(MAX_PARTICIPANTS + 5)]
    lines = [f"18/03/2023, 21:{n % 60:02d} - {p}: hi" for n, p in enumerate(people)]
    records, facts = read(chat_file(tmp_path, lines, name="WhatsApp Chat with Club.txt"))
    assert len(records) == len(people)
    names = ", ".join(sorted(people)[:MAX_PARTICIPANTS])
    assert facts.identity == f"Club: {names}"[:MAX_HINT_CHARS]
    assert facts.identity.startswith("Club: Person 000, Person 001, ")


# A group notice in no word list ("hat ein Ereignis erstellt") is still a notice on iOS: it is
# written under the chat's name, with the mark. The German encryption notice names the chat.
_FAMILY_CHAT = [
    f"[14.09.26, 09:00:00] Familie: {LRM}Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt.",
    "[14.09.26, 09:01:00] Anna: Guten Morgen",
    f"[14.09.26, 09:02:00] Familie: {LRM}Anna hat ein Ereignis erstellt",
    "[14.09.26, 09:03:00] Ben: Bin dabei",
]


@pytest.mark.parametrize(
    "filename",
    [
        "WhatsApp Chat - Familie.zip",
        "WhatsApp Chat - Familie (1).zip",  # downloaded twice (Chrome, Edge)
        "WhatsApp Chat - Familie(2).zip",  # Firefox
        "WhatsApp Chat - Familie - Kopie.zip",  # copied in a German Windows
        "Familie.zip",  # renamed by the owner
        "WhatsApp Chat - Oma.zip",  # the zip of another chat's name
    ],
)
def test_an_ios_group_chat_skips_its_notices_whatever_the_zip_was_renamed_to(tmp_path, filename):
    chat = ("\r\n".join(_FAMILY_CHAT) + "\r\n").encode()
    path = zip_file(tmp_path, {"_chat.txt": chat}, name=filename)
    records, facts = read(path)
    assert [r.payload["text"] for r in records] == ["Guten Morgen", "Bin dabei"]
    assert facts.skipped == 2


@pytest.mark.parametrize(
    ("filename", "name"),
    [
        ("WhatsApp Chat - Familie (1).zip", "Familie"),
        ("WhatsApp Chat - Familie(12).zip", "Familie"),
        ("WhatsApp Chat - Familie - Copy (2).zip", "Familie"),
        ("WhatsApp Chat with Anna - kopio.txt", "Anna"),
        ("WhatsApp Chat - Team - Berlin.zip", "Team - Berlin"),  # a name, not a copy's mark
        ("WhatsApp Chat - Klasse 2.zip", "Klasse 2"),
        ("WhatsApp Chat - (1).zip", "(1)"),  # nothing but the mark: it is the name
        ("chat.zip", None),
        # Android names the file in the phone's language.
        ("Chat de WhatsApp con Familia (1).txt", "Familia"),
        ("Conversa do WhatsApp com Família.txt", "Família"),
        ("Discussion WhatsApp avec Famille.txt", "Famille"),
        ("WhatsApp Chat mit Klasse 10 b.txt", "Klasse 10 b"),
        ("Чат WhatsApp с контактом Анна.txt", "Анна"),
        ("Чат WhatsApp с Семья.txt", "Семья"),
    ],
)
def test_a_copy_mark_in_the_file_name_is_not_part_of_the_chat_name(filename, name):
    assert chat_name_from_filename(filename) == name
