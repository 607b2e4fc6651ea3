"""Property-based run of the owner API against its own OpenAPI schema (schemathesis).

Every operation, with generated paths, queries and bodies, as a logged-in owner who has data,
with every check schemathesis has (the CLI's ``--checks all``): no 5xx, every status and body
documented, invalid input refused, valid input accepted (``schemathesis.toml`` says which
answers about a file count as accepted), wrong credentials refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from django.core.cache import cache
from hypothesis import HealthCheck, settings

from connections.models import Connection
from coverage.pipeline import preview_artifact
from coverage.services import issue_access_token
from ownerhub.wsgi import application

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

schema = schemathesis.openapi.from_wsgi("/api/owner/openapi.json", application)
schema.config.checks.update(included_check_names=["all"])  # the CLI's `--checks all`


@pytest.fixture
def owned(django_user_model, settings):
    settings.ALLOWED_HOSTS = ["*"]
    owner, _ = django_user_model.objects.get_or_create(username="schema-owner")
    chat, _ = Connection.objects.get_or_create(owner=owner, connector="whatsapp", slug="family-chat",
                                               defaults={"name": "Family chat"})
    with (FIXTURES / "whatsapp" / "android_dayfirst_24h.txt").open("rb") as fh:
        preview = preview_artifact(chat, fh, "android_dayfirst_24h.txt")
    return {"token": issue_access_token(owner)[1], "slug": chat.slug, "batch_id": preview.pk}


@pytest.mark.django_db(transaction=True)  # schemathesis calls from its own thread on PostgreSQL
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_owner_api_honours_its_schema(case, owned):
    # Each generated case is a new client: otherwise the wrong tokens ignored_auth sends on
    # purpose add up to the guessing limit (429), which test_token_limits covers on its own.
    cache.clear()
    if case.meta is not None and case.meta.generation.mode.is_positive:
        # Valid requests also reach the owner's real source and preview, not only 404s.
        for name in ("slug", "batch_id"):
            if name in (case.path_parameters or {}):
                case.path_parameters[name] = owned[name]
        # The schema lists every kind of source's streams and methods; a valid request names the chat's own.
        for name, value in (("stream", "messages"), ("method", "owner_artifact"), ("cursor", "messages:0")):
            if name in (case.query or {}):
                case.query[name] = value
    case.call_and_validate(headers={"Authorization": f"Bearer {owned['token']}"})


def test_the_schema_says_what_an_upload_needs_and_every_answer(client):
    paths = client.get("/api/owner/openapi.json").json()["paths"]

    upload = paths["/api/owner/connections/{slug}/previews"]["post"]
    form = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["file"]
    assert form["properties"]["date_order"]["enum"] == ["dmy", "mdy"]
    assert {"200", "201", "400", "401", "404", "413", "422", "429"} <= set(upload["responses"])
    answer = paths["/api/owner/previews/{batch_id}/answer"]["post"]
    assert answer["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]["properties"][
        "date_order"]["enum"] == ["dmy", "mdy"]
    assert {"401", "404", "409", "429"} <= set(answer["responses"])
    assert {"401", "404", "409", "429"} <= set(paths["/api/owner/previews/{batch_id}/commit"]["post"]["responses"])
    records = {p["name"]: p for p in paths["/api/owner/connections/{slug}/records"]["get"]["parameters"]}
    assert "WhatsApp: messages;" in records["stream"]["description"]
    assert "Phone locations: device_sync or owner_artifact;" in records["method"]["description"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert {"401", "429"} <= set(operation["responses"]), f"{method} {path}"
