"""Reading an import again: with today's reader (it knows more words) or in the owner's new zone."""

from __future__ import annotations

import importlib
import io
from datetime import timedelta

import pytest
from django.core.management import call_command

from connections.connectors import whatsapp
from connections.connectors.base import BatchFacts, ParsedRecord
from connections.models import Connection
from coverage.models import AcquisitionBatch, CoverageSummary, LaneSummary, Record
from coverage.pipeline import acquire_records, preview_artifact, start_commit
from coverage.pipeline import reread as reread_stage
from coverage.pipeline.reread import RereadRefused, commit_reread, preview_reread
from coverage.pipeline.reread_which import outdated_imports
from coverage.reread_words import previewed
from tests.factories import OwnerProfileFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]
Status = AcquisitionBatch.Status
LRM = "\u200e"

# A French iPhone chat: the encryption notice (author: the chat's name), two media placeholders.
NOTICE = (
    f"[18/03/2023 10:00:00] Famille: {LRM}Les messages et les appels sont chiffrés de bout en bout. "
    "Personne en dehors de cette discussion ne peut les lire.\n"
)
FIRST_DAY = (
    "[18/03/2023 10:01:12] Alice: Bonjour à tous\n"
    f"[18/03/2023 10:02:30] Bruno: {LRM}image absente\n"
    "[18/03/2023 10:03:00] Alice: Super photo !\n"
)
SECOND_DAY = f"[19/03/2023 21:15:45] Bruno: {LRM}vidéo absente\n[19/03/2023 21:16:00] Alice: Bonne nuit\n"
CHAT = NOTICE + FIRST_DAY + SECOND_DAY
OLDER_READER = "whatsapp/1"
# What the older reader knew of French: Android's one placeholder, no iPhone words, no notices.
OLDER_FRENCH = {"media_omitted": ("<Médias omis>",)}


def _reload_words() -> None:
    """Build the reader's word tables again from the locale dicts (the reader looks them up at import)."""
    package = "connections.connectors.whatsapp"
    importlib.reload(importlib.import_module(f"{package}.words"))
    for name in ("media", "keys", "reader"):
        module = importlib.import_module(f"{package}.{name}")
        importlib.reload(module)


@pytest.fixture
def older_reader(monkeypatch):
    """While on: today's WhatsApp reader with some word tables trimmed (``tables``: by default the
    French one), and the older version name."""
    europe = importlib.import_module("connections.connectors.whatsapp.words.europe")
    today = whatsapp.PARSER_VERSION

    class Switch:
        on = False
        tables = {"FR": OLDER_FRENCH}

        def __enter__(self):
            self.full = {name: getattr(europe, name) for name in self.tables}
            for name, table in self.tables.items():
                monkeypatch.setattr(europe, name, table)
            monkeypatch.setattr(whatsapp, "PARSER_VERSION", OLDER_READER)
            _reload_words()
            self.on = True

        def __exit__(self, *exc):
            for name, table in self.full.items():
                monkeypatch.setattr(europe, name, table)
            monkeypatch.setattr(whatsapp, "PARSER_VERSION", today)
            _reload_words()
            self.on = False

    switch = Switch()
    yield switch
    if switch.on:
        switch.__exit__()


def upload(connection, text: str, name: str = "_chat.txt") -> AcquisitionBatch:
    batch = start_commit(preview_artifact(connection, io.BytesIO(text.encode()), name))
    batch.refresh_from_db()
    assert batch.status == Status.COMMITTED, batch.reject_detail
    return batch


def held(connection) -> dict[str, tuple]:
    """What the source holds: key -> (time, payload, media)."""
    return {
        r.key: (r.event_at, r.payload, r.media)
        for r in Record.objects.filter(connection=connection).visible()
    }


def summaries(connection) -> tuple[dict, list[dict]]:
    """The coverage and lane rows every surface reads, without ids and clock times."""
    summary = CoverageSummary.objects.filter(connection=connection).values(
        "record_count", "earliest_event_at", "covered_through", "media_declared", "media_attached",
        "media_missing", "media_omitted", "holes",
    ).get()
    lanes = list(LaneSummary.objects.filter(connection=connection).values(
        "method", "batches", "records", "accepted", "earliest_event_at", "covered_through", "day_counts", "media_days",
    ))
    return summary, lanes


def fresh(make_connection, *texts: str) -> dict[str, tuple]:
    """What a fresh source holds after importing ``texts`` with today's reader."""
    connection = make_connection("whatsapp")
    for i, text in enumerate(texts):
        upload(connection, text, f"chat-{i}.txt")
    return held(connection)


def test_today_reader_is_newer_than_the_one_these_tests_call_older():
    assert whatsapp.PARSER_VERSION != OLDER_READER


