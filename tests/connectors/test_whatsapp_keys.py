"""WhatsApp record keys never move: not with the owner's zone, the phone's language, the
platform that wrote the export, or whether media was attached (issue 11 section 2).

The parser alone, no database; the owner scenario through the pipeline is in
tests/coverage/test_whatsapp_zone_change.py.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connections.connectors.base import Artifact, BatchFacts, ParsedRecord, ParseOptions
from connections.connectors.whatsapp import MANIFEST, parse
from connections.connectors.whatsapp.keys import key_content, record_key

LRM = "\u200e"


def read(path: Path, **options) -> list[ParsedRecord]:
    facts = BatchFacts()
    return list(parse(Artifact(path=path, filename=path.name), facts, ParseOptions(**options)))


def chat(tmp_path: Path, lines: list[str], name: str = "chat.txt") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ios_zip(tmp_path: Path, lines: list[str], media: dict[str, bytes], name: str) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("_chat.txt", ("\r\n".join(lines) + "\r\n").encode())
        for member, data in media.items():
            zf.writestr(member, data)
    return path


def keys(records: list[ParsedRecord]) -> list[str]:
    return [r.key for r in records]


# One chat, as four phones write it. Each message: (date d/m/y, time, author, kind, body).
# "media" messages are a photo; "deleted" a deleted message.
CHAT = [
    ("12/03/2023", "09:15", "09:15:07", "Ana", "text", "Bom dia!"),
    ("12/03/2023", "09:15", "09:15:40", "Ben", "media", None),
    ("12/03/2023", "09:15", "09:15:52", "Ben", "media", None),
    ("12/03/2023", "09:16", "09:16:03", "Ana", "deleted", None),
    ("12/03/2023", "21:40", "21:40:00", "Ana", "text", "Gute Nacht"),
    ("13/03/2023", "08:00", "08:00:10", "Ben", "text", "ok"),
    ("13/03/2023", "08:00", "08:00:55", "Ben", "text", "ok"),
]


def android_lines(media_word: str, deleted: str, attach: bool) -> list[str]:
    lines, photo = [], 0
    for date, hm, _, author, kind, body in CHAT:
        if kind == "media":
            photo += 1
            body = f"IMG-20230312-WA000{photo}.jpg (file attached)" if attach else media_word
        elif kind == "deleted":
            body = deleted
        lines.append(f"{date}, {hm} - {author}: {body}")
    return lines


def ios_lines(media_word: str, deleted: str, attach: bool) -> list[str]:
    lines, photo = [], 0
    for date, _, hms, author, kind, body in CHAT:
        d, m, y = date.split("/")
        if kind == "media":
            photo += 1
            name = f"0000001{photo}-PHOTO-2023-03-12-09-15-0{photo}.jpg"
            body = f"{LRM}<attached: {name}>" if attach else f"{LRM}{media_word}"
        elif kind == "deleted":
            body = f"{LRM}{deleted}"
        lines.append(f"[{d}.{m}.{y[2:]}, {hms}] {author}: {body}")
    return lines


def ios_media() -> dict[str, bytes]:
    return {f"0000001{i}-PHOTO-2023-03-12-09-15-0{i}.jpg": b"jpg" for i in (1, 2)}


def test_the_same_chat_read_in_auckland_and_in_berlin_keeps_its_keys(tmp_path):
    path = chat(tmp_path, android_lines("<Media omitted>", "This message was deleted", False))

    auckland = read(path, time_zone=ZoneInfo("Pacific/Auckland"))
    berlin = read(path, time_zone=ZoneInfo("Europe/Berlin"))

    assert [r.event_at for r in auckland] != [r.event_at for r in berlin]
    assert keys(auckland) == keys(berlin)
    assert auckland[0].key.startswith("20230312T0915-")  # the minute as written, no zone


def test_the_same_chat_from_android_ios_english_german_and_with_media_keeps_its_keys(tmp_path):
    android_en = read(
        chat(tmp_path, android_lines("<Media omitted>", "This message was deleted", False))
    )
    android_de = read(
        chat(
            tmp_path,
            android_lines("<Medien ausgeschlossen>", "Diese Nachricht wurde gelöscht", False),
            "de.txt",
        )
    )
    android_media = read(
        chat(tmp_path, android_lines("", "This message was deleted", True), "media.txt")
    )
    ios_en = read(
        ios_zip(
            tmp_path, ios_lines("image omitted", "This message was deleted", False), {}, "en.zip"
        )
    )
    ios_de = read(
        ios_zip(
            tmp_path,
            ios_lines("Bild weggelassen", "Diese Nachricht wurde gelöscht", False),
            {},
            "de.zip",
        )
    )
    ios_attached = read(
        ios_zip(tmp_path, ios_lines("", "This message was deleted", True), ios_media(), "m.zip")
    )

    assert len(android_en) == len(CHAT)
    assert [r.payload["kind"] for r in ios_attached] == [m[4] for m in CHAT]
    for other in (android_de, android_media, ios_en, ios_de, ios_attached):
        assert keys(other) == keys(android_en)
    assert len(set(keys(android_en))) == len(CHAT)


def test_identical_messages_within_a_minute_are_counted_in_file_order(tmp_path):
    path = chat(
        tmp_path,
        [
            "13/03/2023, 08:00 - Ben: ok",
            "13/03/2023, 08:00 - Ana: ok",
            "13/03/2023, 08:00 - Ben: ok",
            "13/03/2023, 08:01 - Ben: ok",
        ],
    )

    records = read(path)

    assert len(set(keys(records))) == 4
    assert records[0].key == record_key("20230313T0800", "Ben", "ok", 0)
    assert records[1].key == record_key("20230313T0800", "Ana", "ok", 0)
    assert records[2].key == record_key("20230313T0800", "Ben", "ok", 1)
    assert records[3].key == record_key("20230313T0801", "Ben", "ok", 0)


def test_a_minute_listed_again_after_another_continues_its_count(tmp_path):
    # Out-of-order lines (a message that reached the phone late) must not reuse a key.
    path = chat(
        tmp_path,
        [
            "13/03/2023, 08:00 - Ben: ok",
            "13/03/2023, 08:01 - Ana: yes",
            "13/03/2023, 08:00 - Ben: ok",
        ],
    )

    records = read(path)

    assert len(set(keys(records))) == 3


def test_media_placeholders_key_on_their_kind_not_their_words():
    assert key_content("media", "<Media omitted>") == key_content("media", "Bild weggelassen")
    assert key_content("deleted", "You deleted this message") == key_content(
        "deleted", "Diese Nachricht wurde gelöscht"
    )
    assert key_content("media", "x") != key_content("text", "x")
    assert key_content("text", "Hallo") == "Hallo"


def test_the_manifest_states_the_key_rule():
    rule = MANIFEST.record_key_rule
    assert "minute" in rule and "zone" in rule and "language" in rule


# --- property: any chat, rendered by any of the phones above, in any zone -------------------
_WORDS = st.sampled_from(["ok", "Hallo", "see you", "ja", "👍", "Bom dia!"])
_MESSAGES = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3),  # minute offset from 08:00
        st.integers(min_value=0, max_value=59),  # seconds (iOS only)
        st.sampled_from(["Ana", "Ben"]),
        st.sampled_from(["text", "text", "media", "deleted"]),
        _WORDS,
    ),
    min_size=1,
    max_size=25,
)
_PHONES = {
    "android_en": ("android", "<Media omitted>", "This message was deleted", False),
    "android_de": ("android", "<Medien ausgeschlossen>", "Diese Nachricht wurde gelöscht", False),
    "android_media": ("android", "", "You deleted this message", True),
    "ios_en": ("ios", "image omitted", "This message was deleted", False),
    "ios_de": ("ios", "Bild weggelassen", "Du hast diese Nachricht gelöscht", False),
    "ios_media": ("ios", "", "This message was deleted", True),
}


def _render(messages, phone: str) -> tuple[list[str], dict[str, bytes]]:
    platform, media_word, deleted, attach = _PHONES[phone]
    lines: list[str] = []
    media: dict[str, bytes] = {}
    for i, (minute, second, author, kind, text) in enumerate(messages):
        body = text
        if kind == "media":
            if platform == "android":
                body = f"IMG-20230312-WA{i:04d}.jpg (file attached)" if attach else media_word
            else:
                name = f"{i:08d}-PHOTO-2023-03-12-08-00-00.jpg"
                body = f"{LRM}<attached: {name}>" if attach else f"{LRM}{media_word}"
                media[name] = b"jpg"
        elif kind == "deleted":
            body = deleted if platform == "android" else f"{LRM}{deleted}"
        if platform == "android":
            lines.append(f"13/03/2023, 08:{minute:02d} - {author}: {body}")
        else:
            lines.append(f"[13.03.23, 08:{minute:02d}:{second:02d}] {author}: {body}")
    return lines, media


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    messages=_MESSAGES.map(lambda ms: sorted(ms, key=lambda m: (m[0], m[1]))),
    phone=st.sampled_from(sorted(_PHONES)),
    zone=st.sampled_from(["UTC", "Pacific/Auckland", "America/Los_Angeles", "Europe/Berlin"]),
)
def test_any_chat_from_any_phone_in_any_zone_gives_the_same_keys(tmp_path, messages, phone, zone):
    reference_lines, _ = _render(messages, "android_en")
    reference = read(chat(tmp_path, reference_lines, "reference.txt"))
    lines, media = _render(messages, phone)
    if phone.startswith("ios"):
        path = ios_zip(tmp_path, lines, media, f"{phone}.zip")
    else:
        path = chat(tmp_path, lines, f"{phone}.txt")

    records = read(path, time_zone=ZoneInfo(zone))

    assert keys(records) == keys(reference)
    assert len(set(keys(records))) == len(messages)
