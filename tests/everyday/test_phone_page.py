"""Connecting a phone: POST makes the token, one page shows it once with QR codes; reload never rotates it."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from connections import phone
from connections.models import Connection, DeviceToken, hash_secret

pytestmark = pytest.mark.django_db


@pytest.fixture
def my_phone(owner):
    return Connection.objects.create(owner=owner, connector="owntracks", slug="my-phone", name="My phone")


def test_a_new_token_is_posted_then_shown_once_and_a_reload_never_rotates_it(owner_client, my_phone):
    response = owner_client.post("/sources/my-phone/token/")
    assert response.status_code == 302 and response["Location"] == "/sources/my-phone/token/"

    page = owner_client.get("/sources/my-phone/token/")
    secret = page.context["secret"]
    body = page.content.decode()
    assert page["Cache-Control"] == "no-store" and secret in body
    assert body.count('class="segno"') == 2 and "OwnTracks (HTTP mode) settings for My phone" in body
    assert 'data-copy="#device-token"' in body and "Copy the address" in body

    again = owner_client.get("/sources/my-phone/token/")
    assert again.context["secret"] is None and secret not in again.content.decode()
    assert 'class="segno"' not in again.content.decode()  # the codes carry the token: shown once too
    assert "Make a new token" in again.content.decode()
    assert [t.token_hash for t in DeviceToken.objects.live()] == [hash_secret(secret)]


def test_the_owntracks_code_carries_the_http_settings():
    link = phone.owntracks_link("https://hub.example/ingest/owntracks", "ada", "s3cret", "my-phone")
    packed = parse_qs(urlsplit(link).query)["inline"][0]
    config = json.loads(base64.urlsafe_b64decode(packed))
    assert link.startswith("owntracks:///config?inline=")
    assert config == {
        "_type": "configuration", "mode": 3, "url": "https://hub.example/ingest/owntracks", "auth": True,
        "username": "ada", "password": "s3cret", "deviceId": "my-phone",
    }


def test_the_overland_code_carries_the_receiver_and_token():
    link = phone.overland_link("https://hub.example/ingest/overland", "s3cret", "my-phone")
    assert urlsplit(link)[:3] == ("overland", "setup", "")
    assert parse_qs(urlsplit(link).query) == {
        "url": ["https://hub.example/ingest/overland"], "token": ["s3cret"], "device_id": ["my-phone"]
    }


def test_another_owners_phone_page_is_404(client, other_owner, my_phone):
    client.force_login(other_owner)
    assert client.get("/sources/my-phone/token/").status_code == 404
    assert client.post("/sources/my-phone/token/").status_code == 404
    assert not DeviceToken.objects.exists()
