"""'This does not look like the same account': a chat export from another chat than the source's
first import says so at the top of its preview and is imported only once the owner confirms it,
on the web, through the API and on the command line."""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from connections.connectors.identity import chat_hint, log_token, same_account
from coverage.models import AcquisitionBatch, Record
from coverage.pipeline import CommitRefused, preview_artifact, start_commit
from coverage.pipeline.accounts import sentence as account_sentence
from coverage.receipts import build_receipt
from coverage.serializers import receipt_json
from tests.coverage.conftest import fixture_path

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks", "artifact_root")]

Status = AcquisitionBatch.Status
ANNA = "25/01/2024, 10:15 - Me: Hello Anna\n25/01/2024, 10:16 - Anna Berg: Hi there\n"
CARL = "26/01/2024, 11:15 - Me: Hello Carl\n26/01/2024, 11:16 - Carl Diaz: Hey\n"
WRONG = (
    "This export is of a chat with Carl Diaz and Me; this source's earlier imports are of a chat with Anna Berg and Me."
)


def chat(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def preview(connection, path: Path) -> AcquisitionBatch:
    with path.open("rb") as source:
        return preview_artifact(connection, source, path.name)


def imported(connection, tmp_path, name, text) -> AcquisitionBatch:
    batch = start_commit(preview(connection, chat(tmp_path, name, text)))
    batch.refresh_from_db()
    assert batch.status == Status.COMMITTED
    return batch


def test_a_chat_with_someone_else_asks_before_it_is_imported(make_connection, tmp_path):
    source = make_connection("whatsapp")
    first = imported(source, tmp_path, "anna.txt", ANNA)
    assert first.options["identity"] == "Anna Berg, Me"  # the first import sets the source's identity

    batch = preview(source, chat(tmp_path, "carl.txt", CARL))
    assert batch.status == Status.PREVIEW
    assert batch.warnings[0] == {"kind": "other_account", "detail": WRONG, "position": None}
    assert batch.options["identity"] == "Carl Diaz, Me"  # the hint is kept in the receipt
    body = receipt_json(build_receipt(AcquisitionBatch.objects.select_related("connection").get(pk=batch.pk)))
    assert body["warnings"][0]["kind"] == "other_account"

    with pytest.raises(CommitRefused, match="another account"):
        start_commit(batch)
    assert Record.objects.filter(connection=source).count() == 2


def test_two_chats_previewed_side_by_side_into_a_new_source_ask_when_the_second_is_imported(
    make_connection, tmp_path, client, owner
):
    source = make_connection("whatsapp")
    anna = preview(source, chat(tmp_path, "anna.txt", ANNA))
    carl = preview(source, chat(tmp_path, "carl.txt", CARL))  # the source has no identity yet: nothing to ask
    assert "other_account" not in [w["kind"] for w in carl.warnings]
    start_commit(anna)

    with pytest.raises(CommitRefused, match="another account"):
        start_commit(carl)
    client.force_login(owner)
    assert WRONG in client.get(f"/receipts/{carl.pk}/").content.decode().replace("&#x27;", "'")
    assert Record.objects.filter(connection=source).count() == 2
    client.post(f"/receipts/{carl.pk}/import/", {"confirm_other_account": "1"})
    assert Record.objects.filter(connection=source).count() == 4


def test_the_same_chat_exported_again_with_a_new_member_is_not_another_account(make_connection, tmp_path):
    source = make_connection("whatsapp")
    imported(source, tmp_path, "group.txt", "25/01/2024, 10:15 - Me: Hi all\n25/01/2024, 10:16 - Anna Berg: Hi\n"
             "25/01/2024, 10:17 - Ben Ode: Hello\n")
    later = preview(source, chat(tmp_path, "group2.txt", "27/01/2024, 10:15 - Cleo Fa: Joined\n"
                                 "27/01/2024, 10:16 - Anna Berg: Welcome\n27/01/2024, 10:17 - Ben Ode: Yes\n"))
    assert [w for w in later.warnings if w["kind"] == "other_account"] == []
    assert start_commit(later).status in (Status.COMMITTING, Status.COMMITTED)


def test_an_export_named_after_its_chat_carries_the_chat_name(make_connection, tmp_path):
    source = make_connection("whatsapp")
    batch = preview(source, chat(tmp_path, "WhatsApp Chat with Anna Berg.txt", ANNA))
    assert batch.options["identity"] == "Anna Berg: Anna Berg, Me"
    assert batch.warnings == [] or all(w["kind"] != "other_account" for w in batch.warnings)


def test_the_owner_confirms_on_the_preview_page_before_the_import_button(make_connection, tmp_path, client, owner):
    source = make_connection("whatsapp")
    imported(source, tmp_path, "anna.txt", ANNA)
    batch = preview(source, chat(tmp_path, "carl.txt", CARL))
    client.force_login(owner)
    page = client.get(f"/receipts/{batch.pk}/").content.decode()
    notice = page.index("This export is of a chat with Carl Diaz and Me")
    button = page.index('name="confirm_other_account"')
    assert notice < button < page.index("Cancel</button>")

    client.post(f"/receipts/{batch.pk}/import/")  # the box not ticked: nothing imported
    batch.refresh_from_db()
    assert batch.status == Status.PREVIEW
    client.post(f"/receipts/{batch.pk}/import/", {"confirm_other_account": "1"})
    batch.refresh_from_db()
    assert batch.status == Status.COMMITTED
    assert Record.objects.filter(connection=source).count() == 4


def test_the_api_imports_another_account_only_when_told_to(make_connection, tmp_path, client, owner):
    source = make_connection("whatsapp")
    imported(source, tmp_path, "anna.txt", ANNA)
    batch = preview(source, chat(tmp_path, "carl.txt", CARL))
    client.force_login(owner)
    refused = client.post(f"/api/owner/previews/{batch.pk}/commit")
    assert refused.status_code == 409
    assert "another account" in refused.json()["detail"]
    done = client.post(f"/api/owner/previews/{batch.pk}/commit?confirm_other_account=true")
    assert done.status_code in (200, 202)
    batch.refresh_from_db()
    assert batch.status == Status.COMMITTED


def test_the_command_line_needs_confirm_other_account(make_connection, tmp_path, owner):
    source = make_connection("whatsapp", slug="family")
    imported(source, tmp_path, "anna.txt", ANNA)
    path = chat(tmp_path, "carl.txt", CARL)
    with pytest.raises(CommandError, match="another account"):
        call_command("import_artifact", "family", str(path))
    assert Record.objects.filter(connection=source).count() == 2
    call_command("import_artifact", "family", str(path), "--confirm-other-account")
    assert Record.objects.filter(connection=source).count() == 4


def test_hints_are_hashed_in_logs_and_absent_from_the_admin_list(make_connection, tmp_path, caplog, client):
    from django.contrib.auth import get_user_model

    source = make_connection("whatsapp")
    imported(source, tmp_path, "anna.txt", ANNA)
    with caplog.at_level(logging.DEBUG):
        preview(source, chat(tmp_path, "carl.txt", CARL))
    assert "other account" in caplog.text or log_token("Carl Diaz, Me") in caplog.text
    assert "Carl Diaz" not in caplog.text and "Anna Berg" not in caplog.text
    operator = get_user_model().objects.create_superuser("operator", "op@example.org", "x")
    client.force_login(operator)
    listing = client.get("/admin/coverage/acquisitionbatch/").content.decode()
    assert "Carl Diaz" not in listing and "Anna Berg" not in listing


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("a.b@example.org", "A.B@example.org ", True),
        ("a.b@example.org", "c.d@example.org", False),
        ("Anna, Me", "Carl, Me", False),
        ("Anna, Me", "Anna", True),
        ("Family: Anna, Ben, Me", "Anna, Ben, Cleo", True),
        (None, "c.d@example.org", True),
    ],
)
def test_which_hints_name_the_same_account(first, second, same):
    assert same_account(first, second) is same


