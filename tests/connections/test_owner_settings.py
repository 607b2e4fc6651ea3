"""An owner manages their own account from one page: time zone, password, API tokens."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from connections.models import AccessToken, OwnerProfile, hash_secret
from tests.factories import PASSWORD, AccessTokenFactory, OwnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def test_the_settings_page_is_linked_from_every_page(owner_client):
    page = owner_client.get("/").content.decode()
    assert 'href="/settings/"' in page
    settings_page = owner_client.get("/settings/")
    assert settings_page.status_code == 200
    assert "Pacific/Auckland" in settings_page.content.decode()  # the searchable list of zones


@pytest.mark.parametrize(
    ("zone", "status", "saved"),
    [
        ("Pacific/Auckland", 302, "Pacific/Auckland"),
        ("America/Argentina/Buenos_Aires", 302, "America/Argentina/Buenos_Aires"),
        ("Mars/Olympus_Mons", 400, ""),
        ("", 400, ""),
    ],
)
def test_owner_picks_a_time_zone(owner_client, owner, zone, status, saved):
    response = owner_client.post("/settings/time-zone/", {"time_zone": zone})
    assert response.status_code == status
    profile = OwnerProfile.objects.filter(owner=owner).first()
    assert (profile.time_zone if profile else "") == saved
    if status == 400:
        assert "is not a time zone Ownerhub knows" in response.content.decode()


def test_owner_changes_their_password_and_stays_logged_in(owner_client, owner, client):
    wrong = owner_client.post("/settings/password/", {
        "old_password": "not it", "new_password1": "a much longer one 42", "new_password2": "a much longer one 42"})
    assert wrong.status_code == 400
    right = owner_client.post("/settings/password/", {
        "old_password": PASSWORD, "new_password1": "a much longer one 42", "new_password2": "a much longer one 42"})
    assert right.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("a much longer one 42")
    assert owner_client.get("/settings/").status_code == 200  # this session survives


def test_a_new_token_is_shown_once_works_and_can_be_revoked(owner_client, owner, client):
    created = owner_client.post("/settings/tokens/", {"name": "backup script"})
    page = created.content.decode()
    secret = page.split('id="new-token">')[1].split("<")[0]
    assert secret.startswith("oh_pat") and "backup script" in page
    token = AccessToken.objects.get(owner=owner)
    assert token.token_hash == hash_secret(secret) and secret not in token.token_hash
    assert secret not in owner_client.get("/settings/").content.decode()  # once only

    client.logout()
    api = client.get("/api/owner/connections", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None

    owner_client.force_login(owner)
    listing = owner_client.get("/settings/").content.decode()
    assert "backup script" in listing and f"…{secret[-4:]}" in listing
    assert owner_client.post(f"/settings/tokens/{token.pk}/revoke/").status_code == 302
    client.logout()
    assert client.get("/api/owner/connections", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_an_owner_cannot_revoke_another_owners_token(owner_client):
    theirs = AccessTokenFactory(owner=OwnerFactory(username="mallory"))
    assert owner_client.post(f"/settings/tokens/{theirs.pk}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_set_time_zone_command(owner):
    out = StringIO()
    call_command("set_time_zone", "Europe/Berlin", "--owner", owner.username, stdout=out)
    assert "Europe/Berlin" in out.getvalue()
    assert OwnerProfile.objects.get(owner=owner).time_zone == "Europe/Berlin"
    with pytest.raises(CommandError, match="not a time zone"):
        call_command("set_time_zone", "Europe/Atlantis", "--owner", owner.username)
    with pytest.raises(CommandError, match="No owner"):
        call_command("set_time_zone", "Europe/Berlin", "--owner", "nobody")
