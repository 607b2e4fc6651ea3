"""A short chat whose dates could be read either way (all days 12 or less) is read day first
without asking when WhatsApp's own words in it are of a language whose phones only ever write
the day first; where a language is written both ways (English), the owner is still asked.

Before, Deniz's four-message Turkish chat of 1 to 6 June asked whether 01.06.2024 was the 1st
of June or the 6th of January, although its notices and placeholders were Turkish. The keys are
those the owner's answer "day first" gives: they do not depend on the phone's language.
"""

from __future__ import annotations

import pytest

from .helpers import LRM, chat_file, read, zip_file

TURKISH_ANDROID = [
    "01.06.2024 19:00 - Mesajlar ve aramalar uçtan uca şifrelidir. WhatsApp da dahil olmak üzere "
    "bu sohbetin dışında bulunan hiç kimse mesaj ve aramalarınızı okuyamaz ve dinleyemez.",
    "01.06.2024 19:01 - Emre grubu oluşturdu \"Halı Saha\"",
    "01.06.2024 20:37 - Emre: Cumartesi maç var mı?",
    "02.06.2024 09:15 - Ali: <Medya dahil edilmedi>",
    "06.06.2024 21:54 - Selin: geliyorum <Bu mesaj düzenlendi>",
]
GERMAN_ANDROID = [
    "03.05.24, 18:00 - Lena: Noch wach?",
    "03.05.24, 18:05 - Tom: <Medien ausgeschlossen>",
    "04.05.24, 09:00 - Tom: Diese Nachricht wurde gelöscht",
]
RUSSIAN_IPHONE = [
    f"{LRM}[05.06.2024, 11:11:00] Саша: {LRM}Сообщения и звонки защищены сквозным шифрованием.",
    "[05.06.2024, 11:12:00] Саша: Привет",
    f"{LRM}[07.06.2024, 08:00:00] Сэм: {LRM}изображение отсутствует",
]
ARABIC_IPHONE = [
    f"{LRM}[06\u200f/05\u200f/2024 07:00:00] سام: {LRM}الرسائل والمكالمات مشفرة تمامًا بين الطرفين.",
    "[06\u200f/05\u200f/2024 11:11:00] عمر: ok",
    "[09\u200f/05\u200f/2024 17:30:00] عمر: Flight lands 18:40 \u200e<تم تعديل هذه الرسالة>",
]

DAY_FIRST_ROWS = [
    # language, file name, lines, the date the first message is on, the note's sentence, and a
    # line with an English word of WhatsApp's that the same phone cannot have written
    ("Turkish, Android", "WhatsApp Sohbeti - Halı Saha.txt", TURKISH_ANDROID, "2024-06-01",
     "Dates like 01.06.2024 were read day first (1 Jun 2024), as phones set to Turkish always "
     "write them.",
     "06.06.2024 23:59 - Sam: <Media omitted>"),
    ("German, Android", "WhatsApp Chat mit Lena.txt", GERMAN_ANDROID, "2024-05-03",
     "Dates like 03.05.24 were read day first (3 May 2024), as phones set to German always "
     "write them.",
     "04.05.24, 23:59 - Sam: This message was deleted"),
    ("Russian, iPhone", "_chat.txt", RUSSIAN_IPHONE, "2024-06-05",
     "Dates like 05.06.2024 were read day first (5 Jun 2024), as phones set to Russian always "
     "write them.",
     f"{LRM}[07.06.2024, 23:59:00] Sam: {LRM}image omitted"),
    ("Arabic, iPhone", "_chat.txt", ARABIC_IPHONE, "2024-05-06",
     "Dates like 06/05/2024 were read day first (6 May 2024), as phones set to Arabic always "
     "write them.",
     "[09\u200f/05\u200f/2024 23:59:00] Sam: ok <This message was edited>"),
]  # fmt: skip
IDS = [row[0] for row in DAY_FIRST_ROWS]
COLUMNS = ("language", "name", "lines", "day", "sentence", "english")


def _read(tmp_path, name, lines, **options):
    if name == "_chat.txt":
        chat = ("\r\n".join(lines) + "\r\n").encode()
        return read(zip_file(tmp_path, {"_chat.txt": chat}, "WhatsApp Chat - Sam.zip"), **options)
    return read(chat_file(tmp_path, lines, name), **options)


@pytest.mark.parametrize(COLUMNS, DAY_FIRST_ROWS, ids=IDS)
def test_a_short_chat_in_a_day_first_language_is_read_day_first_without_asking(
    tmp_path, language, name, lines, day, sentence, english
):
    records, facts = _read(tmp_path, name, lines)
    answered, _ = _read(tmp_path, name, lines, date_order="dmy")

    assert facts.needs_answer is None
    assert records and records[0].key[:8] == day.replace("-", "")
    assert [(w.kind, w.detail) for w in facts.warnings] == [("date_order_from_language", sentence)]
    assert [r.key for r in records] == [r.key for r in answered]  # as if the owner said day first
    assert facts.date_order_seen is None  # the language is no proof against an earlier answer


@pytest.mark.parametrize(COLUMNS, DAY_FIRST_ROWS, ids=IDS)
def test_only_words_all_of_that_language_settle_it_and_the_owners_answer_comes_first(
    tmp_path, language, name, lines, day, sentence, english
):
    mixed, facts = _read(tmp_path, name, [*lines, english])
    month_first, _ = _read(tmp_path, name, lines, date_order="mdy")

    if "." in sentence.split()[2]:  # dates with dots are day first whatever the language (``_DOTTED``)
        assert facts.needs_answer is None and [w.kind for w in facts.warnings] == ["date_order_from_dots"]
    else:
        assert mixed == [] and facts.needs_answer["question"] == "date_order"
    y, m, d = day.split("-")
    assert month_first[0].key[:8] == f"{y}{d}{m}"  # the owner's answer over the language
    assert month_first and _read(tmp_path, name, lines)[0][0].key[:8] == f"{y}{m}{d}"
