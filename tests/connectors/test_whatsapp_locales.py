"""WhatsApp exports in every language, calendar and layout (issue 13): the same chat, written by
phones set to 59 languages (iOS and Android), gives the same messages, media kinds, notices and
range. Fixtures: tests/fixtures/whatsapp/locales (make_fixtures.py writes them)."""

from __future__ import annotations

import io
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connections.connectors.base import Artifact, ArtifactRejected, BatchFacts, ParseOptions
from connections.connectors.whatsapp import PARSER_VERSION, parse
from connections.connectors.whatsapp.words import LOCALES

LOCALE_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "whatsapp" / "locales"
sys.path.insert(0, str(LOCALE_DIR))
import make_fixtures  # noqa: E402

START = datetime(2023, 3, 18, 21, 41, 35, tzinfo=UTC)

# What every iOS file must give: 12 messages (14 lines less the encryption and security-code
# notices), the six media placeholders and the document by kind (omitted), the photo attached
# by reference (missing: a .txt holds no media), one deleted message, one missed call.
IOS = {
    "records": 12,
    "skipped": 2,
    "kinds": {"text": 2, "media": 8, "deleted": 1, "call": 1},
    "media": {
        "image": 2,
        "video": 1,
        "audio": 1,
        "sticker": 1,
        "gif": 1,
        "contact": 1,
        "document": 1,
    },
    "omitted": 7,
    "missing": 1,
    "first": START + timedelta(minutes=1),
    "last": START + timedelta(minutes=13),
}
# Android: one "<Media omitted>" for every type (kind unknown), the photo by file name, no call
# lines, no seconds.
ANDROID = {
    "records": 11,
    "skipped": 2,
    "kinds": {"text": 2, "media": 8, "deleted": 1},
    "media": {"unknown": 7, "image": 1},
    "omitted": 7,
    "missing": 1,
    "first": START.replace(second=0) + timedelta(minutes=1),
    "last": START.replace(second=0) + timedelta(minutes=13),
}
CASES = [(tag, "ios", IOS) for tag in LOCALES] + [(tag, "android", ANDROID) for tag in LOCALES]
CASES += [(name, "ios", IOS) for name in make_fixtures.EXTRA_LAYOUTS]


def read(path: Path, **options):
    facts = BatchFacts()
    records = list(parse(Artifact(path=path, filename=path.name), facts, ParseOptions(**options)))
    return records, facts


def summary(records, facts) -> dict:
    media = Counter(r.payload.get("media_kind") for r in records if r.payload["kind"] == "media")
    return {
        "records": len(records),
        "skipped": facts.skipped,
        "kinds": dict(Counter(r.payload["kind"] for r in records)),
        "media": dict(media),
        "omitted": facts.media_omitted,
        "missing": facts.media_missing,
        "first": min(r.event_at for r in records),
        "last": max(r.event_at for r in records),
    }


@pytest.mark.parametrize(
    ("tag", "platform", "expected"), CASES, ids=[f"{t}-{p}" for t, p, _ in CASES]
)
def test_a_chat_exported_in_any_language_gives_its_messages_media_by_kind_and_skips_notices(
    tag, platform, expected
):
    records, facts = read(LOCALE_DIR / f"{tag}.{platform}.txt")

    assert facts.failed == 0
    assert facts.needs_answer is None
    assert facts.parser_version == PARSER_VERSION == "whatsapp/6"
    assert summary(records, facts) == expected
    assert {r.payload["author"] for r in records} == {"Ana Souza", "Ben Carter"}


def test_the_committed_fixtures_are_what_the_script_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(make_fixtures, "HERE", tmp_path)
    make_fixtures.main()
    for made in tmp_path.glob("*.txt"):
        assert made.read_bytes() == (LOCALE_DIR / made.name).read_bytes(), made.name


def keyed(path: Path) -> list[tuple]:
    records, _ = read(path)
    return [(r.key, r.event_at, r.payload["kind"], r.payload.get("media_kind")) for r in records]


@given(
    st.sampled_from(sorted(LOCALES)),
    st.sampled_from(sorted(LOCALES)),
    st.sampled_from(["ios", "android"]),
)
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_the_same_chat_in_any_two_languages_gives_the_same_records(first, second, platform):
    assert keyed(LOCALE_DIR / f"{first}.{platform}.txt") == keyed(
        LOCALE_DIR / f"{second}.{platform}.txt"
    )


@pytest.mark.parametrize("name", sorted(make_fixtures.EXTRA_LAYOUTS))
def test_other_calendars_and_layouts_give_the_same_records_as_the_gregorian_chat(name):
    assert keyed(LOCALE_DIR / f"{name}.ios.txt") == keyed(LOCALE_DIR / "en.ios.txt")


