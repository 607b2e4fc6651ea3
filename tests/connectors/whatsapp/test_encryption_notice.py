"""The encryption notice an iPhone writes at the top of a chat is a notice in any language and
any of WhatsApp's wordings, not a message from the person the chat is with.

On iOS the notice is written under the chat's name, which is the other person's name in a chat
with one person; when the zip's name does not say that name (the owner renamed it, or the
phone's language wrote the name in its own script), only the notice's words tell it apart.
Before, Sam's chat in Japanese or Arabic began with a message from Sam that Sam never wrote.
"""

from __future__ import annotations

import pytest

from .helpers import LRM, read, zip_file

RLM = "\u200f"


JA_MORNING = ("[2024/05/16 07:05:00] 由紀: おはよう", "おはよう")
AR_MORNING = (f"[16{RLM}/05{RLM}/2024 07:05:00] عمر: صباح الخير", "صباح الخير")


@pytest.mark.parametrize(
    ("language", "notice", "morning"),
    [
        (
            "Japanese, as WhatsApp words it now",
            f"{LRM}[2024/05/16 07:00:00] サム: {LRM}メッセージと通話はエンドツーエンドで暗号化"
            "されています。チャットの参加者以外は、WhatsAppであっても読んだり聞いたりできません。",
            JA_MORNING,
        ),
        (
            "Arabic, without the tanween",
            f"{LRM}[16{RLM}/05{RLM}/2024 07:00:00] سام: {LRM}الرسائل والمكالمات مشفرة تماما بين"
            " الطرفين.",
            AR_MORNING,
        ),
        (
            "Arabic, from end to end",
            f"{LRM}[16{RLM}/05{RLM}/2024 07:00:00] سام: {LRM}الرسائل والمكالمات مشفرة تشفيرًا"
            " تامًا من طرف إلى طرف. لا يمكن لأحد سوى أعضاء هذه الدردشة قراءتها.",
            AR_MORNING,
        ),
        (
            "Arabic, as the first line without its mark",
            f"[16{RLM}/05{RLM}/2024 07:00:00] سام: الرسائل والمكالمات مشفرة تماما بين الطرفين.",
            AR_MORNING,
        ),
    ],
)
def test_the_encryption_notice_in_another_language_is_no_message_from_the_person(
    tmp_path, language, notice, morning
):
    line, text = morning
    chat = f"{notice}\r\n{line}\r\n"
    path = zip_file(tmp_path, {"_chat.txt": chat.encode()}, name="WhatsApp Chat - Sam.zip")

    records, facts = read(path)

    assert [r.payload["text"] for r in records] == [text]
    assert facts.skipped == 1
