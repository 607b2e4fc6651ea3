"""Being reminded, not alarmed: one digest per owner per day, listing what changed, by email and webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from werkzeug import Response

from connections.models import CollectionRun, Connection
from connections.runtime import ROUND_JOBS
from connections.services import add_connection
from coverage.pipeline import preview_artifact, start_commit
from reminders.digest import send_due_digests
from reminders.models import DigestSettings
from tests.factories import DigestSettingsFactory

from .conftest import fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


def _import(connection, name: str) -> None:
    with fixture(name).open("rb") as source:
        start_commit(preview_artifact(connection, source, fixture(name).name))


@pytest.fixture
def stale_chat(owner):
    owner.email = "ada@example.org"
    owner.save()
    chat = add_connection(owner, "whatsapp", "family-chat", "Family chat")
    _import(chat, "whatsapp/android_dayfirst_24h.txt")  # messages from long ago: the export is stale
    return chat


def test_one_digest_lists_the_source_that_needs_the_owner_with_its_next_action(stale_chat):
    now = timezone.now()
    assert send_due_digests(now) == 1

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.org"] and message.subject == "Ownerhub: 1 source needs you"
    assert "1 of your sources has changed since the last digest:" in message.body
    assert "Family chat: Needs a refresh." in message.body
    assert "Next: Upload a newer export http://127.0.0.1:8000/sources/family-chat/upload/" in message.body

    # The same day: nothing more, however often the worker looks.
    assert send_due_digests(now + timedelta(hours=3)) == 0
    # The next day, the chat is still stale: it is not reported twice.
    assert send_due_digests(now + timedelta(days=1, minutes=1)) == 0
    assert len(mail.outbox) == 1


def test_the_next_digest_lists_only_what_changed_since(stale_chat, owner):
    now = timezone.now()
    send_due_digests(now)
    Connection.objects.create(owner=owner, connector="ical_feed", slug="calendar", name="Calendar",
                              schedule_policy="interval", interval_seconds=3600, feed_url="https://calendar.example/c.ics")
    for minutes in (50, 30, 10):
        started = now - timedelta(minutes=minutes)
        CollectionRun.objects.create(connection=Connection.objects.get(slug="calendar"), started_at=started,
                                     finished_at=started, outcome="failure", error_class="http_404",
                                     message="The address answered not found.")

    assert send_due_digests(now + timedelta(days=1, minutes=1)) == 1

    body = mail.outbox[1].body
    assert "Calendar: " in body and "Family chat" not in body


def test_the_webhook_gets_the_digest_as_signed_json(stale_chat, owner, httpserver, settings):
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = [httpserver.host]
    digest = DigestSettingsFactory(owner=owner, webhook_url=httpserver.url_for("/digest"), email_enabled=False)
    received = []

    def answer(request):
        received.append((request.get_data(), request.headers.get("X-Ownerhub-Signature")))
        return Response("ok")

    httpserver.expect_request("/digest", method="POST").respond_with_handler(answer)

    send_due_digests()

    assert not mail.outbox  # email turned off
    body, signature = received[0]
    expected = "sha256=" + hmac.new(digest.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
    assert signature == expected
    payload = json.loads(body)
    assert payload["subject"] == "Ownerhub: 1 source needs you"
    assert [(i["name"], i["label"], i["action"]) for i in payload["items"]] == [
        ("Family chat", "Needs a refresh", "Upload a newer export")
    ]


def test_the_command_sends_the_due_digests_and_the_worker_runs_it(stale_chat, capsys):
    call_command("send_digests")
    assert capsys.readouterr().out.strip() == "Sent 1 digest." and len(mail.outbox) == 1
    assert "reminders.digests" in ROUND_JOBS


def test_the_settings_page_sets_where_the_digest_goes(owner_client, owner, settings):
    page = owner_client.get("/settings/").content.decode()
    assert "Reminder digest" in page and "X-Ownerhub-Signature" in page
    owner_client.post("/settings/digest/", {"webhook_url": "https://hooks.example.org/ownerhub"})
    digest = DigestSettings.objects.get(owner=owner)
    assert digest.webhook_url == "https://hooks.example.org/ownerhub" and not digest.email_enabled

    response = owner_client.post("/settings/digest/", {"webhook_url": "http://127.0.0.1:9/inside", "email_enabled": "1"},
                                 follow=True)
    assert "cannot be used" in response.content.decode()
    assert DigestSettings.objects.get(owner=owner).webhook_url == "https://hooks.example.org/ownerhub"


def test_the_owner_gives_an_email_address_on_the_settings_page_and_turns_email_on(owner_client, owner):
    owner.email = ""
    owner.save(update_fields=["email"])
    assert 'name="email"' in owner_client.get("/settings/").content.decode()
    response = owner_client.post("/settings/digest/", {"email": "not an address", "email_enabled": "1"}, follow=True)
    assert "is not an email address" in response.content.decode()
    owner.refresh_from_db()
    assert owner.email == ""
    owner_client.post("/settings/digest/", {"email": "ada@example.org", "email_enabled": "1"})
    owner.refresh_from_db()
    assert owner.email == "ada@example.org"
    assert DigestSettings.objects.get(owner=owner).email_enabled
    owner_client.post("/settings/digest/", {"email": "", "email_enabled": "1"})
    assert not DigestSettings.objects.get(owner=owner).email_enabled  # no address, no email


def test_the_signing_secret_is_shown_once_when_made_and_never_again(owner_client, owner):
    first = DigestSettingsFactory(owner=owner).webhook_secret
    page = owner_client.get("/settings/").content.decode()
    assert first not in page  # made on first sight of the panel, never shown since
    assert "Make a new signing secret" in page and "is not shown again after it is made" in page

    made = owner_client.post("/settings/digest/", {"new_secret": "1"}, follow=True).content.decode()
    secret = DigestSettings.objects.get(owner=owner).webhook_secret
    assert secret != first
    assert f'<code class="secret" id="webhook-secret">{secret}</code>' in made
    assert "it is shown only this once" in made

    again = owner_client.get("/settings/").content.decode()
    assert secret not in again and "is not shown again after it is made" in again
