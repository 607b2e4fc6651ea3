"""``manage.py import_artifact`` and ``manage.py receipt``: the owner's view from a terminal."""

from __future__ import annotations

import json
from contextlib import nullcontext
from io import StringIO

import pytest
from django.core.management import CommandError, call_command, load_command_class

from coverage.models import AcquisitionBatch, Record
from coverage.pipeline import staging
from coverage.receipts import build_receipt
from coverage.serializers import receipt_json
from tests.coverage.conftest import fixture_path

pytestmark = pytest.mark.django_db
Status = AcquisitionBatch.Status


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def chat_file(name: str = "android_dayfirst_24h.txt") -> str:
    return str(fixture_path("whatsapp", name))


def latest() -> AcquisitionBatch:
    return AcquisitionBatch.objects.select_related("connection", "duplicate_of").order_by("-pk").first()


def test_importing_a_chat_prints_the_receipt_and_commits(chat):
    out, _ = run("import_artifact", "family-chat", chat_file())

    assert out.startswith("20 new messages from 12 Mar to 25 Mar 2023.")
    assert "parsed  accepted  duplicate  skipped  failed" in out
    assert "committed" in out
    assert latest().status == Status.COMMITTED
    assert Record.objects.count() == 20


def test_importing_the_same_file_again_says_nothing_new_and_exits_zero(chat):
    run("import_artifact", "family-chat", chat_file())

    out, _ = run("import_artifact", "family-chat", chat_file())  # no CommandError: exit code 0

    assert out.startswith("Already imported on")
    assert latest().status == Status.DUPLICATE
    assert Record.objects.count() == 20


def test_preview_only_writes_no_records(chat):
    out, _ = run("import_artifact", "family-chat", chat_file(), "--preview")

    assert "20 new messages" in out and "Next     Import 20 messages." in out
    assert "This preview is kept for 24 hours" in out  # the worker removes it after that
    assert latest().status == Status.PREVIEW
    assert Record.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "answer", "messages"),
    [("android_dayfirst_24h.txt", (), 20),
     # The preview asked the day/month order and was never answered; the import gave it on the command line.
     ("ambiguous.txt", ("--date-order", "dmy"), 4)],
    ids=["a_preview_read_to_the_end", "a_preview_waiting_for_the_date_order"],
)
def test_a_file_previewed_then_imported_leaves_one_import_and_no_preview_waiting(
        chat, client, owner, name, answer, messages):
    with pytest.raises(CommandError, match="date-order") if answer else nullcontext():  # the question stops it
        run("import_artifact", "family-chat", chat_file(name), "--preview")
    with pytest.raises(CommandError, match="date-order") if answer else nullcontext():  # previewed once more
        run("import_artifact", "family-chat", chat_file(name), "--preview")
    first = latest()

    out, _ = run("import_artifact", "family-chat", chat_file(name), *answer)  # "run it again without --preview"

    assert not out.startswith("Already imported")
    first.refresh_from_db()
    assert first.status == Status.COMMITTED and first.artifact_name  # the waiting preview is the import
    assert AcquisitionBatch.objects.count() == 1  # no second row, in Recent imports or the imports list
    assert Record.objects.count() == messages
    client.force_login(owner)
    page = client.get("/sources/family-chat/").content.decode()
    assert "preview waiting" not in page and "Already imported" not in page
    assert "Already imported" not in client.get("/sources/family-chat/imports/").content.decode()


@pytest.mark.parametrize(
    ("name", "args", "next_line"),
    [("android_dayfirst_24h.txt", ("--preview",), "Next     Import 20 messages.\n"),
     ("ambiguous.txt", ("--preview",), "Next     Tell us how dates are written in this file.\n"),
     ("empty.txt", (), "Next     Upload the file WhatsApp made with Export chat: a .txt, or a .zip"),
     ("../gpx/strava.gpx", (), "Next     Add a GPS tracks source, then upload this file to it.\n")],
    ids=["a_preview_to_import", "a_preview_asking_the_date_order", "an_empty_file", "a_gps_track"],
)
def test_the_receipt_says_the_next_step_once(chat, name, args, next_line):
    with pytest.raises(CommandError) if name != "android_dayfirst_24h.txt" else nullcontext():
        run("import_artifact", "family-chat", chat_file(name), *args)

    out, _ = run("receipt", str(latest().pk))

    step = next(line for line in out.splitlines(keepends=True) if line.startswith("Next"))
    assert step.startswith(next_line)
    label = build_receipt(latest()).next_action.label
    assert f"{label}:" not in step  # the button's words are not said before the sentence


