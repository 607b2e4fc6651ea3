"""A calendar feed shows the calendar as it is now: repeats, multi-day events, moves, cancellations.

Each feed is served by the real local HTTP server and pulled as the scheduler pulls it; the owner
(in Berlin) looks at the day pages and the source's card.
"""

from __future__ import annotations

import hashlib
import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug import Request, Response

from connections.models import OwnerProfile
from coverage.evidence import load_one
from coverage.models import AcquisitionBatch, Record
from coverage.pipeline import snapshot
from coverage.pipeline.pull import pull
from coverage.receipt_changes import Changes
from coverage.serializers import receipt_json
from tests.factories import BatchFactory, RecordFactory
from tests.live.conftest import FEED_PATH

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)

STANDUP = ["UID:standup@example.org", "SUMMARY:Weekly standup", "DTSTART;TZID=Europe/Berlin:20261207T091500",
           "RRULE:FREQ=WEEKLY;BYDAY=MO"]
DENTIST = ["UID:dentist@example.org", "SUMMARY:Dentist", "DTSTART:20261210T133000Z", "DTEND:20261210T140000Z"]
LUNCH = ["UID:lunch@example.org", "SUMMARY:Lunch with Ada", "DTSTART:20261211T110000Z"]
TRIP = ["UID:trip@example.org", "SUMMARY:Ski trip", "DTSTART;VALUE=DATE:20261201", "DTEND;VALUE=DATE:20261204"]


def ics(*events: list[str]) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Ownerhub test//EN"]
    for event in events:
        lines += ["BEGIN:VEVENT", *event, "END:VEVENT"]
    return "\r\n".join([*lines, "END:VCALENDAR", ""]).encode()


class Calendar:
    """The owner's calendar as its server publishes it: an ETag of the body, 304 when unchanged."""

    def __init__(self, *events: list[str]):
        self.show(*events)

    def show(self, *events: list[str]) -> None:
        self.body = ics(*events)
        self.etag = '"' + hashlib.sha256(self.body).hexdigest()[:12] + '"'

    def __call__(self, request: Request) -> Response:
        if request.headers.get("If-None-Match") == self.etag:
            return Response(status=304, headers={"ETag": self.etag})
        return Response(self.body, content_type="text/calendar; charset=utf-8", headers={"ETag": self.etag})


@pytest.fixture
def published(calendar, httpserver, owner):
    OwnerProfile.objects.update_or_create(owner=owner, defaults={"time_zone": "Europe/Berlin"})
    served = Calendar()
    httpserver.expect_request(FEED_PATH).respond_with_handler(served)
    return served


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def day_page(client, day: str) -> str:
    response = client.get(f"/sources/work-calendar/days/{day}/")
    assert response.status_code == 200
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))).strip()


def pulled(calendar, at: datetime = NOW):
    calendar.refresh_from_db()
    run = pull(calendar, at)
    assert run.outcome == "success", run.message
    return run


# ---------------------------------------------------------------- repeats and spans


def test_an_owners_weekly_standup_shows_on_each_monday_of_the_month_on_the_day_pages(
        calendar, published, owner_client):
    published.show(STANDUP)
    pulled(calendar)

    for monday in ("2026-12-07", "2026-12-14", "2026-12-21", "2026-12-28"):
        assert "09:15 CET Weekly standup" in day_page(owner_client, monday)
    assert "Weekly standup" not in day_page(owner_client, "2026-12-08")
    # Written out a year ahead of the pull: every Monday from 7 Dec 2026 to 29 Nov 2027.
    health = load_one(calendar, now=NOW)
    assert health.coverage.record_count == 52
    assert health.coverage.covered_through == datetime(2027, 11, 29, 8, 15, tzinfo=UTC)


def test_a_monday_the_calendar_skips_and_one_moved_to_tuesday_show_as_the_calendar_says(
        calendar, published, owner_client):
    skipped = [*STANDUP, "EXDATE;TZID=Europe/Berlin:20261221T091500"]
    moved = ["UID:standup@example.org", "SUMMARY:Weekly standup (Tuesday)",
             "RECURRENCE-ID;TZID=Europe/Berlin:20261228T091500", "DTSTART;TZID=Europe/Berlin:20261229T100000"]
    published.show(skipped, moved)
    pulled(calendar)

    assert "09:15 CET Weekly standup" in day_page(owner_client, "2026-12-14")
    assert "Weekly standup" not in day_page(owner_client, "2026-12-21")
    assert "Weekly standup" not in day_page(owner_client, "2026-12-28")
    assert "10:00 CET Weekly standup (Tuesday)" in day_page(owner_client, "2026-12-29")
    assert "09:15 CET Weekly standup" in day_page(owner_client, "2027-01-04")


