"""Nobody sees another owner's data.

Every URL pattern (from the resolver) and every API operation (from the OpenAPI
schema) is tried as owner B against owner A's slugs and batch ids, so a new
endpoint is covered the day it is added.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.html import escape

from connections.models import Connection
from connections.tokens import issue_device_token
from coverage.pipeline import land_batch, preview_artifact, start_commit
from coverage.services import issue_access_token
from exports.building import build
from exports.services import request_export

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
pytestmark = pytest.mark.django_db
SECRET_NAME = "Ada's private family chat"
# As a page or JSON shows it: HTML escapes the apostrophe, so a check of the raw name alone misses it.
SECRET_FORMS = (SECRET_NAME, escape(SECRET_NAME), "Ada&#39;s private family chat")


def _leaks(content: str) -> bool:
    return any(form in content for form in SECRET_FORMS)

# Prefixes with their own isolation rules, tested below.
OWN_RULES = ("admin/", "api/owner/", "ingest/", "static/", "login/", "logout/")


def _patterns(resolvers, prefix=""):
    for entry in resolvers:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            yield prefix + route


@pytest.fixture
def victim(owner):
    chat = Connection.objects.create(owner=owner, connector="whatsapp", slug="family-chat", name=SECRET_NAME)
    with (FIXTURES / "whatsapp" / "android_dayfirst_24h.txt").open("rb") as fh:
        batch = preview_artifact(chat, fh, "android_dayfirst_24h.txt")
    batch = land_batch(start_commit(batch, enqueue=False).pk)
    with (FIXTURES / "whatsapp" / "android_newer.txt").open("rb") as fh:
        pending = preview_artifact(chat, fh, "android_newer.txt")
    phone = Connection.objects.create(owner=owner, connector="owntracks", slug="ada-phone", name="Ada's phone")
    _, device_secret = issue_device_token(phone)
    export = build(request_export(owner).pk)  # a ready download of everything Ada holds
    return {"slug": "family-chat", "batch_id": batch.pk, "pending_id": pending.pk, "device_secret": device_secret,
            "token": str(export.token)}


def _fill(route: str, victim: dict, batch_key: str) -> str | None:
    if "<" not in route:
        return None
    values = {"slug": victim["slug"], "batch_id": victim[batch_key], "connector": None, "token": victim["token"]}

    def sub(match):
        name = match.group(2)
        value = values.get(name, "x")
        if value is None:
            raise LookupError(name)
        return str(value)

    try:
        return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", sub, route)
    except LookupError:
        return None  # the pattern names no owner data (a connector id)


def test_every_page_refuses_another_owner(victim, other_owner, client):
    client.force_login(other_owner)
    tried = []
    for route in _patterns(get_resolver().url_patterns):
        if route.startswith(OWN_RULES) or route.startswith("^"):
            continue
        for batch_key in ("batch_id", "pending_id"):
            url = _fill(route, victim, batch_key)
            if url is None:
                continue
            for method in ("get", "post"):
                response = getattr(client, method)(url, HTTP_HX_REQUEST="true" if batch_key == "pending_id" else "")
                tried.append((method, url, response.status_code))
                assert response.status_code in (404, 405), (method, url, response.status_code)
                assert not _leaks(response.content.decode(errors="replace"))
    assert len(tried) >= 10, tried  # the walk really found the owner-data pages
    assert Connection.objects.filter(slug="family-chat").exists()  # nothing was removed either


def test_pages_without_owner_data_in_the_url_show_only_your_own(victim, other_owner, client):
    client.force_login(other_owner)
    for route in _patterns(get_resolver().url_patterns):
        if route.startswith(OWN_RULES) or "<" in route:
            continue
        response = client.get("/" + route)
        assert not _leaks(response.content.decode(errors="replace")), route


def test_anonymous_visitors_are_sent_to_log_in(victim, client):
    for route in _patterns(get_resolver().url_patterns):
        if route.startswith(OWN_RULES) or route.startswith("^"):
            continue
        url = _fill(route, victim, "batch_id") or ("/" + route if "<" not in route else None)
        if url is None:
            continue
        response = client.get(url)
        assert response.status_code in (302, 401, 403, 404, 405), (url, response.status_code)
        if response.status_code == 302:
            assert "/login/" in response["Location"]
        assert not _leaks(response.content.decode(errors="replace"))


def _operations(client):
    schema = client.get("/api/owner/openapi.json").json()
    for path, item in schema["paths"].items():
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                yield method, path


def test_every_api_operation_refuses_another_owner(victim, other_owner, client):
    _, secret = issue_access_token(other_owner)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    tried = 0
    for method, path in _operations(client):
        if "{" not in path:
            response = getattr(client, method)(path, **auth)
            assert not _leaks(response.content.decode()), (method, path)
            continue
        url = path.replace("{slug}", victim["slug"]).replace("{batch_id}", str(victim["pending_id"]))
        url = url.replace("{export_id}", victim["token"])
        data = {"file": io.BytesIO(b"12/03/2023, 09:15 - Ana: hi\n"), "date_order": "dmy"}
        response = getattr(client, method)(url, data, **auth) if method == "post" else client.get(url, **auth)
        tried += 1
        assert response.status_code == 404, (method, url, response.status_code, response.content[:200])
        assert not _leaks(response.content.decode())
    assert tried >= 4


def test_every_api_operation_needs_credentials(victim, client):
    for method, path in _operations(client):
        url = path.replace("{slug}", victim["slug"]).replace("{batch_id}", str(victim["batch_id"]))
        url = url.replace("{export_id}", victim["token"])
        response = getattr(client, method)(url)
        assert response.status_code == 401, (method, url, response.status_code)


def test_search_finds_nothing_of_another_owner(victim, owner, other_owner, client):
    client.force_login(owner)
    assert _leaks(client.get("/search/", {"q": "Lisbon"}).content.decode())  # Ada finds her own
    client.force_login(other_owner)
    for words in ("Lisbon", "Flights booked", "Bom dia"):
        page = client.get("/search/", {"q": words}).content.decode()
        assert not _leaks(page) and "<mark>" not in page, words


def test_the_settings_page_shows_only_your_own_export(victim, other_owner, client):
    client.force_login(other_owner)
    panel = client.get("/settings/export/").content.decode()
    assert victim["token"] not in panel and "Export all my data" in panel


def test_admin_is_only_for_staff(victim, other_owner, client):
    client.force_login(other_owner)
    for url in ("/admin/", "/admin/coverage/record/", "/admin/connections/connection/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url


def test_a_device_token_only_works_for_its_own_owner(victim, other_owner, client):
    credentials = base64.b64encode(f"{other_owner.username}:{victim['device_secret']}".encode()).decode()
    response = client.post(
        "/ingest/owntracks",
        data='{"_type": "location", "lat": 52.5, "lon": 13.4, "tst": 1700000000}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )
    assert response.status_code == 401