def test_a_chat_hint_names_people_in_name_order():
    assert chat_hint("Family", ["ben", "Anna", "ben", ""]) == "Family: Anna, ben"
    assert chat_hint(None, []) is None


def _rezip(source: Path, target: Path, change) -> Path:
    """A copy of the zip ``source`` with each member's bytes passed through ``change(name, data)``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            new.writestr(info.filename, change(info.filename, old.read(info.filename)))
    return target


def _account(email: str):
    page = f"<html><body>Takeout for {email}</body></html>".encode()
    return lambda name, data: page if name.endswith("archive_browser.html") else data


def _born(day: str):
    return lambda name, data: data.replace(b'DateOfBirth="1990-03-14"', f'DateOfBirth="{day}"'.encode())


@pytest.mark.parametrize(
    ("connector", "fixture", "first", "second", "sentence"),
    [
        ("google_timeline", ("google_timeline", "takeout.zip"), _account("c.d@example.org"),
         _account("A.B@example.org"),
         "This export is of the account a.b@example.org; this source's earlier imports are of the account c.d@example.org."),
        ("apple_health", ("apple_health", "export.zip"), _born("1990-03-14"), _born("1987-11-02"),
         "This export is of someone born 1987-11-02, female; this source's earlier imports are of someone "
         "born 1990-03-14, female."),
    ],
    ids=["takeout_of_another_google_account", "health_export_of_someone_else"],
)
def test_an_export_of_another_account_asks_before_it_is_imported(
    make_connection, tmp_path, connector, fixture, first, second, sentence
):
    source = make_connection(connector)
    original = fixture_path(*fixture)
    start_commit(preview(source, _rezip(original, tmp_path / "first.zip", first)))
    batch = preview(source, _rezip(original, tmp_path / "second.zip", second))
    assert batch.warnings[0] == {"kind": "other_account", "detail": sentence, "position": None}
    with pytest.raises(CommitRefused, match="another account"):
        start_commit(batch)
    same = preview(source, _rezip(original, tmp_path / "third.zip", first))
    assert all(w["kind"] != "other_account" for w in same.warnings)


@pytest.mark.parametrize(
    ("hint", "earlier", "chat", "sentence"),
    [
        ("Deniz Kaya (Istanbul): Deniz Kaya, Sam Carter", "Deniz Kaya: Deniz Kaya, Sam", True,
         "This export is of the chat “Deniz Kaya (Istanbul)” with Deniz Kaya and Sam Carter; this source's earlier "
         "imports are of the chat “Deniz Kaya” with Deniz Kaya and Sam."),
        ("Aile: Ali, Ayşe, Mehmet", "Ali, Zeynep", True,
         "This export is of the chat “Aile” with Ali, Ayşe and Mehmet; this source's earlier imports are of a chat "
         "with Ali and Zeynep."),
        ("female", "born 1990-03-14, female", False,
         "This export is of someone female; this source's earlier imports are of someone born 1990-03-14, female."),
    ],
    ids=["a_chat_named_for_another_phone", "a_named_group_and_an_unnamed_chat", "a_health_export_without_a_birthday"],
)
def test_the_other_account_sentence_names_each_side_in_words(hint, earlier, chat, sentence):
    assert account_sentence(hint, earlier, chat=chat) == sentence
