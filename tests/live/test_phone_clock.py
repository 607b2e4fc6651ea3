"""A phone whose clock is wrong: points dated impossibly are left out, counted and said; the rest of the push lands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from coverage.evidence import load_one, load_receipt
from coverage.models import AcquisitionBatch, Record
from coverage.serializers import receipt_json
from tests.live.test_device_push import T0, feature, fix, push_overland, push_owntracks

pytestmark = pytest.mark.django_db
GOOD = T0 - timedelta(minutes=1)
REPLIES = {"owntracks": [], "overland": {"result": "ok"}}


def push(client, token, app: str, *points: datetime):
    """One push of ``points`` through the app's real endpoint, at T0."""
    with time_machine.travel(T0, tick=False):
        if app == "owntracks":
            return push_owntracks(client, token, [fix(int(at.timestamp()), lat=52.5 + i / 100)
                                                  for i, at in enumerate(points)])
        return push_overland(client, token, [feature(at.isoformat(), lat=52.5 + i / 100)
                                             for i, at in enumerate(points)])


# name -> (app, the point's time, what the owner reads about it)
LEFT_OUT = {
    "owntracks_in_2099": ("owntracks", datetime(2099, 6, 1, 8, 0, tzinfo=UTC),
                          "A location dated 1 Jun 2099 at 08:00 UTC arrived on 2 Mar 2026 at 09:15 UTC, more than a "
                          "day before that time: the phone's clock may be wrong."),
    "owntracks_in_1970": ("owntracks", datetime(1970, 1, 2, tzinfo=UTC),
                          "A location dated 2 Jan 1970 at 00:00 UTC is from before 2000: the phone's clock may be wrong."),
    "overland_in_2030": ("overland", datetime(2030, 1, 1, tzinfo=UTC),
                         "A location dated 1 Jan 2030 at 00:00 UTC arrived on 2 Mar 2026 at 09:15 UTC"),
    "a_day_and_a_minute_ahead": ("overland", T0 + timedelta(days=1, minutes=1),
                                 "A location dated 3 Mar 2026 at 09:16 UTC arrived on 2 Mar 2026 at 09:15 UTC"),
    "the_last_second_of_1999": ("owntracks", datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
                                "A location dated 31 Dec 1999 at 23:59 UTC is from before 2000"),
}


@pytest.mark.parametrize(("app", "at", "said"), list(LEFT_OUT.values()), ids=list(LEFT_OUT))
def test_a_point_the_phone_clock_dated_impossibly_is_left_out_and_said(client, phone, phone_token, app, at, said):
    response = push(client, phone_token, app, GOOD, at)

    assert (response.status_code, response.json()) == (200, REPLIES[app])
    assert list(Record.objects.filter(connection=phone).values_list("event_at", flat=True)) == [GOOD.replace(second=0)]
    batch = AcquisitionBatch.objects.get(connection=phone)
    assert (batch.count_accepted, batch.count_failed) == (1, 1)
    receipt = receipt_json(load_receipt(batch))
    assert receipt["counts"]["failed"] == 1 and receipt["event_time"]["latest"].startswith("2026-03-02")
    assert [w["kind"] for w in receipt["warnings"]] == ["wrong_clock"] and said in receipt["warnings"][0]["detail"]
    assert "1 item was left out." in receipt["sentence"]
    health = load_one(phone, now=T0 + timedelta(minutes=1))
    assert health.verdict.headline == "Covers 2 Mar 2026"
    assert [(a.kind, a.batch_id) for a in health.advisories] == [("wrong_clock", batch.pk)]
    assert health.advisories[0].detail.startswith("1 location the phone sent was left out. ")
    assert said in health.advisories[0].detail
    assert health.actions[0].label == "Check the phone's clock"


@pytest.mark.parametrize("app", ["owntracks", "overland"])
def test_the_edges_of_what_a_phone_clock_can_date(client, phone, phone_token, app):
    kept = [datetime(2000, 1, 1, tzinfo=UTC), T0 + timedelta(hours=23, minutes=59)]
    left_out = [datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC), T0 + timedelta(days=1, minutes=1)]
    assert push(client, phone_token, app, *kept, *left_out).status_code == 200
    batch = AcquisitionBatch.objects.get(connection=phone)
    assert (batch.count_accepted, batch.count_failed) == (2, 2)
    assert sorted(Record.objects.filter(connection=phone).values_list("event_at", flat=True)) == kept


@pytest.mark.parametrize("app", ["owntracks", "overland"])
def test_a_push_of_only_impossible_times_is_answered_as_taken_so_the_phone_does_not_resend_it(
        client, phone, phone_token, app):
    wrong = datetime(2099, 6, 1, tzinfo=UTC)
    first = push(client, phone_token, app, wrong)
    again = push(client, phone_token, app, wrong, wrong + timedelta(minutes=1))

    assert (first.status_code, first.json()) == (again.status_code, again.json()) == (200, REPLIES[app])
    assert not Record.objects.filter(connection=phone).exists()
    batch = AcquisitionBatch.objects.get(connection=phone)
    assert (batch.count_parsed, batch.count_failed) == (0, 3)
    receipt = receipt_json(load_receipt(batch))
    assert receipt["sentence"] == "No locations were found: 3 items in this push were left out."
    health = load_one(phone, now=T0 + timedelta(minutes=1))
    assert [a.kind for a in health.advisories] == ["wrong_clock"]
    assert health.advisories[0].detail.startswith("3 locations the phone sent were left out. A location dated 1 Jun 2099")
    assert health.coverage.covered_through is None and "2099" not in health.verdict.headline


def test_the_card_says_the_clock_not_a_gap_to_fill(client, owner, phone, phone_token):
    push(client, phone_token, "owntracks", GOOD, datetime(1970, 1, 2, tzinfo=UTC), datetime(2099, 6, 1, tzinfo=UTC))
    client.force_login(owner)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        page = client.get(reverse("coverage:source", args=[phone.slug])).content.decode()
    assert "Covers 2 Mar 2026" in page and "1970" not in page.split("Latest import")[0]
    assert "2 locations the phone sent were left out." in page and "the phone&#x27;s clock may be wrong" in page
    assert "Fill the gap" not in page and "Check the phone&#x27;s clock" in page


def test_the_receipt_of_a_push_calls_its_notes_notes_about_this_push(client, owner, phone, phone_token):
    push(client, phone_token, "owntracks", GOOD, datetime(1970, 1, 2, tzinfo=UTC))
    client.force_login(owner)

    page = client.get(f"/receipts/{AcquisitionBatch.objects.get(connection=phone).pk}/").content.decode()

    assert "1 note about this push" in page and "about this file" not in page

