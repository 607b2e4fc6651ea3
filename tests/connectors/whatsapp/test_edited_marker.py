"""An edited message keys the same whichever language the phone wrote its marker in."""

from __future__ import annotations

import pytest

from .helpers import LRM, chat_file, read

RLM = "\u200f"

ENGLISH = "19/03/2023, 21:40 - Ana: Tram is 3 euros <This message was edited>"


@pytest.mark.parametrize(
    ("language", "lines"),
    [
        ("Turkish", ["19/03/2023, 21:40 - Ana: Tram is 3 euros <Bu mesaj düzenlendi>"]),
        ("Brazilian Portuguese", ["19/03/2023, 21:40 - Ana: Tram is 3 euros <Mensagem editada>"]),
        (
            "Brazilian Portuguese, iPhone",
            [f"[19/03/2023, 21:40:12] Ana: Tram is 3 euros {LRM}<Mensagem editada>"],
        ),
        (
            "German, with its period",
            ["19/03/2023, 21:40 - Ana: Tram is 3 euros <Diese Nachricht wurde bearbeitet.>"],
        ),
        ("Indonesian", ["19/03/23 21.40 - Ana: Tram is 3 euros <Pesan ini telah diedit>"]),
        ("Indonesian, shorter", ["19/03/23 21.40 - Ana: Tram is 3 euros <Pesan ini diedit>"]),
        (
            "Indonesian, iPhone",
            [f"[19/03/23 21.40.12] Ana: Tram is 3 euros {LRM}<Pesan ini telah diedit>"],
        ),
        (
            "Arabic, in Arabic digits",
            [f"١٩{RLM}/٣{RLM}/٢٠٢٣، ٩:٤٠\u00a0م - Ana: Tram is 3 euros <تم تعديل هذه الرسالة>"],
        ),
        (
            "Arabic, iPhone, the marker after a right-to-left mark",
            [f"[19{RLM}/03{RLM}/2023 21:40:12] Ana: Tram is 3 euros {RLM}<تم تعديل هذه الرسالة>"],
        ),
        (
            "Arabic, iPhone, the marker after a left-to-right mark",
            [f"[19{RLM}/03{RLM}/2023 21:40:12] Ana: Tram is 3 euros {LRM}<تم تعديل هذه الرسالة>"],
        ),
        (
            "Japanese, iPhone",
            [f"[2023/03/19 21:40:12] Ana: Tram is 3 euros {LRM}<このメッセージは編集されました>"],
        ),
        ("Dutch", ["19-03-2023 21:40 - Ana: Tram is 3 euros <Dit bericht is bewerkt>"]),
        (
            "European Portuguese",
            ["19/03/2023, 21:40 - Ana: Tram is 3 euros <Esta mensagem foi editada>"],
        ),
    ],
)
def test_an_edited_message_exported_in_another_language_keys_as_in_english(
    tmp_path, language, lines
):
    (english,), _ = read(chat_file(tmp_path, [ENGLISH], "en.txt"))
    (other,), _ = read(chat_file(tmp_path, lines, "other.txt"))

    assert other.payload["text"] == "Tram is 3 euros"
    assert other.key == english.key


def test_an_edited_message_of_several_lines_loses_the_marker_after_its_last_line(tmp_path):
    edited = chat_file(
        tmp_path,
        ["19/03/2023, 21:40 - Ana: Tram is 3 euros", "bus is 2 <Bu mesaj düzenlendi>"],
        "a.txt",
    )
    plain = chat_file(tmp_path, ["19/03/2023, 21:40 - Ana: Tram is 3 euros", "bus is 2"], "b.txt")

    (first,), _ = read(edited)
    (second,), _ = read(plain)

    assert first.payload["text"] == "Tram is 3 euros\nbus is 2"
    assert first.key == second.key
