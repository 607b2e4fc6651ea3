"""The owner API's surface: every error is JSON, the docs are the owner's and load nothing remote,
and owner data is never kept in a cache."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from connections.models import Connection
from coverage.services import issue_access_token

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
pytestmark = pytest.mark.django_db
BOUNDARY = "ownerhub-test-boundary"


@pytest.fixture
def chat(owner):
    return Connection.objects.create(owner=owner, connector="whatsapp", slug="family-chat", name="Family chat")


@pytest.fixture
def bearer(owner):
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_access_token(owner)[1]}"}


def _multipart(filename: str, content: bytes) -> bytes:
    """A multipart body written by hand: Django's test client would shorten the name to 255 characters."""
    return (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode() + content + f"\r\n--{BOUNDARY}--\r\n".encode()


def _assert_json_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    body = response.json()
    assert body["detail"] and "<" not in body["detail"]
    return body


def test_a_thousand_character_file_name_is_answered_in_json(client, chat, bearer):
    content = (FIXTURES / "whatsapp" / "android_dayfirst_24h.txt").read_bytes()
    name = "Chat with the whole family " + "x" * 973 + ".txt"

    response = client.post(
        "/api/owner/connections/family-chat/previews",
        data=_multipart(name, content),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **bearer,
    )

    body = _assert_json_problem(response, 400)
    assert "name" in body["detail"] and "shorter" in body["detail"]
    assert not chat.batches.exists()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/owner/no-such-thing", 404),
        ("get", "/api/owner/connections/family-chat/nothing-here", 404),
        ("delete", "/api/owner/connections", 405),
        ("get", "/api/owner/previews/1/commit", 405),
    ],
)
def test_an_api_address_that_does_not_exist_is_answered_in_json(client, chat, bearer, method, path, status):
    response = getattr(client, method)(path, **bearer)

    _assert_json_problem(response, status)


def test_an_unreadable_upload_is_answered_in_json(client, chat, bearer):
    response = client.post(
        "/api/owner/connections/family-chat/previews",
        data=b"--not-the-boundary\r\nnonsense",
        content_type="multipart/form-data; boundary=",
        **bearer,
    )

    _assert_json_problem(response, 400)


def test_the_api_docs_ask_for_a_login(client):
    response = client.get("/api/owner/docs")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/api/owner/docs")


def test_the_api_docs_load_only_local_files_under_a_self_only_policy(client, owner):
    client.force_login(owner)

    response = client.get("/api/owner/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not shipped with Ownerhub"
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert "unsafe" not in policy and "http" not in policy
    assert "Apache License" in Path(finders.find("vendor/swagger-ui/LICENSE")).read_text()


@pytest.mark.parametrize(
    "path",
    [
        "/api/owner/connections",
        "/api/owner/connections/family-chat",
        "/api/owner/connections/not-mine",
        "/api/owner/batches/999",
        "/",
        "/sources/family-chat/",
    ],
)
def test_owner_data_is_never_stored_by_a_cache(client, owner, chat, path):
    client.force_login(owner)

    response = client.get(path)

    assert "no-store" in response.get("Cache-Control", ""), (response.status_code, response.get("Cache-Control"))


def test_a_token_owners_answers_are_never_stored_by_a_cache(client, chat, bearer):
    response = client.get("/api/owner/connections", **bearer)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