def test_a_three_day_ski_trip_shows_on_each_of_its_days(calendar, published, owner_client):
    published.show(TRIP)
    pulled(calendar)

    for n, day in enumerate(("2026-12-01", "2026-12-02", "2026-12-03"), start=1):
        assert f"All day (day {n} of 3) Ski trip" in day_page(owner_client, day)
    assert "Ski trip" not in day_page(owner_client, "2026-12-04")
    [strip] = load_one(calendar, now=NOW, timeline=True).coverage.timeline.strips  # the card's days agree
    assert [(c.start.isoformat(), c.count) for c in strip.cells if c.count] == [
        ("2026-12-01", 1), ("2026-12-02", 1), ("2026-12-03", 1),
    ]


def test_a_late_shift_past_midnight_shows_on_both_days_and_a_duration_sets_its_end(calendar, published, owner_client):
    shift = ["UID:shift@example.org", "SUMMARY:Late shift", "DTSTART;TZID=Europe/Berlin:20261210T220000",
             "DURATION:PT4H"]
    published.show(shift)
    pulled(calendar)

    assert "22:00 CET (day 1 of 2) Late shift" in day_page(owner_client, "2026-12-10")
    assert "Continues (day 2 of 2) Late shift" in day_page(owner_client, "2026-12-11")
    assert "Late shift" not in day_page(owner_client, "2026-12-12")
    assert load_one(calendar, now=NOW).coverage.record_count == 2  # a record per day, as a trip's days


# ---------------------------------------------------------------- the calendar changes


def test_a_moved_and_renamed_appointment_shows_on_its_new_day_only(calendar, published, owner_client):
    published.show(DENTIST, LUNCH)
    pulled(calendar)
    published.show(["UID:dentist@example.org", "SUMMARY:Dentist (new time)", "DTSTART:20261214T080000Z"], LUNCH)
    run = pulled(calendar, NOW + timedelta(hours=1))

    assert "Dentist" not in day_page(owner_client, "2026-12-10")
    assert "09:00 CET Dentist (new time)" in day_page(owner_client, "2026-12-14")
    assert run.message == "2 events read, 0 new, 1 changed."
    batch = AcquisitionBatch.objects.filter(connection=calendar).first()
    assert batch.options["snapshot"] == {"changed": 1, "gone": 0}
    receipt = load_one(calendar, now=NOW + timedelta(hours=1)).latest_receipt  # as the dashboard loads it
    assert receipt.snapshot == Changes(changed=1, gone=0, moved=0, reader_from="")
    assert receipt.sentence == ("No new events from 11 Dec to 14 Dec 2026: all 2 were already imported. "
                                "1 event changed in the calendar was updated.")
    assert receipt_json(receipt)["snapshot"] == {"changed": 1, "gone": 0, "moved": 0, "reader_from": ""}
    assert receipt.warnings == ()  # a fact of the pull, not a note about the feed
    assert Record.objects.filter(connection=calendar).count() == 2  # moved in place, not copied
    coverage = load_one(calendar, now=NOW + timedelta(hours=1)).coverage
    assert coverage.record_count == 2
    assert coverage.covered_through == datetime(2026, 12, 14, 8, 0, tzinfo=UTC)


def test_a_cancelled_meeting_shows_as_cancelled_not_as_happening(calendar, published, owner_client):
    published.show(DENTIST, LUNCH)
    pulled(calendar)
    published.show(DENTIST, [*LUNCH, "STATUS:CANCELLED"])
    run = pulled(calendar, NOW + timedelta(hours=1))

    page = day_page(owner_client, "2026-12-11")
    assert "Lunch with Ada Cancelled" in page
    assert "1 changed" in run.message


def test_a_cancelled_monday_of_the_standup_shows_as_cancelled(calendar, published, owner_client):
    published.show(STANDUP)
    pulled(calendar)
    cancelled = ["UID:standup@example.org", "SUMMARY:Weekly standup", "STATUS:CANCELLED",
                 "RECURRENCE-ID;TZID=Europe/Berlin:20261214T091500", "DTSTART;TZID=Europe/Berlin:20261214T091500"]
    published.show(STANDUP, cancelled)
    pulled(calendar, NOW + timedelta(hours=1))

    cancelled_day = day_page(owner_client, "2026-12-14")
    assert "Weekly standup Cancelled" in cancelled_day and cancelled_day.count("Weekly standup") == 1
    assert "Weekly standup" in day_page(owner_client, "2026-12-21")
    assert "Cancelled" not in day_page(owner_client, "2026-12-21")


