"""Operators read the evidence in Django admin, with the projected verdict beside each connection."""

from __future__ import annotations

import pytest
from django.contrib import admin

from connections.models import Connection
from tests.scenarios import SCENARIOS

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_superuser("op", password="pw")


@pytest.fixture
def evidence(owner):
    for scenario, _ in SCENARIOS.values():
        scenario.save(owner)


def test_every_evidence_model_has_a_working_read_only_list(operator, evidence, client):
    client.force_login(operator)
    for model in admin.site._registry:
        meta = model._meta
        response = client.get(f"/admin/{meta.app_label}/{meta.model_name}/")
        assert response.status_code == 200, meta.label
    assert client.get("/admin/coverage/record/add/").status_code == 403  # evidence is not typed in by hand


def test_connection_list_shows_the_projected_verdict_and_filters_by_state(operator, evidence, client):
    client.force_login(operator)
    page = client.get("/admin/connections/connection/").content.decode()
    assert "failing: Access refused on" in page
    assert "attention: Covers 12 Mar to 25 Mar 2023" in page
    failing = client.get("/admin/connections/connection/?state=failing").content.decode()
    assert "Work calendar" in failing and "Flaky calendar" in failing  # rejected access, 3 failed runs
    assert "Family chat" not in failing and "Home calendar" not in failing
    searched = client.get("/admin/connections/connection/?q=family").content.decode()
    assert "Family chat" in searched and "Work calendar" not in searched


def test_operator_never_reads_a_private_feed_address(operator, owner, client):
    """A calendar's secret link is the owner's credential: the admin shows where it points, not the secret."""
    secret = "private-0123456789abcdef0123456789abcdef"
    feed = Connection.objects.create(
        owner=owner, connector="ical_feed", slug="work", name="Work calendar",
        feed_url=f"https://cal.example.org/{secret}/basic.ics",
    )
    client.force_login(operator)
    page = client.get(f"/admin/connections/connection/{feed.pk}/change/").content.decode()
    assert "cal.example.org" in page
    assert secret[:4] not in page and "cal.example.org/…/basic.ics" in page