def test_json_output_is_the_api_receipt(chat):
    out, _ = run("import_artifact", "family-chat", chat_file(), "--json")

    data = json.loads(out)
    assert data == receipt_json(build_receipt(latest()))
    assert data["status"] == "committed" and data["counts"]["accepted"] == 20


@pytest.mark.parametrize(
    ("name", "reason"),
    [("encrypted.zip", "encrypted"), ("empty.txt", "empty"), ("wrong_source.json", "wrong_source"), ("invalid_utf8.txt", "malformed")],
)
def test_a_rejected_file_exits_2_with_the_reason(chat, name, reason):
    with pytest.raises(CommandError) as caught:
        run("import_artifact", "family-chat", chat_file(name))

    assert caught.value.returncode == 2
    assert reason in str(caught.value)
    assert latest().status == Status.REJECTED and Record.objects.count() == 0


def test_a_rejected_file_from_the_shell_prints_the_reason_on_stderr(chat, monkeypatch, capsys):
    # run_from_argv closes the database connections on its way out; keep the test's one.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    command = load_command_class("coverage", "import_artifact")

    with pytest.raises(SystemExit) as exited:
        command.run_from_argv(["manage.py", "import_artifact", "family-chat", chat_file("encrypted.zip")])

    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert "Rejected (encrypted)" in captured.err
    assert "password-protected" in captured.err
    assert captured.out.startswith("This file could not be imported")


def test_owner_is_needed_only_when_two_owners_use_the_slug(chat, make_connection, other_owner):
    make_connection("whatsapp", "family-chat", owner_=other_owner)

    with pytest.raises(CommandError, match="--owner"):
        run("import_artifact", "family-chat", chat_file())
    run("import_artifact", "family-chat", chat_file(), "--owner", "bob")

    assert latest().connection.owner == other_owner


def test_an_unknown_slug_or_missing_file_is_a_plain_error(chat):
    with pytest.raises(CommandError, match="No connection"):
        run("import_artifact", "no-such-chat", chat_file())
    with pytest.raises(CommandError, match="No file"):
        run("import_artifact", "family-chat", "/nonexistent/chat.txt")


def test_an_ambiguous_chat_asks_for_the_date_order_then_imports_with_it(chat):
    with pytest.raises(CommandError, match="--date-order"):
        run("import_artifact", "family-chat", chat_file("ambiguous.txt"))
    assert Record.objects.count() == 0

    out, _ = run("import_artifact", "family-chat", chat_file("ambiguous.txt"), "--date-order", "dmy")

    assert "4 new messages from 3 Apr to 11 Dec 2023" in out
    assert Record.objects.count() == 4


class _Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_a_live_progress_line(chat, monkeypatch):
    monkeypatch.setattr(staging, "PROGRESS_EVERY", 5)
    terminal = _Terminal()

    call_command("import_artifact", "family-chat", chat_file(), stdout=StringIO(), stderr=terminal)

    shown = terminal.getvalue()
    assert "\r" in shown and "parsing" in shown and "committing" in shown
    assert "20 items" in shown


def test_receipt_command_prints_a_batch_as_text_or_api_json(chat):
    run("import_artifact", "family-chat", chat_file("ios_missing_media.zip"))
    batch = latest()

    text, _ = run("receipt", str(batch.pk))
    raw, _ = run("receipt", str(batch.pk), "--json")

    assert "Media    3 declared, 2 attached, 1 missing" in text
    assert "Next     Export again with media included to add the missing files.\n" in text
    assert json.loads(raw) == receipt_json(build_receipt(batch))
    with pytest.raises(CommandError, match="No import"):
        run("receipt", "999999")