def test_a_chat_read_by_an_older_reader_read_again_states_the_difference_and_ends_as_a_fresh_import(
    chat, make_connection, older_reader
):
    with older_reader:
        old = upload(chat, CHAT)
    assert old.parser_version == OLDER_READER
    before = held(chat)
    assert len(before) == 6  # the notice and the two placeholders were messages to the older reader
    expected = fresh(make_connection, CHAT)
    assert len(expected) == 5
    assert outdated_imports([chat]) == [old]

    preview = preview_reread(old)
    diff = previewed(preview)
    assert preview.trigger == "reread" and preview.options["reread_of"] == old.pk
    assert held(chat) == before  # a preview writes no record
    same = before.keys() & expected.keys()
    assert diff.going == len(before.keys() - expected.keys()) >= 1  # at least the notice
    assert diff.added == len(expected.keys() - before.keys())
    assert diff.reclassified == sum(1 for k in same if before[k][1]["kind"] != expected[k][1]["kind"])
    assert diff.going + diff.reclassified >= 3  # the notice, and the image and the video recognised
    assert (diff.reader_from, diff.reader_to) == (OLDER_READER, whatsapp.PARSER_VERSION)

    new = commit_reread(preview)
    assert new.status == Status.COMMITTED
    assert held(chat) == expected
    assert previewed(new) == diff and not new.data_changed
    old.refresh_from_db()
    assert old.options["superseded_by"] == new.pk
    assert outdated_imports([chat]) == []
    assert summaries(chat) == summaries(Connection.objects.exclude(pk=chat.pk).get())
    assert summaries(chat)[0]["record_count"] == 5
    # The same file uploaded again is already imported: the re-read is now its import.
    again = preview_artifact(chat, io.BytesIO(CHAT.encode()), "_chat.txt")
    assert again.status == Status.DUPLICATE and again.duplicate_of_id == new.pk


def test_committing_a_reread_twice_changes_nothing_and_the_old_import_cannot_be_read_again(chat, older_reader):
    with older_reader:
        old = upload(chat, CHAT)
    new = commit_reread(preview_reread(old))
    after = held(chat)
    assert commit_reread(new.pk).pk == new.pk
    assert held(chat) == after
    with pytest.raises(RereadRefused, match="read again already"):
        preview_reread(old)


def test_a_message_a_push_also_delivered_survives_a_reread_that_no_longer_gives_it(chat, older_reader):
    with older_reader:
        old = upload(chat, CHAT)
    notice = Record.objects.get(connection=chat, payload__text__startswith="Les messages")
    pushed = acquire_records(
        chat,
        method="device_sync",
        trigger="push",
        records=[ParsedRecord(notice.stream, notice.key, notice.event_at, notice.payload)],
        facts=BatchFacts(),
    )
    new = commit_reread(preview_reread(old))
    assert previewed(new).kept == 1
    notice.refresh_from_db()
    assert notice.deliveries() == [(pushed.pk, "device_sync")]
    assert Record.objects.filter(connection=chat).count() == 6  # five read today, and the pushed one


def test_a_message_another_older_import_delivered_stays_until_that_import_is_read_again(
    chat, make_connection, older_reader
):
    with older_reader:
        first = upload(chat, NOTICE + FIRST_DAY, "first.txt")
        second = upload(chat, CHAT, "second.txt")
    assert outdated_imports([chat]) == [first, second]
    notice_key = Record.objects.get(connection=chat, payload__text__startswith="Les messages").key

    first_again = commit_reread(preview_reread(first))
    # The notice and the image placeholder the older reader took for text: the second import,
    # still read the old way, delivered them too.
    assert (previewed(first_again).kept, previewed(first_again).going) == (2, 0)
    assert Record.objects.filter(connection=chat, key=notice_key).exists()

    commit_reread(preview_reread(second))
    assert not Record.objects.filter(connection=chat, key=notice_key).exists()
    assert held(chat) == fresh(make_connection, NOTICE + FIRST_DAY, CHAT)
    assert summaries(chat) == summaries(Connection.objects.exclude(pk=chat.pk).get())


def test_a_reread_whose_commit_fails_leaves_the_old_import_intact_and_can_be_committed_again(
    chat, make_connection, older_reader, monkeypatch
):
    with older_reader:
        old = upload(chat, CHAT)
    before = held(chat)
    firsts = set(Record.objects.filter(connection=chat).values_list("first_batch_id", flat=True))
    summary_before = CoverageSummary.objects.get(connection=chat).record_count
    preview = preview_reread(old)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(reread_stage, "recount_summaries", broken)
    with pytest.raises(RuntimeError):
        commit_reread(preview)
    old.refresh_from_db()
    preview.refresh_from_db()
    assert held(chat) == before
    assert set(Record.objects.filter(connection=chat).values_list("first_batch_id", flat=True)) == firsts == {old.pk}
    assert "superseded_by" not in old.options and old.artifact_name and old.artifact_sha256
    assert preview.status == Status.PREVIEW
    assert CoverageSummary.objects.get(connection=chat).record_count == summary_before

    monkeypatch.undo()
    assert commit_reread(preview).status == Status.COMMITTED
    assert held(chat) == fresh(make_connection, CHAT)


