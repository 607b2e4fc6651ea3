"""Reconnecting a feed in place: a new address is tested against a real local server before it is saved."""

from __future__ import annotations

import pytest
from django.utils import timezone
from werkzeug import Response

from connections.models import Condition, Connection
from coverage.evidence import load_one
from coverage.pipeline.pull import pull
from tests.live.conftest import FEED_PATH, ical

pytestmark = pytest.mark.django_db
CALENDAR = "text/calendar; charset=utf-8"
NEW_PATH = "/cal/private-new-0123456789abcdef/basic.ics"


@pytest.fixture
def refused(calendar, httpserver):
    """A calendar whose old address was refused (403): the card shows the refusal."""
    httpserver.expect_request(FEED_PATH).respond_with_data("no", status=403)
    run = pull(calendar, timezone.now())
    assert run.outcome == "failure"
    calendar.refresh_from_db()
    assert load_one(calendar).verdict.state == "failing"
    return calendar


def post_address(client, owner, url: str) -> str:
    client.force_login(owner)
    return client.post("/sources/work-calendar/feed/", {"feed_url": url}, follow=True).content.decode()


def test_a_new_feed_address_is_tested_saved_and_checked_until_its_first_pull(refused, owner, client, httpserver):
    httpserver.expect_request(NEW_PATH).respond_with_data(ical("calendar.ics"), content_type=CALENDAR)
    new_url = httpserver.url_for(NEW_PATH)

    page = post_address(client, owner, new_url)

    # 14: the daily stand-up is an event a day (ical/3); its last, 12 Jun, is the newest
    assert "Feed address saved: it holds 14 events, newest 12 Jun 2024." in page
    refused.refresh_from_db()
    assert refused.feed_url == new_url and refused.next_due_at is not None
    health = load_one(refused)
    assert (health.verdict.headline, health.verdict.state) == ("Checking the new address…", "healthy")
    card = client.get("/sources/work-calendar/").content.decode()
    assert "Checking the new address…" in card and "Access refused" not in card

    run = pull(refused, timezone.now())  # the queued pull from the new address
    assert (run.outcome, run.records) == ("success", 14)
    health = load_one(refused)
    assert health.verdict.headline != "Checking the new address…"
    assert health.readiness.credential.state == "ready"


def test_a_new_address_answering_not_found_is_refused_and_nothing_is_saved(refused, owner, client, httpserver):
    httpserver.expect_request("/cal/gone.ics").respond_with_data("gone", status=404)
    old_url = refused.feed_url

    page = post_address(client, owner, httpserver.url_for("/cal/gone.ics"))

    assert "The address answered “not found”" in page and "Nothing was changed." in page
    assert Connection.objects.get(pk=refused.pk).feed_url == old_url
    assert load_one(refused).verdict.state == "failing"  # still the old refusal: nothing changed
    live = Condition.objects.filter(connection=refused, type="credential", superseded_at__isnull=True)
    assert [c.status for c in live] == ["rejected"]


def test_a_new_address_that_is_not_a_calendar_is_refused(refused, owner, client, httpserver):
    httpserver.expect_request("/login").respond_with_data("<html><body>Sign in</body></html>", content_type="text/html")

    page = post_address(client, owner, httpserver.url_for("/login"))

    assert "not with a calendar Ownerhub can read" in page and "Nothing was changed." in page
    assert Connection.objects.get(pk=refused.pk).feed_url != httpserver.url_for("/login")


def test_a_failed_first_pull_from_the_new_address_shows_that_failure(refused, owner, client, httpserver):
    answers = iter([(ical("calendar.ics"), 200), (b"down", 503)])

    def handler(request):
        body, status = next(answers)
        return Response(body, status=status, content_type=CALENDAR)

    httpserver.expect_request(NEW_PATH).respond_with_handler(handler)
    post_address(client, owner, httpserver.url_for(NEW_PATH))
    refused.refresh_from_db()
    assert load_one(refused).verdict.headline == "Checking the new address…"

    run = pull(refused, timezone.now())

    assert run.outcome == "failure"
    assert load_one(refused).verdict.headline.startswith("The last collection failed")
