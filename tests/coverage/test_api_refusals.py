"""A script that asks the owner API for something it cannot do is told, in owner words, what is
wrong and what to send instead: ``{"detail": ..., "code": ...}``, and for refused values one
``{"field", "message"}`` per parameter. No framework words ("Unauthorized", "Input should be",
pydantic's error types) and nothing internal reaches the owner."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from connections.tokens import issue_access_token, revoke_access_token
from tests.factories import BatchFactory, ConnectionFactory, OwnerFactory

pytestmark = pytest.mark.django_db

FRAMEWORK_WORDS = ("Unauthorized", "Not Found", "Input should", "Value error", "pattern", "CSRF check", "parsing")


@pytest.fixture
def chat(owner):
    return ConnectionFactory(owner=owner, slug="family-chat", name="Family chat")


@pytest.fixture
def bearer(owner):
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_access_token(owner)[1]}"}


def _refusal(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code, body
    for word in FRAMEWORK_WORDS:
        assert word not in response.content.decode(), (word, body)
    return body


def _revoked(owner) -> str:
    token, secret = issue_access_token(owner, "old backup script")
    revoke_access_token(token)
    return f"Bearer {secret}"


# what the script sent as Authorization (a callable makes it from the owner), the code, words the owner reads
CREDENTIALS = [
    (None, "token_missing", "This request carries no access token"),
    ("Basic b3duZXI6c2VjcmV0", "token_not_bearer", "does not hold a bearer token"),
    ("Bearer", "token_not_bearer", "does not hold a bearer token"),
    ("Bearer oh_pat_typed-from-memory", "token_unknown", "not known or was revoked"),
    (_revoked, "token_unknown", "not known or was revoked"),
]


@pytest.mark.parametrize(("authorization", "code", "words"), CREDENTIALS)
def test_a_script_without_a_working_token_is_told_what_to_send(client, owner, chat, authorization, code, words):
    headers = {}
    if authorization is not None:
        headers["HTTP_AUTHORIZATION"] = authorization(owner) if callable(authorization) else authorization

    response = client.get("/api/owner/connections/family-chat/records", **headers)

    body = _refusal(response, 401, code)
    assert words in body["detail"] and "settings page (/settings/)" in body["detail"]
    assert "Authorization: Bearer <token>" in body["detail"]
    assert response["WWW-Authenticate"] == 'Bearer realm="Ownerhub"'


SINCE = (
    "since: give a date (2024-03-05, from the start of the owner's day) or a time with its zone "
    "(2024-03-05T09:00:00+01:00); “{}” is neither."
)

# method, address, query or form, the refused parameter, its sentence (or a part of it)
BAD_VALUES = [
    ("get", "/api/owner/connections/family-chat/records", {"since": "yesterday"}, "since",
     SINCE.format("yesterday")),
    ("get", "/api/owner/connections/family-chat/records", {"since": "2024-13-45"}, "since",
     SINCE.format("2024-13-45")),
    ("get", "/api/owner/connections/family-chat/records", {"until": "13/03/2026"}, "until",
     "until: give a date (2024-03-05, up to the end of the owner's day)"),
    ("get", "/api/owner/connections/family-chat/records", {"limit": "lots"}, "limit",
     "limit: give a whole number of records from 1 to 500; “lots” is not one."),
    ("get", "/api/owner/connections/family-chat/records", {"limit": "501"}, "limit",
     "limit: give a whole number of records from 1 to 500; “501” is not one."),
    ("get", "/api/owner/connections/family-chat/records", {"stream": "mess\x00ages"}, "stream",
     "stream: give a stream's name as the records' stream field holds it, such as messages; "
     "the value sent holds a control character."),
    # A filter naming what this source (a WhatsApp chat) does not have: before, 200 and no records.
    ("get", "/api/owner/connections/family-chat/records", {"stream": "mesages"}, "stream",
     "stream: give a stream this source holds (messages); “mesages” is not one."),
    ("get", "/api/owner/connections/family-chat/records", {"stream": "locations"}, "stream",
     "stream: give a stream this source holds (messages); “locations” is not one."),
    ("get", "/api/owner/connections/family-chat/records", {"method": "bogus"}, "method",
     "method: give a way this source's records arrive (owner_artifact or device_backup); “bogus” is not one."),
    ("get", "/api/owner/connections/family-chat/records", {"method": "device_sync"}, "method",
     "method: give a way this source's records arrive (owner_artifact or device_backup); “device_sync” is not one."),
    # A cursor the API did not give: before, 200 and no records, as at the end of the pages.
    ("get", "/api/owner/connections/family-chat/records", {"cursor": "zzz"}, "cursor",
     "cursor: give the next_cursor of the page before; “zzz” is not one."),
    ("get", "/api/owner/connections/family-chat/records", {"cursor": "locations:1700000000"}, "cursor",
     "cursor: give the next_cursor of the page before; “locations:1700000000” is not one."),
    ("get", "/api/owner/connections/family-chat/records", {"strem": "messages"}, "strem",
     "strem: this address takes no field of that name (only stream, since, until, method, cursor and limit); "
     "leave it out."),
    # An address that takes no parameter refuses one (before: ignored, so ?state=failing listed every source).
    ("get", "/api/owner/connections", {"state": "failing"}, "state",
     "state: this address takes no fields; leave it out."),
    ("get", "/api/owner/connections/family-chat", {"since": "2024-01-01"}, "since",
     "since: this address takes no fields; leave it out."),
    ("get", "/api/owner/system", {"verbose": "1"}, "verbose", "verbose: this address takes no fields; leave it out."),
    ("get", "/api/owner/batches/latest", {}, "batch_id",
     "batch_id: give an import's number, the batch_id of its receipt; “latest” is not one."),
    ("get", "/api/owner/exports/my-export", {}, "export_id",
     "export_id: give an export's id, as POST /api/owner/exports answered it; “my-export” is not one."),
    ("post", "/api/owner/previews/1/commit?confirm_other_account=maybe", {}, "confirm_other_account",
     "confirm_other_account: give true or false; “maybe” is neither."),
    ("post", "/api/owner/previews/1/answer", {"date_order": "ymd"}, "date_order",
     "date_order: give dmy (the day comes first) or mdy (the month comes first); “ymd” is neither."),
    ("post", "/api/owner/connections/family-chat/previews", {}, "file",
     "file: send the export as a multipart form field named file; none was sent."),
]


@pytest.mark.parametrize(("method", "path", "data", "field", "message"), BAD_VALUES)
def test_a_value_the_api_does_not_take_is_named_with_what_it_takes(client, chat, bearer, method, path, data, field,
                                                                   message):
    response = getattr(client, method)(path, data, **bearer)

    body = _refusal(response, 400, "invalid_values")
    assert len(body["errors"]) == 1 and body["errors"][0]["field"] == field
    assert body["errors"][0]["message"].startswith(message), body["errors"][0]["message"]
    assert body["detail"] == body["errors"][0]["message"]


def test_each_refused_value_gets_its_own_sentence(client, chat, bearer):
    response = client.get(
        "/api/owner/connections/family-chat/records", {"since": "yesterday", "limit": "0"}, **bearer
    )

    body = _refusal(response, 400, "invalid_values")
    assert [e["field"] for e in body["errors"]] == ["since", "limit"]
    assert body["detail"] == " ".join(e["message"] for e in body["errors"])


def test_a_field_an_upload_does_not_take_is_named(client, chat, bearer, tmp_path):
    export = tmp_path / "WhatsApp Chat with Family.txt"
    export.write_text("01/03/2024, 09:00 - Alice: Hello\n")
    with export.open("rb") as fh:
        response = client.post(
            "/api/owner/connections/family-chat/previews", {"file": fh, "dateorder": "dmy"}, **bearer
        )

    body = _refusal(response, 400, "invalid_values")
    assert body["errors"] == [{
        "field": "dateorder",
        "message": "dateorder: this address takes no field of that name (only file and date_order); leave it out.",
    }]


def test_a_pairing_that_is_not_names_says_what_shape_to_send(client, chat, bearer):
    preview = BatchFactory(connection=chat, status="preview")

    response = client.post(f"/api/owner/previews/{preview.pk}/same-people", {"authors": ["Alice"]},
                           content_type="application/json", **bearer)

    body = _refusal(response, 400, "invalid_values")
    assert body["errors"][0]["field"] == "authors"
    assert '{"authors": {"name in this file": "name the source knows them by"}}' in body["detail"]


def test_a_source_that_takes_no_uploads_says_so(client, owner, bearer):
    ConnectionFactory(owner=owner, connector="ical_feed", slug="calendar")

    response = client.post("/api/owner/connections/calendar/previews", {"file": SimpleUploadedFile("cal.ics", b"BEGIN:VCALENDAR")}, **bearer)

    body = _refusal(response, 400, "no_uploads")
    assert body["detail"].endswith("does not take an uploaded export.")


def _bobs(kind: str) -> str:
    bob = OwnerFactory(username="bob")
    if kind == "source":
        return ConnectionFactory(owner=bob, slug="bobs-phone").slug
    return str(BatchFactory(connection=ConnectionFactory(owner=bob)).pk)


# address (made from what another owner holds), the sentence the owner reads
NOT_YOURS = [
    (lambda: f"/api/owner/connections/{_bobs('source')}",
     "You have no source “bobs-phone”: GET /api/owner/connections lists yours"),
    (lambda: f"/api/owner/connections/{_bobs('source')}/records", "You have no source “bobs-phone”"),
    (lambda: "/api/owner/connections/no-such-source", "You have no source “no-such-source”"),
    (lambda: f"/api/owner/batches/{_bobs('import')}", "You have no import "),
    (lambda: "/api/owner/batches/999999", "You have no import 999999: its number is the batch_id"),
    (lambda: f"/api/owner/exports/{uuid.UUID(int=7)}", "You have no export 00000000-0000-0000-0000-000000000007"),
]


@pytest.mark.parametrize(("address", "words"), NOT_YOURS)
def test_what_is_not_the_owners_is_404_in_owner_words(client, chat, bearer, address, words):
    response = client.get(address(), **bearer)

    body = _refusal(response, 404, "not_found")
    assert body["detail"].startswith(words), body["detail"]


@pytest.mark.parametrize(
    ("method", "path", "status", "code", "words"),
    [
        ("delete", "/api/owner/connections", 405, "method_not_allowed", "This address does not take DELETE; it takes GET."),
        ("get", "/api/owner/previews/1/commit", 405, "method_not_allowed", "This address does not take GET; it takes POST."),
        ("get", "/api/owner/no-such-thing", 404, "no_such_address", "/api/owner/docs lists the owner API's addresses"),
    ],
)
def test_an_address_or_method_the_api_lacks_says_which_it_has(client, chat, bearer, method, path, status, code, words):
    response = getattr(client, method)(path, **bearer)

    body = _refusal(response, status, code)
    assert words in body["detail"]


def test_a_signed_in_browser_without_its_csrf_token_is_told_how_to_send_one(owner):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)

    response = browser.post("/api/owner/exports")

    body = _refusal(response, 403, "csrf_failed")
    assert "X-CSRFToken" in body["detail"] and "Authorization: Bearer <token>" in body["detail"]


def test_the_openapi_schema_describes_the_refusal_shape(client):
    response = client.get("/api/owner/openapi.json")

    assert response.status_code == 200
    schemas = response.json()["components"]["schemas"]
    assert set(schemas["Problem"]["properties"]) == {"detail", "code", "errors", "newer_batch_id"}
    assert set(schemas["FieldProblem"]["properties"]) == {"field", "message"}
