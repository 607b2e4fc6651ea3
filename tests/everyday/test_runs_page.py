"""A pulled source's runs: what each collection did, Collect now, and the schedule the owner picks."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from connections.models import CollectionRun, Connection
from coverage.tasks import collect_now

pytestmark = [pytest.mark.django_db]
Outcome = CollectionRun.Outcome


@pytest.fixture
def feed(owner):
    now = timezone.now()
    return Connection.objects.create(
        owner=owner, connector="ical_feed", slug="family-calendar", name="Family calendar",
        schedule_policy=Connection.Policy.INTERVAL, resume_policy=Connection.Policy.INTERVAL,
        interval_seconds=3600, next_due_at=now + timedelta(minutes=40), feed_url="https://calendar.example/family.ics",
    )


def _run(feed, minutes_ago: int, outcome: str, **fields) -> CollectionRun:
    started = timezone.now() - timedelta(minutes=minutes_ago)
    return CollectionRun.objects.create(
        connection=feed, started_at=started, finished_at=started + timedelta(seconds=3), outcome=outcome, **fields
    )


def test_a_feed_shows_each_collection_not_only_the_last_failure(owner_client, feed):
    _run(feed, 120, Outcome.SUCCESS, records=42)
    _run(feed, 60, Outcome.FAILURE, error_class="http_404", message="The address answered not found.")

    page = owner_client.get("/sources/family-calendar/runs/").content.decode()

    rows = page.split("<tbody>", 1)[1]
    assert rows.index("Could not collect") < rows.index("Collected")  # newest first
    assert "The address answered not found." in rows and "http_404" not in page
    assert "42 events" in rows and "3 seconds" in rows
    assert "Collect now" in page and 'value="1h" checked' in page


def test_collect_now_makes_the_source_due_and_comes_back_to_the_runs(owner_client, feed):
    response = owner_client.post(
        "/sources/family-calendar/retry/", {"next": "/sources/family-calendar/runs/"}
    )
    feed.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == "/sources/family-calendar/runs/"
    assert feed.next_due_at <= timezone.now()


def test_the_owner_changes_the_schedule(owner_client, feed):
    owner_client.post("/sources/family-calendar/runs/", {"schedule": "15m"})
    feed.refresh_from_db()
    assert (feed.schedule_policy, feed.interval_seconds) == (Connection.Policy.INTERVAL, 900)
    assert feed.next_due_at <= timezone.now() + timedelta(minutes=15)  # a shorter interval applies at once
    assert 'value="15m" checked' in owner_client.get("/sources/family-calendar/runs/").content.decode()

    owner_client.post("/sources/family-calendar/runs/", {"schedule": "manual"})
    feed.refresh_from_db()
    assert feed.schedule_policy == Connection.Policy.MANUAL and feed.next_due_at is None
    page = owner_client.get("/sources/family-calendar/runs/").content.decode()
    assert "Collected only when you ask" in page and 'value="manual" checked' in page


def test_a_paused_feed_keeps_its_pause_when_the_schedule_changes(owner_client, feed):
    owner_client.post("/sources/family-calendar/pause/")
    owner_client.post("/sources/family-calendar/runs/", {"schedule": "1d"})
    feed.refresh_from_db()
    assert feed.is_paused and (feed.resume_policy, feed.interval_seconds) == (Connection.Policy.INTERVAL, 86400)
    assert "Resume" in owner_client.get("/sources/family-calendar/runs/").content.decode()


def test_an_export_source_has_no_runs_page(owner_client, owner):
    Connection.objects.create(owner=owner, connector="whatsapp", slug="family-chat", name="Family chat")
    assert owner_client.get("/sources/family-chat/runs/").status_code == 404


def test_another_owners_runs_are_404(client, other_owner, feed):
    client.force_login(other_owner)
    assert client.get("/sources/family-calendar/runs/").status_code == 404
    assert client.post("/sources/family-calendar/runs/", {"schedule": "15m"}).status_code == 404


def test_the_source_page_links_to_the_collections(owner_client, feed):
    page = owner_client.get("/sources/family-calendar/").content.decode()
    assert 'href="/sources/family-calendar/runs/"' in page and "/sources/family-calendar/imports/" not in page


def test_collect_now_collects_a_source_set_to_only_when_i_ask(owner_client, feed, httpserver, settings):
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = [httpserver.host]  # the local feed server stands for the calendar
    httpserver.expect_request("/family.ics").respond_with_data(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a@example\r\nDTSTART:20261130T090000Z\r\n"
        "SUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", content_type="text/calendar")
    Connection.objects.filter(pk=feed.pk).update(
        schedule_policy=Connection.Policy.MANUAL, feed_url=httpserver.url_for("/family.ics"), next_due_at=None)
    page = owner_client.get("/sources/family-calendar/runs/").content.decode()
    assert "Collect now" in page and "Next collection" not in page

    owner_client.post("/sources/family-calendar/retry/", {"next": "/sources/family-calendar/runs/"})
    queued = DBTaskResult.objects.get(task_path="coverage.tasks.collect_now")
    assert queued.args_kwargs["args"] == [feed.pk]

    assert collect_now.call(feed.pk) == Outcome.SUCCESS  # what the worker runs for that row
    run = CollectionRun.objects.get(connection=feed)
    assert (run.trigger, run.outcome, run.records) == ("manual", Outcome.SUCCESS, 1)


def _event(uid: str, summary: str) -> str:
    return f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:20261210T090000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\n"


def _calendar(*events: str) -> str:
    return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + "".join(events) + "END:VCALENDAR\r\n"


# what the calendar answers on the second pull, what the newest run's "What happened" cell says
SECOND_PULL = [
    ("an event moved in the calendar",
     _calendar(_event("a@example", "Dentist (moved)"), _event("b@example", "Lunch")), 200, "1 changed"),
    ("an event deleted from the calendar", _calendar(_event("a@example", "Dentist")), 200, "1 no longer in the feed"),
    ("a reset address", "Not found", 404, "The calendar's address is not found."),
]


@pytest.mark.parametrize(("body", "status", "said"), [s[1:] for s in SECOND_PULL], ids=[s[0] for s in SECOND_PULL])
def test_the_runs_say_what_each_pull_changed_in_the_owners_words(owner_client, feed, httpserver, settings,
                                                                 body, status, said):
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = [httpserver.host]  # the local feed server stands for the calendar
    Connection.objects.filter(pk=feed.pk).update(feed_url=httpserver.url_for("/family.ics"))
    httpserver.expect_ordered_request("/family.ics").respond_with_data(
        _calendar(_event("a@example", "Dentist"), _event("b@example", "Lunch")), content_type="text/calendar")
    httpserver.expect_ordered_request("/family.ics").respond_with_data(body, status=status,
                                                                        content_type="text/calendar")
    collect_now.call(feed.pk)
    collect_now.call(feed.pk)

    page = html.unescape(owner_client.get("/sources/family-calendar/runs/").content.decode())
    newest = page.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    what_happened = newest.rsplit("<td>", 1)[1]
    assert said in what_happened and "404" not in what_happened
