"""WhatsApp phone backups (method ``device_backup``): an iPhone's ChatStorage.sqlite (alone or the
backup folder zipped) and Android's msgstore.db, through the real pipeline. A message that comes
by export and by backup is one record with two provenance rows, whichever came first; a backup
holding the media fills in what the export lacked."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from connections.connectors.base import Artifact, ArtifactRejected, BatchFacts, ParseOptions
from connections.connectors.whatsapp.backup import list_chats
from connections.connectors.whatsapp.backup import parse as parse_backup
from connections.models import Connection
from coverage.models import AcquisitionBatch, LaneSummary, Record
from coverage.pipeline import preview_artifact, start_commit
from coverage.pipeline.backup import answer_chat, preview_backup
from tests.coverage.conftest import immediate_tasks  # noqa: F401 - the pipeline's fixture
from tests.factories import OwnerProfileFactory
from tests.fixtures.whatsapp_backup.build import ChatSpec, Message, android, ios, zipped

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks", "artifact_root")]

Status = AcquisitionBatch.Status
ME = "Ada Lovelace"
PHOTO = "Media/WhatsApp Images/IMG-20240125-WA0001.jpg"


def at(hour: int, minute: int, second: int) -> datetime:
    return datetime(2024, 1, 25, hour, minute, second, tzinfo=UTC)


# The chat with Anna: 10:15 and 10:16 in Berlin are 09:15 and 09:16 UTC.
ANNA = ChatSpec("Anna Berg", (
    Message(at(9, 15, 42), False, "Anna Berg", "Hi there"),
    Message(at(9, 15, 58), True, "", "Hello Anna"),
    Message(at(9, 16, 3), False, "Anna Berg", "", "image", PHOTO),
    Message(at(9, 16, 30), False, "", "Anna Berg changed the group description", "system"),
))
OTHER = ChatSpec("Bob Ray", (Message(at(12, 0, 0), False, "Bob Ray", "Lunch?"),))
EXPORT = (  # the same chat as WhatsApp's Export chat writes it on Ada's phone, without media
    "25/01/2024, 10:15 - Anna Berg: Hi there\n"
    "25/01/2024, 10:15 - Ada Lovelace: Hello Anna\n"
    "25/01/2024, 10:16 - Anna Berg: IMG-20240125-WA0001.jpg (file attached)\n"
)
RECORDS = [  # (author, kind, media) by kind and author, whichever way they came
    ("Anna Berg", "media", "missing"), (ME, "text", ""), ("Anna Berg", "text", ""),
]


@pytest.fixture
def source(owner):
    OwnerProfileFactory(owner=owner, time_zone="Europe/Berlin")
    return Connection.objects.create(owner=owner, connector="whatsapp", slug="anna", name="Anna")


def backup(tmp_path: Path, *, media: bool = False) -> Path:
    db = ios(tmp_path / "ChatStorage.sqlite", [OTHER, ANNA])
    if not media:
        return db
    return zipped(tmp_path / "backup.zip", db, "AppDomainGroup/ChatStorage.sqlite",
                  {"AppDomainGroup/Message/" + PHOTO: b"\xff\xd8\xff jpeg"})


def by_backup(source, path: Path) -> AcquisitionBatch:
    with path.open("rb") as fh:
        batch = preview_backup(source, fh, path.name, chat="Anna Berg", me=ME)
    return commit(batch)


def by_export(source, tmp_path: Path) -> AcquisitionBatch:
    path = tmp_path / "WhatsApp Chat with Anna Berg.txt"
    path.write_text(EXPORT, encoding="utf-8")
    with path.open("rb") as fh:
        return commit(preview_artifact(source, fh, path.name))


def commit(batch: AcquisitionBatch) -> AcquisitionBatch:
    assert batch.status == Status.PREVIEW and not batch.question, batch.question
    start_commit(batch)
    batch.refresh_from_db()
    assert batch.status == Status.COMMITTED
    return batch


def state(source):
    records = sorted(Record.objects.filter(connection=source), key=lambda r: (r.payload["kind"], r.payload["author"]))
    return (
        [(r.payload["author"], r.payload["kind"], r.media) for r in records],
        [sorted(m for _, m in r.deliveries()) for r in records],
        sorted(LaneSummary.objects.filter(connection=source).values_list("method", "batches")),
    )


BOTH = ["device_backup", "owner_artifact"]
SCENARIOS = {
    "backup_only": (["backup"], RECORDS, [["device_backup"]] * 3, [("device_backup", 1)]),
    "export_then_backup": (["export", "backup"], RECORDS, [BOTH] * 3,
                           [("device_backup", 1), ("owner_artifact", 1)]),
    "backup_then_export": (["backup", "export"], RECORDS, [BOTH] * 3,
                           [("device_backup", 1), ("owner_artifact", 1)]),
    "backup_fills_the_exports_missing_media": (
        ["export", "backup_with_media"], [("Anna Berg", "media", "attached"), *RECORDS[1:]], [BOTH] * 3,
        [("device_backup", 1), ("owner_artifact", 1)]),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_chat_by_export_and_by_backup_is_one_set_of_records(scenario, source, tmp_path):
    steps, records, deliveries, lanes = SCENARIOS[scenario]
    for step in steps:
        if step == "export":
            by_export(source, tmp_path)
        else:
            folder = tmp_path / step
            folder.mkdir()
            by_backup(source, backup(folder, media=step == "backup_with_media"))
    assert state(source) == (records, deliveries, lanes)


def test_the_preview_lists_the_chats_and_asks_which_one_then_remembers(source, tmp_path):
    path = backup(tmp_path)
    with path.open("rb") as fh:
        batch = preview_backup(source, fh, path.name)
    assert batch.status == Status.PREVIEW and batch.method == "device_backup"
    assert batch.question["kind"] == "chat"
    assert batch.question["text"] == "This backup holds 2 chats. Which one is this source?"
    assert batch.question["labels"] == {
        "Anna Berg": "Anna Berg: 4 messages, 25 Jan 2024 to 25 Jan 2024",
        "Bob Ray": "Bob Ray: 1 message, 25 Jan 2024 to 25 Jan 2024",
    }
    assert Record.objects.count() == 0
    batch = answer_chat(batch, "Anna Berg")
    assert batch.question is None and batch.count_accepted == 3 and batch.count_skipped == 1
    commit(batch)

    later = tmp_path / "later"
    later.mkdir()
    again = android(later / "msgstore.db", [ChatSpec("+4915100000001", (Message(at(9, 15, 42), False, "", "x"),))])
    with again.open("rb") as fh:
        asked = preview_backup(source, fh, again.name)  # remembered "Anna Berg": not in this one
    assert asked.question["text"].startswith("This backup holds no chat named Anna Berg.")


def test_the_command_line_names_the_chat(source, tmp_path, owner):
    path = backup(tmp_path)
    with pytest.raises(CommandError, match="Which one is this source"):
        call_command("import_backup", "anna", str(path))
    call_command("import_backup", "anna", str(path), "--chat", "Anna Berg", "--me", ME)
    assert Record.objects.filter(connection=source).count() == 3


def test_an_android_backup_gives_the_same_keys_as_an_iphone_one(tmp_path):
    options = ParseOptions(time_zone=ZoneInfo("Europe/Berlin"), chat="Anna Berg", me=ME)
    iphone = list(parse_backup(_artifact(ios(tmp_path / "a.sqlite", [ANNA])), BatchFacts(), options))
    phone = ChatSpec("+4915100000001", ANNA.messages)
    facts = BatchFacts()
    droid = list(parse_backup(_artifact(android(tmp_path / "msgstore.db", [phone])), facts,
                              ParseOptions(time_zone=ZoneInfo("Europe/Berlin"), chat="+4915100000001", me=ME)))
    assert facts.source_format == "whatsapp_android_backup"
    assert [r.key[:13] for r in droid] == [r.key[:13] for r in iphone] == ["20240125T1015"] * 2 + ["20240125T1016"]
    assert [r.payload["author"] for r in droid] == ["+4915100000001", ME, "+4915100000001"]


def _artifact(path: Path) -> Artifact:
    return Artifact(path=path, filename=path.name)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"SQLite format 3\x00" + b"\x00" * 200, "malformed"),
        (b"not a database at all", "unsupported"),
    ],
)
def test_a_file_that_is_no_backup_is_refused_before_anything_is_read(tmp_path, content, reason):
    path = tmp_path / "ChatStorage.sqlite"
    path.write_bytes(content)
    with pytest.raises(ArtifactRejected) as refused:
        list(parse_backup(_artifact(path), BatchFacts(), ParseOptions(chat="x")))
    assert refused.value.reason == reason


def test_a_database_of_something_else_is_the_wrong_source(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    with pytest.raises(ArtifactRejected) as refused:
        list_chats(path)
    assert refused.value.reason == "wrong_source"


def test_a_hostile_backup_runs_nothing_and_changes_nothing(tmp_path):
    """A view posing as a table, and a trigger, are never run; the file is opened read-only."""
    path = ios(tmp_path / "ChatStorage.sqlite", [ANNA])
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE log (x)")
        con.execute("DROP TABLE ZWAGROUPMEMBER")
        con.execute("CREATE VIEW ZWAGROUPMEMBER AS SELECT 1 AS Z_PK, load_extension('/tmp/x') AS ZCONTACTNAME, "
                    "'' AS ZMEMBERJID")
        con.execute("CREATE TRIGGER t AFTER INSERT ON ZWAMESSAGE BEGIN INSERT INTO log VALUES (1); END")
    before = path.read_bytes()
    assert [c.name for c in list_chats(path)] == ["Anna Berg"]
    options = ParseOptions(time_zone=ZoneInfo("Europe/Berlin"), chat="Anna Berg", me=ME)
    assert len(list(parse_backup(_artifact(path), BatchFacts(), options))) == 3
    assert path.read_bytes() == before


def test_the_owner_chooses_the_chat_on_the_preview_page(source, tmp_path, client, owner):
    path = backup(tmp_path)
    with path.open("rb") as fh:
        batch = preview_backup(source, fh, path.name, me=ME)
    client.force_login(owner)
    page = client.get(f"/receipts/{batch.pk}/").content.decode()
    assert "This backup holds 2 chats. Which one is this source?" in page
    assert 'name="chat" value="Anna Berg"' in page and "Anna Berg: 4 messages, 25 Jan 2024 to 25 Jan 2024" in page
    client.post(f"/receipts/{batch.pk}/answer/", {"chat": "Anna Berg"})
    batch.refresh_from_db()
    assert batch.question is None and batch.count_accepted == 3
    assert batch.options["chat"] == "Anna Berg"


@pytest.mark.parametrize("zipped_backup", [False, True], ids=["database", "backup_folder_zipped"])
def test_a_backup_uploaded_on_the_upload_page_asks_which_chat(source, tmp_path, client, owner, zipped_backup):
    path = backup(tmp_path, media=zipped_backup)
    client.force_login(owner)
    page = client.get("/sources/anna/upload/").content.decode()
    assert 'accept=".txt,.zip,.sqlite,.db"' in page
    with path.open("rb") as fh:
        response = client.post("/sources/anna/upload/", {"artifact": fh})
    batch = AcquisitionBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/receipts/{batch.pk}/"
    assert (batch.method, batch.question["kind"]) == ("device_backup", "chat")
    assert batch.source_format == ("whatsapp_ios_backup_zip" if zipped_backup else "whatsapp_ios_backup")


def test_after_an_export_a_backup_knows_your_own_name_without_being_told(source, tmp_path):
    by_export(source, tmp_path)
    path = backup(tmp_path)
    with path.open("rb") as fh:
        batch = commit(preview_backup(source, fh, path.name, chat="Anna Berg"))  # no --me
    assert batch.options["me"] == ME
    assert state(source) == (RECORDS, [BOTH] * 3, [("device_backup", 1), ("owner_artifact", 1)])


@pytest.mark.parametrize("cut", [100, 1000, 4096, 8192, 12000, -500])
def test_a_cut_or_damaged_database_is_refused_or_read_in_part_never_a_crash(tmp_path, cut):
    whole = ios(tmp_path / "whole.sqlite", [ANNA, OTHER]).read_bytes()
    damaged = tmp_path / "ChatStorage.sqlite"
    data = bytearray(whole[:cut])
    for i in range(200, len(data), 97):  # and scribbled over
        data[i] ^= 0x5A
    damaged.write_bytes(bytes(data))
    options = ParseOptions(time_zone=ZoneInfo("Europe/Berlin"), chat="Anna Berg", me=ME)
    try:
        records = list(parse_backup(_artifact(damaged), BatchFacts(), options))
    except ArtifactRejected as refused:
        assert refused.reason in ("malformed", "wrong_source", "unsupported")
    else:
        assert len(records) <= 3