def test_a_reread_whose_staged_rows_were_lost_reads_its_file_again(chat, make_connection, older_reader):
    with older_reader:
        old = upload(chat, CHAT)
    preview = preview_reread(old)
    reread_stage.drop_staging(preview.pk)  # PostgreSQL empties staging when it restarts after a crash
    commit_reread(preview)
    assert held(chat) == fresh(make_connection, CHAT)


def test_zone_change_with_reread_moves_every_message_and_duplicates_nothing(chat, owner, make_connection):
    OwnerProfileFactory(owner=owner, time_zone="UTC")
    upload(chat, CHAT)
    before = held(chat)
    out = io.StringIO()
    call_command("set_time_zone", "Europe/Berlin", "--owner", owner.username, "--reread", stdout=out)
    after = held(chat)
    assert after.keys() == before.keys()  # the key is the time as written: it does not move
    assert all(after[k][0] == before[k][0] - timedelta(hours=1) for k in before)  # CET is UTC+1 in March
    assert all(after[k][1:] == before[k][1:] for k in before)
    text = out.getvalue()
    assert "Europe/Berlin" in text
    assert "5 messages moved" in text and "nothing was duplicated" in text.lower()
    assert after == fresh(make_connection, CHAT)  # as if imported in Berlin in the first place
    again = io.StringIO()
    call_command("set_time_zone", "Europe/Berlin", "--owner", owner.username, "--reread", stdout=again)
    assert "No chat or Health export needs reading again" in again.getvalue() and held(chat) == after
    assert summaries(chat) == summaries(Connection.objects.exclude(pk=chat.pk).get())


def test_reread_command_previews_then_reads_every_outdated_import(chat, older_reader):
    with older_reader:
        upload(chat, CHAT)
    out = io.StringIO()
    call_command("reread", "--connection", chat.slug, "--preview", stdout=out)
    assert "would go" in out.getvalue() and "Nothing was changed" in out.getvalue()
    assert outdated_imports([chat])
    out = io.StringIO()
    call_command("reread", "--all-outdated", stdout=out)
    assert outdated_imports([chat]) == []
    assert "as read before went" in out.getvalue()


def test_two_readings_of_one_import_land_once(chat, older_reader):
    with older_reader:
        old = upload(chat, CHAT)
    in_utc, in_berlin = preview_reread(old), preview_reread(old, zone="Europe/Berlin")
    assert in_utc.pk != in_berlin.pk
    commit_reread(in_berlin)
    after = held(chat)
    second = commit_reread(in_utc)
    assert second.status == Status.DUPLICATE and second.duplicate_of_id == in_berlin.pk
    assert held(chat) == after


def test_an_unknown_zone_is_refused_in_owner_words(chat, older_reader):
    with older_reader:
        old = upload(chat, CHAT)
    with pytest.raises(RereadRefused, match="not a time zone Ownerhub knows"):
        preview_reread(old, zone="Europe/Atlantis")
    assert not AcquisitionBatch.objects.filter(trigger="reread").exists()


def test_a_placeholder_the_older_reader_knew_only_as_media_is_reclassified_in_place(chat, make_connection, older_reader):
    """whatsapp/1 knew "image omitted" was media, not which kind: the record keeps its key and gains its kind."""
    europe = importlib.import_module("connections.connectors.whatsapp.words.europe")
    english = {k: v for k, v in europe.EN.items() if k != "image"}
    english["media_omitted"] = (*europe.EN["media_omitted"], *europe.EN["image"])
    older_reader.tables = {"EN": english}
    text = "[18/03/2023 10:01:12] Alice: Look\n[18/03/2023 10:02:30] Bruno: \u200eimage omitted\n"
    with older_reader:
        old = upload(chat, text)
    photo = Record.objects.get(connection=chat, payload__kind="media")
    assert photo.payload["media_kind"] == "unknown"
    new = commit_reread(preview_reread(old))
    assert (previewed(new).reclassified, previewed(new).going, previewed(new).added) == (1, 0, 0)
    photo.refresh_from_db()  # the same row, the same key
    assert photo.payload["media_kind"] == "image" and photo.first_batch_id == new.pk
    assert held(chat) == fresh(make_connection, text)


def test_reread_command_reads_one_import_in_a_zone_named_for_it(chat, owner):
    OwnerProfileFactory(owner=owner, time_zone="UTC")
    old = upload(chat, CHAT)
    out = io.StringIO()
    call_command("reread", str(old.pk), "--zone", "America/New_York", stdout=out)
    assert "5 messages moved to America/New_York time." in out.getvalue()
    assert min(at for at, _, _ in held(chat).values()).hour == 14  # 10:00 in New York (EDT) is 14:00 UTC
