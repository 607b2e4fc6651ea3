"""Pause only where something is collected; a source of exports offers "Mute reminders" instead."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from connections.models import Connection
from connections.services import add_connection
from coverage.pipeline import preview_artifact, start_commit
from reminders.digest import send_due_digests

from .conftest import fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


@pytest.fixture
def stale_chat(owner):
    owner.email = "ada@example.org"
    owner.save()
    chat = add_connection(owner, "whatsapp", "family-chat", "Family chat")
    name = "whatsapp/android_dayfirst_24h.txt"  # messages from long ago: the export is stale
    with fixture(name).open("rb") as source:
        start_commit(preview_artifact(chat, source, fixture(name).name))
    return chat


def _buttons(page: str) -> list[str]:
    return [label for label in ("Pause", "Mute reminders", "Turn reminders back on", "Resume")
            if f">{label}</button>" in page]


def test_a_source_of_exports_offers_mute_reminders_instead_of_pause(stale_chat, owner_client):
    page = owner_client.get("/sources/family-chat/").content.decode()
    assert _buttons(page) == ["Mute reminders"]
    assert 'action="/sources/family-chat/mute/"' in page


def test_a_muted_source_is_left_out_of_the_digest_and_its_card_stays_stale(stale_chat, owner_client):
    page = owner_client.post("/sources/family-chat/mute/", follow=True).content.decode()

    assert "Reminders about “Family chat” are muted." in page
    assert Connection.objects.get(pk=stale_chat.pk).reminders_muted
    assert _buttons(page) == ["Turn reminders back on"]
    card = owner_client.get("/").content.decode()
    assert "Needs a refresh" in card and "Stale since" in card  # staleness stays visible
    assert send_due_digests(timezone.now()) == 0 and mail.outbox == []

    owner_client.post("/sources/family-chat/unmute/")
    assert send_due_digests(timezone.now()) == 1
    assert "Family chat: Needs a refresh." in mail.outbox[0].body


def test_phone_and_feed_sources_offer_pause(owner, owner_client):
    add_connection(owner, "owntracks", "my-phone", "My phone")
    Connection.objects.create(owner=owner, connector="ical_feed", slug="calendar", name="Calendar",
                              schedule_policy="interval", interval_seconds=3600,
                              feed_url="https://calendar.example/c.ics")
    for slug in ("my-phone", "calendar"):
        page = owner_client.get(f"/sources/{slug}/").content.decode()
        assert _buttons(page) == ["Pause"], slug
        assert f'action="/sources/{slug}/pause/"' in page


def test_another_owner_cannot_mute_a_source(stale_chat, client, other_owner):
    client.force_login(other_owner)
    assert client.post("/sources/family-chat/mute/").status_code == 404
    assert client.get("/sources/family-chat/mute/").status_code in (404, 405)
    assert not Connection.objects.get(pk=stale_chat.pk).reminders_muted