def test_an_event_deleted_from_the_calendar_leaves_the_day_pages_and_the_count(calendar, published, owner_client):
    published.show(DENTIST, LUNCH)
    pulled(calendar)
    published.show(DENTIST)
    run = pulled(calendar, NOW + timedelta(hours=1))

    assert "Lunch with Ada" not in day_page(owner_client, "2026-12-11")
    assert "Dentist" in day_page(owner_client, "2026-12-10")
    assert run.message == "1 event read, 0 new, 1 no longer in the feed."
    assert AcquisitionBatch.objects.filter(connection=calendar).first().options["snapshot"] == {"changed": 0, "gone": 1}
    receipt = load_one(calendar, now=NOW + timedelta(hours=1)).latest_receipt
    assert receipt.sentence.endswith("1 event no longer in the feed was removed.")
    assert (receipt.snapshot.changed, receipt.snapshot.gone) == (0, 1)
    assert load_one(calendar, now=NOW + timedelta(hours=1)).coverage.record_count == 1


def test_events_older_than_anything_the_feed_still_carries_are_kept_and_only_newer_ones_go(
        calendar, published, owner_client):
    old = ["UID:old@example.org", "SUMMARY:Last year's party", "DTSTART:20251212T180000Z"]
    published.show(old, DENTIST, LUNCH)
    pulled(calendar)
    published.show(DENTIST)  # the server publishes only recent events now, and the lunch was deleted
    pulled(calendar, NOW + timedelta(hours=1))

    assert "Last year's party" in day_page(owner_client, "2025-12-12")
    assert "Lunch with Ada" not in day_page(owner_client, "2026-12-11")
    assert load_one(calendar, now=NOW + timedelta(hours=1)).coverage.record_count == 2


def test_the_same_calendar_pulled_again_changes_nothing(calendar, published, owner_client, httpserver):
    published.show(STANDUP, DENTIST, TRIP)
    pulled(calendar)
    held = sorted(Record.objects.filter(connection=calendar).values_list("key", "event_at", "payload"))
    calendar.feed_etag = ""
    calendar.save(update_fields=["feed_etag"])  # no validator: the server answers the whole feed again
    run = pulled(calendar, NOW + timedelta(hours=1))

    assert "changed" not in run.message and "no longer" not in run.message
    assert sorted(Record.objects.filter(connection=calendar).values_list("key", "event_at", "payload")) == held
    assert AcquisitionBatch.objects.filter(connection=calendar).first().options["snapshot"] == {"changed": 0, "gone": 0}


def test_a_pull_that_fails_while_bringing_events_up_to_date_leaves_nothing_half_done(
        calendar, published, monkeypatch):
    published.show(DENTIST, LUNCH)
    pulled(calendar)
    before = sorted(Record.objects.filter(connection=calendar).values_list("key", "event_at", "payload"))

    def crash(*args, **kwargs):
        raise RuntimeError("the process died here")

    monkeypatch.setattr(snapshot, "recount_summaries", crash)
    published.show(["UID:dentist@example.org", "SUMMARY:Dentist", "DTSTART:20261215T080000Z"], TRIP)
    calendar.refresh_from_db()
    with pytest.raises(RuntimeError):
        pull(calendar, NOW + timedelta(hours=1))

    assert AcquisitionBatch.objects.filter(connection=calendar).count() == 1
    assert sorted(Record.objects.filter(connection=calendar).values_list("key", "event_at", "payload")) == before


# ---------------------------------------------------------------- a calendar read by the older reader


