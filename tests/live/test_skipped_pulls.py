"""Pulls that were due but not made are counted, never blamed on the source (a real local feed server).

A refused feed is not asked again until the owner reconnects; each pull it would have made is
counted in one ``skipped`` run. Pulls missed while the background worker was down are counted when
the worker is back, and while it is down the card stays as it was and says its next pull waits.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from connections.models import CollectionRun
from connections.runtime import beat
from coverage.evidence import load_one
from coverage.pipeline.pull import run_due
from tests.live.test_feed_pull import Feed, ical

pytestmark = pytest.mark.django_db
FEED_PATH = "/cal/private-0123456789abcdef/basic.ics"


@pytest.fixture
def feed(httpserver):
    served = Feed(ical("calendar.ics"))
    httpserver.expect_request(FEED_PATH).respond_with_handler(served)
    return served


def _card(client, slug: str) -> str:
    page = client.get("/").content.decode()
    card = re.search(rf'<article class="card[^"]*" id="source-{slug}-card".*?</article>', page, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card.group(0)))


def test_a_refused_feed_counts_each_pull_it_skips_in_one_run_and_is_not_asked_again(
        calendar, feed, owner, client, time_machine):
    now = timezone.now()
    beat(now)
    assert run_due(now)[0].outcome == "success"
    feed.status = 401
    [refused] = run_due(now + timedelta(hours=1))
    assert refused.error_class == "credential_rejected"
    asked = len(feed.seen)

    assert run_due(now + timedelta(hours=5)) == []  # due again four times since: none is made
    skipped = CollectionRun.objects.get(connection=calendar, outcome="skipped")
    assert (skipped.missed, skipped.error_class) == (4, "credential_refused")
    assert run_due(now + timedelta(hours=8)) == []
    skipped.refresh_from_db()
    assert skipped.missed == 7 and CollectionRun.objects.filter(outcome="skipped").count() == 1
    assert skipped.message == "7 collections skipped: access was refused"  # what the runs page shows
    assert len(feed.seen) == asked  # the refused address was never asked again

    later = now + timedelta(hours=8, minutes=5)
    beat(later)
    health = load_one(calendar, now=later)
    assert health.verdict.state == "failing" and health.work.consecutive_failures == 1
    assert health.schedule.text == "Paused until you reconnect" and health.schedule.waits_for == "reconnect"
    assert health.work.skipped.count == 7
    assert health.work.skipped.text.startswith("7 collections were skipped while access was refused")
    time_machine.move_to(later, tick=False)
    client.force_login(owner)
    card = _card(client, calendar.slug)
    assert health.work.skipped.text in card and "Reconnect" in card


def test_pulls_missed_while_the_worker_was_down_wait_for_it_then_are_counted(
        calendar, feed, owner, client, time_machine):
    now = timezone.now()
    beat(now)
    assert run_due(now)[0].outcome == "success"

    # The worker stops: a day and a half later the card stays as it was, and its next pull waits.
    down = now + timedelta(hours=30)
    health = load_one(calendar, now=down)
    # (the fixture calendar holds one event that cannot be read: a suggestion, the same before and after)
    assert [a.kind for a in health.advisories] == ["parser_warning"]
    assert health.verdict.state == "attention" and health.coverage.freshness == "fresh"
    assert health.schedule.waits_for == "worker" and not health.schedule.overdue
    time_machine.move_to(down, tick=False)
    client.force_login(owner)
    card = _card(client, calendar.slug)
    assert "Every hour; the next collection waits for the background worker" in card
    assert "Having trouble" not in card and "keeps trying" not in card

    # The worker is back: the missed pulls are counted once, then the feed is pulled.
    beat(down)
    [run] = run_due(down)
    assert run.outcome in ("success", "not_modified")
    skipped = CollectionRun.objects.get(connection=calendar, outcome="skipped")
    assert (skipped.missed, skipped.error_class) == (29, "worker_down")
    health = load_one(calendar, now=down + timedelta(minutes=1))
    assert health.verdict.state == "attention" and health.schedule.waits_for == ""
    assert health.work.consecutive_failures == 0 and health.work.last_run.outcome == run.outcome
    assert health.work.skipped.text.startswith("29 collections were skipped while the background worker was not running")
