"""Property-based run of the owner API against its own OpenAPI schema (schemathesis).

Every operation, with generated paths, queries and bodies, as a logged-in
owner who has data: no 5xx, and every response matches the schema.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from connections.models import Connection
from coverage.services import issue_access_token
from ownerhub.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/owner/openapi.json", application)


@pytest.fixture
def token(django_user_model, settings):
    settings.ALLOWED_HOSTS = ["*"]
    owner, _ = django_user_model.objects.get_or_create(username="schema-owner")
    Connection.objects.get_or_create(owner=owner, connector="whatsapp", slug="family-chat",
                                     defaults={"name": "Family chat"})
    return issue_access_token(owner)[1]


@pytest.mark.django_db(transaction=True)  # schemathesis calls from its own thread on PostgreSQL
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_owner_api_honours_its_schema(case, token):
    # ignored_auth replays the call without our header; we prove refusals in test_owner_isolation.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"}, excluded_checks=[schemathesis.checks.ignored_auth]
    )