def test_a_standup_stored_once_by_the_older_reader_becomes_each_monday_though_the_feed_did_not_change(
        calendar, published, owner_client):
    published.show(STANDUP)
    older = BatchFactory(connection=calendar, method="provider_api", trigger="scheduled",
                         source_format="icalendar", parser_version="ical/2", created_at=NOW - timedelta(days=1))
    RecordFactory(connection=calendar, first_batch=older, stream="events", key="standup@example.org",
                  event_at=datetime(2026, 12, 7, 8, 15, tzinfo=UTC),
                  payload={"uid": "standup@example.org", "summary": "Weekly standup", "all_day": False,
                           "rrule": "FREQ=WEEKLY;BYDAY=MO"})
    calendar.feed_etag = published.etag  # the feed has not changed since the older reader read it
    calendar.save(update_fields=["feed_etag"])

    run = pulled(calendar)

    assert run.message == "52 events read, 52 new, read with the improved reader, 1 as read before replaced."
    assert not Record.objects.filter(connection=calendar, key="standup@example.org").exists()
    assert "Weekly standup" in day_page(owner_client, "2026-12-21")
    assert day_page(owner_client, "2026-12-07").count("Weekly standup") == 1
    receipt = load_one(calendar, now=NOW).latest_receipt  # the card's receipt: read again, nothing vanished
    assert "Read with the improved reader: repeating events now show each occurrence" in receipt.sentence
    assert "1 event as the older reader read it was replaced by what it reads now." in receipt.sentence
    assert "no longer" not in receipt.sentence
    assert receipt.snapshot == Changes(changed=0, gone=1, moved=0, reader_from="ical/2")


def test_an_event_a_feed_lists_twice_is_kept_as_first_listed_and_a_second_pull_changes_nothing(
        calendar, published, owner_client):
    published.show(DENTIST, ["UID:dentist@example.org", "SUMMARY:Dentist (listed again)", "DTSTART:20261210T150000Z"])
    pulled(calendar)
    calendar.feed_etag = ""
    calendar.save(update_fields=["feed_etag"])
    run = pulled(calendar, NOW + timedelta(hours=1))

    assert "changed" not in run.message
    assert "14:30 CET Dentist" in day_page(owner_client, "2026-12-10")
    assert "listed again" not in day_page(owner_client, "2026-12-10")


def test_an_unchanged_feed_is_read_again_after_a_month_so_the_standup_reaches_a_year_ahead(
        calendar, published, owner_client):
    published.show(STANDUP)
    pulled(calendar)
    assert pull(calendar, NOW + timedelta(days=29)).outcome == "not_modified"
    later = NOW + timedelta(days=31)
    run = pulled(calendar, later)

    assert "5 new" in run.message  # the Mondays of 6 Dec 2027 to 3 Jan 2028
    assert "Weekly standup" in day_page(owner_client, "2027-12-27")


# ---------------------------------------------------------------- the owner moves to another time zone

FLOATING = ["UID:gym@example.org", "SUMMARY:Gym", "DTSTART:20261209T070000", "DTEND:20261209T080000"]
SHIFT = ["UID:shift@example.org", "SUMMARY:Late shift", "DTSTART;TZID=Europe/Berlin:20261210T220000",
         "DTEND;TZID=Europe/Berlin:20261211T020000"]


def moved_to(owner, zone: str) -> None:
    OwnerProfile.objects.filter(owner=owner).update(time_zone=zone)


# what the calendar does between the pulls, the run's message, what the receipt says
ZONE_CHANGES = [
    ("nothing", [TRIP, FLOATING, SHIFT, DENTIST],
     "6 events read, 0 new, 6 moved to your new time zone.", "6 events moved to your new time zone."),
    ("the dentist moves", [TRIP, FLOATING, SHIFT,
                           ["UID:dentist@example.org", "SUMMARY:Dentist", "DTSTART:20261215T133000Z"]],
     "6 events read, 0 new, 1 changed, 6 moved to your new time zone.",
     "1 event changed in the calendar was updated. 6 events moved to your new time zone."),
]


@pytest.mark.parametrize(("events", "message", "said"), [z[1:] for z in ZONE_CHANGES], ids=[z[0] for z in ZONE_CHANGES])
def test_after_a_move_to_new_york_only_what_the_calendar_changed_counts_as_changed(
        calendar, published, owner, owner_client, events, message, said):
    published.show(TRIP, FLOATING, SHIFT, DENTIST)
    pulled(calendar)
    moved_to(owner, "America/New_York")
    published.show(*events)  # unchanged: the same ETag, yet the feed is read whole for the new zone

    run = pulled(calendar, NOW + timedelta(hours=1))

    # The trip's three days, the gym (written without a zone: New York's 07:00) and both days of the
    # shift (16:00 to 20:00 in New York: one day there) move. The dentist is all the calendar changed.
    assert run.message == message
    receipt = load_one(calendar, now=NOW + timedelta(hours=1)).latest_receipt
    assert receipt.sentence.endswith(said)
    assert "Ski trip" in day_page(owner_client, "2026-12-03")
    assert "07:00 EST Gym" in day_page(owner_client, "2026-12-09")
    assert "16:00 EST" in day_page(owner_client, "2026-12-10") and "Late shift" not in day_page(owner_client, "2026-12-11")