@pytest.mark.parametrize(
    ("first_line", "seen"),
    [
        ("[1402/12/27, 21:41:35] Ana: سلام", "1402/12/27"),  # the Persian (solar hijri) calendar
        ("[18/3/1444 AH, 21:41:35] Ana: hi", "18/3/1444 AH"),  # the Islamic calendar
        ("[3/18/S64, 9:41:35 PM] Ana: hi", "3/18/S64"),  # a Japanese era before WhatsApp
    ],
)
def test_a_calendar_ownerhub_cannot_read_is_named_not_called_an_edited_file(
    tmp_path, first_line, seen
):
    path = tmp_path / "_chat.txt"
    path.write_text(first_line + "\n", encoding="utf-8")
    with pytest.raises(ArtifactRejected) as caught:
        read(path)
    assert caught.value.reason == "unsupported"
    assert caught.value.detail.startswith(
        f"Dates like {seen} are in a calendar Ownerhub cannot read yet"
    )
    assert "edit" not in caught.value.detail


def test_a_layout_ownerhub_cannot_read_is_named_not_called_an_edited_file(tmp_path):
    path = tmp_path / "_chat.txt"
    path.write_text(
        "[18 mars 2023 à 21:41:35] Ana Souza: Bonsoir\n[18 mars 2023 à 21:42:00] Ben: Salut\n",
        encoding="utf-8",
    )
    with pytest.raises(ArtifactRejected) as caught:
        read(path)
    assert caught.value.reason == "unsupported"
    assert caught.value.detail.startswith(
        "Dates like 18 mars 2023 à 21:41:35 are in a layout Ownerhub cannot read yet"
    )
    assert "edit" not in caught.value.detail


def test_only_a_file_that_looks_edited_is_told_not_to_edit_it(tmp_path):
    from connections.connectors.whatsapp import MANIFEST

    path = tmp_path / "_chat.txt"
    path.write_text("Ana: hi\nBen: hello\n", encoding="utf-8")
    with pytest.raises(ArtifactRejected) as caught:
        read(path)
    assert caught.value.reason == "wrong_source"
    assert "edit" in caught.value.detail
    assert "edit" not in MANIFEST.recovery  # the recovery is added to every rejection


def test_a_group_encryption_notice_without_its_mark_is_a_notice_not_the_first_message(tmp_path):
    path = tmp_path / "_chat.txt"
    path.write_text(
        "[1/5/23, 10:00:00] Trip 2024: Messages and calls are end-to-end encrypted. Only people in "
        "this chat can read, listen to, or share them.\n"
        "[3/18/23, 21:42:35] Ana Souza: Hello everyone\n",
        encoding="utf-8",
    )
    records, facts = read(path)
    assert [r.payload["text"] for r in records] == ["Hello everyone"]
    assert facts.skipped == 1
    assert records[0].event_at == START + timedelta(minutes=1)


# --- through the real pipeline ----------------------------------------------------------------
@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.mark.django_db
@pytest.mark.usefixtures("immediate_tasks")
@pytest.mark.parametrize(("first", "second"), [("fr", "de"), ("ar", "ja"), ("en", "pt-BR")])
def test_the_same_chat_exported_in_two_languages_imports_once(owner, first, second):
    from connections.services import add_connection
    from coverage.models import AcquisitionBatch, Record
    from coverage.pipeline import preview_artifact, start_commit

    chat = add_connection(owner, "whatsapp", "trip", "Trip 2024")
    batches = []
    for tag in (first, second):
        data = (LOCALE_DIR / f"{tag}.ios.txt").read_bytes()
        name = f"WhatsApp Chat with Trip 2024 ({tag}).txt"
        batch = start_commit(preview_artifact(chat, io.BytesIO(data), name))
        batches.append(AcquisitionBatch.objects.get(pk=batch.pk))

    assert [b.status for b in batches] == ["committed", "committed"]
    assert (batches[0].count_accepted, batches[0].count_duplicate) == (12, 0)
    assert (batches[1].count_accepted, batches[1].count_duplicate) == (0, 12)
    assert Record.objects.filter(connection=chat).count() == 12
    media = Counter(
        r["payload"].get("media_kind")
        for r in Record.objects.filter(connection=chat).values("payload")
    )
    assert media[None] == 4 and media["image"] == 2 and media["document"] == 1


