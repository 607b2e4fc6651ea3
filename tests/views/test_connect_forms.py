"""Connecting a phone or a feed from the source page."""

from __future__ import annotations

from pathlib import Path

import pytest

from connections.models import Connection, DeviceToken, hash_secret

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def phone(owner):
    return Connection.objects.create(owner=owner, connector="owntracks", slug="my-phone", name="My phone")


def test_owner_creates_a_device_token_shown_once(phone, client, owner):
    client.force_login(owner)
    page = client.get("/sources/my-phone/")
    assert "Create a device token" in page.content.decode()
    # The source page gives no half address a phone could not reach; the token's page gives the whole one.
    assert "URL /ingest/owntracks" not in page.content.decode()
    assert "with the whole address each app needs" in page.content.decode()
    response = client.post("/sources/my-phone/token/", follow=True)  # POST, then the page that shows it once
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    secret = response.context["secret"]
    assert secret in response.content.decode()
    token = DeviceToken.objects.get(connection=phone)
    assert token.token_hash == hash_secret(secret) and secret not in token.token_hash
    # Afterwards the page offers to replace it and never shows the secret again.
    again = client.get("/sources/my-phone/").content.decode()
    assert "Replace the device token" in again and secret not in again


def test_replacing_the_token_stops_the_old_one(phone, client, owner):
    client.force_login(owner)
    first = client.post("/sources/my-phone/token/", follow=True).context["secret"]
    second = client.post("/sources/my-phone/token/", follow=True).context["secret"]
    live = DeviceToken.objects.live().filter(connection=phone)
    assert [t.token_hash for t in live] == [hash_secret(second)]
    assert DeviceToken.objects.get(token_hash=hash_secret(first)).revoked_at is not None


def test_owner_saves_a_feed_address_and_it_is_kept_private(owner, client, httpserver, settings):
    # The address is tested before it is saved (connections.reconnect): a real local calendar answers.
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = [httpserver.host]
    httpserver.expect_request("/cal.ics").respond_with_data(
        (FIXTURES / "ical" / "calendar.ics").read_bytes(), content_type="text/calendar")
    feed = Connection.objects.create(owner=owner, connector="ical_feed", slug="cal", name="Calendar",
                                     schedule_policy="interval", interval_seconds=3600)
    client.force_login(owner)
    address = httpserver.url_for("/cal.ics") + "?token=s3cret"
    response = client.post("/sources/cal/feed/", {"feed_url": address}, follow=True)
    assert "Feed address saved" in response.content.decode()
    assert "s3cret" not in response.content.decode()
    feed.refresh_from_db()
    assert feed.feed_url == address and feed.next_due_at is not None


def test_a_bad_feed_address_changes_nothing(owner, client):
    Connection.objects.create(owner=owner, connector="ical_feed", slug="cal", name="Calendar",
                              feed_url="https://example.org/old.ics")
    client.force_login(owner)
    response = client.post("/sources/cal/feed/", {"feed_url": "ftp://nope"}, follow=True)
    assert "cannot be used" in response.content.decode() and "Nothing was changed" in response.content.decode()
    assert Connection.objects.get(slug="cal").feed_url == "https://example.org/old.ics"


def test_another_owner_cannot_make_tokens_or_change_feeds(phone, other_owner, client):
    client.force_login(other_owner)
    assert client.post("/sources/my-phone/token/").status_code == 404
    assert client.post("/sources/my-phone/feed/", {"feed_url": "https://x.org/a.ics"}).status_code == 404
    assert not DeviceToken.objects.exists()