# --- any chat, any language, any layout -------------------------------------------------------
KINDS = ("text", "image", "video", "audio", "sticker", "gif", "contact", "deleted")
NAMES = ("Ana Souza", "Ben Carter", "Chloé Martin", "Dário", "李雷", "محمد")
TEXT = (
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp", "Cf")),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(lambda t: t and ": " not in t and not t.endswith((")", ">", ":")))
)
MESSAGES = st.lists(
    st.tuples(
        st.integers(0, 3 * 24 * 60),  # minutes after the previous message (0: the same minute)
        st.integers(0, 59),  # its second
        st.sampled_from(NAMES),
        st.sampled_from(KINDS),
        TEXT,
    ),
    min_size=1,
    max_size=25,
)
LAYOUT_TAGS = sorted(make_fixtures.LAYOUTS)


def render_chat(messages, tag: str, platform: str) -> str:
    words, layout = LOCALES[tag], make_fixtures.LAYOUTS[tag]
    android = platform == "android"
    at = START.replace(tzinfo=None)
    lines = []
    for gap, second, author, kind, text in messages:
        at = (at + timedelta(minutes=gap)).replace(second=second)
        if kind == "text":
            body = text
        elif android and kind != "deleted":
            body = make_fixtures.word(words, "media_omitted")
        else:
            body = make_fixtures.LRM + make_fixtures.word(words, kind)
        lines.append(f"{layout(at, android)}{author}: {body}")
    return "\n".join(lines) + "\n"


def records_of(text: str, tmp_dir: Path, name: str) -> list[tuple]:
    path = tmp_dir / name
    path.write_text(text, encoding="utf-8")
    records, facts = read(path, date_order="dmy" if "/" in text or "." in text else None)
    return [(r.key, r.event_at, r.payload["kind"], r.payload.get("media_kind")) for r in records]


@given(
    MESSAGES,
    st.sampled_from(LAYOUT_TAGS),
    st.sampled_from(LAYOUT_TAGS),
    st.sampled_from(["ios", "android"]),
)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_chat_rendered_in_any_two_languages_and_layouts_gives_the_same_records(
    tmp_path, messages, first, second, platform
):
    ones = records_of(render_chat(messages, first, platform), tmp_path, "first.txt")
    others = records_of(render_chat(messages, second, platform), tmp_path, "second.txt")
    assert ones == others
    assert len(ones) == len(messages)


def test_a_message_about_encryption_later_in_the_chat_stays_a_message(tmp_path):
    path = tmp_path / "_chat.txt"
    path.write_text(
        f"[3/18/23, 21:41:35] Ana Souza: {make_fixtures.LRM}Messages and calls are end-to-end "
        "encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them.\n"
        "[3/18/23, 21:42:35] Ana Souza: Are our chats really end-to-end encrypted, even on WhatsApp?\n",
        encoding="utf-8",
    )
    records, facts = read(path)
    assert [r.payload["text"] for r in records] == [
        "Are our chats really end-to-end encrypted, even on WhatsApp?"
    ]
    assert facts.skipped == 1


@pytest.mark.parametrize(
    ("line", "media_kind", "state"),
    [
        ("18. 3. 2023 21:41 - Ana: <Média vynechána>", "unknown", "omitted"),  # Czech Android
        ("18. 3. 2023 21:41 - Ana: <Média vynechány>", "unknown", "omitted"),
        ("18. 3. 2023 21:41 - Ana: < Média vynechána >", "unknown", "omitted"),
        ("18/03/15 21:41:35: Ana: <\u200eaudio omitted>", "audio", "omitted"),  # iOS, 2015
        (
            "[18.03.23, 21:41:35] Ana: \u200e<angehängt: 00000042-PHOTO-2023-03-18-21-41-35.jpg>",
            "image",
            "missing",
        ),
        ("[18.03.23, 21:41:35] Ana: \u200eKontaktkarte ausgelassen", "contact", "omitted"),
        ("[18/3/23, 21:41:35] Ana: \u200eVideo omitido", "video", "omitted"),  # capitalised
        ("[18.03.2023, 21:41:35] Ana: \u200eКарточка контакта отсутствует", "contact", "omitted"),
        ("18/03/2023, 21:41 - Ana: PTT-20230318-WA0001.opus (file attached)", "voice", "missing"),
        (
            "[18/03/2023, 21:41:35] Ana: \u200e<attached: 00000043-AUDIO-2023-03-18-21-41-35.opus>",
            "voice",
            "missing",
        ),
    ],
)
def test_each_form_an_owner_reported_is_media_of_its_kind(tmp_path, line, media_kind, state):
    path = tmp_path / "_chat.txt"
    path.write_text(line + "\n", encoding="utf-8")
    records, facts = read(path, date_order="dmy")
    assert [(r.payload["kind"], r.payload["media_kind"], r.media) for r in records] == [
        ("media", media_kind, state)
    ]
