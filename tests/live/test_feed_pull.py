"""Calendar feed pulls against a real local HTTP server: runs, conditions, backoff, projection."""

from __future__ import annotations

import html
import io
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from werkzeug import Request, Response

from connections import collect
from connections.collect import masked_feed_url, set_feed_url
from connections.models import CollectionRun, Condition, Connection
from connections.services import pause_connection, resume_connection
from connections.tokens import issue_access_token
from coverage.evidence import load_one
from coverage.models import AcquisitionBatch, Record
from coverage.pipeline.pull import pull, run_due
from tests.live.conftest import FEED_PATH, ical

pytestmark = pytest.mark.django_db
CALENDAR = "text/calendar; charset=utf-8"


class Feed:
    """A feed that honours If-None-Match; ``status`` forces an error answer."""

    def __init__(self, body: bytes, etag: str = '"v1"', status: int = 200, delay: float = 0):
        self.body, self.etag, self.status, self.delay = body, etag, status, delay
        self.seen: list[dict] = []

    def __call__(self, request: Request) -> Response:
        self.seen.append(dict(request.headers))
        if self.delay:
            time.sleep(self.delay)
        if self.status != 200:
            return Response("no", status=self.status)
        if request.headers.get("If-None-Match") == self.etag:
            return Response(status=304, headers={"ETag": self.etag})
        return Response(self.body, content_type=CALENDAR,
                        headers={"ETag": self.etag, "Last-Modified": "Sat, 01 Jun 2024 08:00:00 GMT"})


@pytest.fixture
def feed(httpserver):
    served = Feed(ical("calendar.ics"))
    httpserver.expect_request(FEED_PATH).respond_with_handler(served)
    return served


def due(calendar) -> Connection:
    calendar.refresh_from_db()
    return calendar


# ---------------------------------------------------------------- one pull


def test_pull_stores_events_as_a_batch_with_its_run(calendar, feed):
    now = timezone.now()
    run = pull(calendar, now)
    # 14: the daily stand-up is a record per occurrence (10, one of them moved by its own event) and 4 others
    assert run.outcome == "success" and run.records == 14 and "could not be read" in run.message
    batch = AcquisitionBatch.objects.get(connection=calendar)
    assert (batch.method, batch.trigger, batch.run_id) == ("provider_api", "scheduled", run.pk)
    assert (batch.count_accepted, batch.count_failed) == (14, 1)
    assert set(Record.objects.filter(connection=calendar).values_list("stream", flat=True)) == {"events"}
    calendar.refresh_from_db()
    assert calendar.feed_etag == '"v1"' and calendar.feed_last_modified.startswith("Sat, 01 Jun 2024")
    assert calendar.next_due_at == now + timedelta(hours=1)
    health = load_one(calendar, now=now + timedelta(minutes=1))
    assert health.readiness.credential.state == health.readiness.runtime.state == "ready"
    assert health.work.last_run.outcome == "success"
    assert health.verdict.state == "attention"  # one event could not be read: an advisory, not a failure
    assert health.advisories[0].kind == "parser_warning"


def test_unchanged_feed_answers_304_and_the_run_is_not_modified(calendar, feed):
    now = timezone.now()
    pull(calendar, now)
    run = pull(due(calendar), now + timedelta(hours=1))
    assert feed.seen[-1]["If-None-Match"] == '"v1"'
    assert feed.seen[-1]["If-Modified-Since"] == "Sat, 01 Jun 2024 08:00:00 GMT"
    assert run.outcome == "not_modified"
    assert AcquisitionBatch.objects.filter(connection=calendar).count() == 1
    health = load_one(calendar, now=now + timedelta(hours=1, minutes=1))
    assert health.work.last_success_at == run.finished_at and health.work.consecutive_failures == 0


def test_a_feed_with_one_event_more_adds_it_and_changes_nothing_else(calendar, feed):
    now = timezone.now()
    pull(calendar, now)
    feed.body, feed.etag = ical("calendar_updated.ics"), '"v2"'
    run = pull(due(calendar), now + timedelta(hours=1))
    assert run.outcome == "success" and "changed" not in run.message and "no longer" not in run.message
    latest = AcquisitionBatch.objects.filter(connection=calendar).first()
    assert (latest.count_accepted, latest.count_duplicate) == (1, 14)
    assert latest.options["snapshot"] == {"changed": 0, "gone": 0}
    assert Record.objects.filter(connection=calendar).count() == 15


@pytest.mark.parametrize(
    "status, body, error_class",
    [(404, b"", "http_error"), (502, b"", "server_error"), (200, ical("not_a_calendar.html"), "not_a_feed")],
)
def test_answers_that_are_not_a_calendar_are_failed_runs(calendar, httpserver, status, body, error_class):
    httpserver.expect_request(FEED_PATH).respond_with_data(body, status=status, content_type="text/html")
    run = pull(calendar, timezone.now())
    assert (run.outcome, run.error_class) == ("failure", error_class)
    assert not AcquisitionBatch.objects.exists()


def test_slow_feed_times_out(calendar, httpserver, monkeypatch):
    monkeypatch.setattr(collect, "FEED_TIMEOUT_SECONDS", 0.5)
    httpserver.expect_request(FEED_PATH).respond_with_handler(Feed(ical("calendar.ics"), delay=1.5))
    started = time.monotonic()
    run = pull(calendar, timezone.now())
    assert (run.outcome, run.error_class) == ("failure", "timeout")
    assert time.monotonic() - started < 1.4


def test_oversized_feed_is_refused(calendar, feed, monkeypatch):
    monkeypatch.setattr(collect, "MAX_FEED_BYTES", 1000)
    run = pull(calendar, timezone.now())
    assert (run.outcome, run.error_class) == ("failure", "too_large")


def test_unreachable_feed_is_a_network_failure(calendar):
    set_feed_url(calendar, "http://localhost:9/never.ics")
    run = pull(calendar, timezone.now())
    assert (run.outcome, run.error_class) == ("failure", "network_error")


# ---------------------------------------------------------------- scenarios


def test_pull_ok_then_refused_then_reconnected(calendar, feed, httpserver):
    now = timezone.now()
    assert run_due(now)[0].outcome == "success"

    feed.status = 401
    later = now + timedelta(hours=1)
    [refused] = run_due(later)
    assert (refused.outcome, refused.error_class) == ("failure", "credential_rejected")
    health = load_one(calendar, now=later)
    assert health.verdict.state == "failing" and health.readiness.credential.state == "rejected"
    assert health.actions[0].kind == "reconnect"
    assert health.verdict.forward.startswith("Reconnect")

    # No retry loop while the refusal stands, however long it has been due.
    Connection.objects.filter(pk=calendar.pk).update(next_due_at=later)
    assert run_due(later + timedelta(days=1)) == []
    assert CollectionRun.objects.filter(connection=calendar).exclude(outcome="skipped").count() == 2
    # ... and each pull it would have made is counted, never attempted.
    assert CollectionRun.objects.get(connection=calendar, outcome="skipped").missed == 25

    # Reconnect with a new secret address.
    new_path = "/cal/private-fedcba9876543210/basic.ics"
    httpserver.expect_request(new_path).respond_with_handler(Feed(ical("calendar.ics"), etag='"n1"'))
    set_feed_url(calendar, httpserver.url_for(new_path), now=later + timedelta(days=1))
    assert load_one(calendar, now=later + timedelta(days=1)).readiness.credential.state == "unknown"
    [ok] = run_due(later + timedelta(days=1))
    assert ok.outcome == "success"
    health = load_one(calendar, now=later + timedelta(days=1, minutes=1))
    assert health.readiness.credential.state == "ready"
    assert health.verdict.state != "failing" and health.work.consecutive_failures == 0


def test_three_server_errors_back_off_then_fail_and_a_success_clears(calendar, feed):
    feed.status = 500
    now = timezone.now()
    expected = [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    states = []
    for wait in expected:
        [run] = run_due(now)
        assert run.error_class == "server_error"
        calendar.refresh_from_db()
        assert calendar.next_due_at == now + wait  # exponential backoff, visible as the next due time
        assert run_due(now + wait - timedelta(seconds=1)) == []  # not before
        health = load_one(calendar, now=now)
        states.append(health.verdict.state)
        now = now + wait
    assert states == ["degraded", "degraded", "failing"]
    assert load_one(calendar, now=now).schedule.next_due_at == now

    feed.status = 200
    [run] = run_due(now)
    assert run.outcome == "success"
    health = load_one(calendar, now=now + timedelta(minutes=1))
    assert health.work.consecutive_failures == 0 and health.verdict.state not in ("failing", "degraded")
    calendar.refresh_from_db()
    assert calendar.next_due_at == now + timedelta(hours=1)


def test_one_failure_after_success_is_degraded_with_the_next_try_shown(calendar, feed):
    now = timezone.now()
    run_due(now)
    feed.status = 503
    run_due(now + timedelta(hours=1))
    health = load_one(calendar, now=now + timedelta(hours=1, minutes=1))
    assert health.verdict.state == "degraded"
    assert health.schedule.next_due_at == now + timedelta(hours=1, minutes=1)


def test_backoff_never_waits_longer_than_the_interval(calendar):
    calendar.interval_seconds = 600
    assert [collect.backoff(calendar, n) for n in (1, 2, 3, 4, 5, 9)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 10, 10)
    ]


def test_paused_feed_is_not_pulled_and_shows_paused(calendar, feed):
    now = timezone.now()
    run_due(now)
    pause_connection(calendar)
    assert run_due(now + timedelta(days=2)) == []
    assert len(feed.seen) == 1
    assert load_one(calendar, now=now + timedelta(days=2)).verdict.state == "paused"
    resume_connection(calendar, now=now + timedelta(days=2))
    assert [r.outcome for r in run_due(now + timedelta(days=2))] == ["not_modified"]


def test_run_due_claims_a_connection_once(calendar, feed):
    now = timezone.now()
    first = collect.claim_due(now)
    assert [c.pk for c in first] == [calendar.pk]
    assert collect.claim_due(now) == []  # a second worker finds it claimed
    due(calendar)
    assert calendar.next_due_at == now + collect.CLAIM_LEASE


def test_run_due_command(calendar, feed, capsys):
    Connection.objects.filter(pk=calendar.pk).update(next_due_at=timezone.now() - timedelta(minutes=1))
    call_command("run_due")
    out = capsys.readouterr().out
    assert "work-calendar: success" in out and "1 source pulled." in out


# ---------------------------------------------------------------- the secret address


def test_masked_feed_url_hides_the_secret():
    url = "https://calendar.google.com/calendar/ical/ada%40gmail.com/private-0123456789abcdef0123/basic.ics"
    masked = masked_feed_url(url)
    assert masked.startswith("https://calendar.google.com/calendar/ical/")
    assert "priv" not in masked and "0123" not in masked and masked.endswith("/…/…/basic.ics")
    assert "s3cr3t" not in masked_feed_url("https://user:s3cr3t@example.com/feed.ics?token=s3cr3t")
    assert masked_feed_url("webcal://p01-caldav.icloud.com/published/2/MTIzNDU2Nzg5MDEyMzQ1Njc4OTA") == (
        "webcal://p01-caldav.icloud.com/published/2/…"
    )


def test_webcal_addresses_are_fetched_over_https(calendar):
    set_feed_url(calendar, "webcal://localhost/x.ics")
    assert calendar.feed_url == "https://localhost/x.ics"
    assert Condition.objects.filter(connection=calendar, superseded_at__isnull=True).count() == 0


class Answers:
    """A feed address that answers, in turn, with the calendar, a 404, a sign-in page, then the calendar."""

    def __init__(self):
        self.turn = 0

    def __call__(self, request: Request) -> Response:
        self.turn += 1
        if self.turn == 2:
            return Response("Not found", status=404)
        if self.turn == 3:
            return Response("<!doctype html><html><body><form>Sign in</form></body></html>", content_type="text/html")
        return Response(ical("calendar.ics"), content_type=CALENDAR)


# what the feed answers, then the access the source page shows: state, reason
ACCESS = [("the calendar", "ready", "feed_answered"), ("404", "unavailable", "http_404"),
          ("a sign-in page", "unavailable", "not_a_feed"), ("the calendar again", "ready", "feed_answered")]


def test_a_feeds_access_follows_what_its_address_answers(calendar, httpserver, owner, client, time_machine):
    httpserver.expect_request(FEED_PATH).respond_with_handler(Answers())
    client.force_login(owner)
    seen, start = [], timezone.now()
    for turn, (answer, _, _) in enumerate(ACCESS):
        time_machine.move_to(start + timedelta(hours=turn), tick=False)
        now = timezone.now()
        pull(calendar, now)
        credential = load_one(calendar, now=now).readiness.credential
        seen.append((answer, credential.state, credential.reason))
        page = client.get(f"/sources/{calendar.slug}/").content.decode()
        assert ("Unavailable" in page) == (credential.state == "unavailable"), answer
    assert seen == ACCESS


# what the address answers, the card's primary action, what its forward sentence tells the owner to do
NOT_THE_CALENDAR = [
    ("a reset address (404)", Response("Not found", status=404), "Paste the calendar's address again",
     "The calendar may have reset its secret address"),
    ("a reset address (410)", Response("Gone", status=410), "Paste the calendar's address again",
     "The calendar may have reset its secret address"),
    ("a sign-in page", Response("<!doctype html><html><body><form>Sign in</form></body></html>",
                                content_type="text/html"),
     "Paste the secret iCal address", "Use the calendar's secret (private) address in iCal format instead"),
]


@pytest.mark.parametrize(("answer", "label", "told"), [n[1:] for n in NOT_THE_CALENDAR],
                         ids=[n[0] for n in NOT_THE_CALENDAR])
@pytest.mark.parametrize("failures", [1, 3], ids=["once", "three times"])
def test_an_address_that_no_longer_gives_the_calendar_asks_for_the_address_on_every_surface(
        calendar, httpserver, owner, client, time_machine, answer, label, told, failures):
    answers = iter([Response(ical("calendar.ics"), content_type=CALENDAR), *[answer] * failures])
    httpserver.expect_request(FEED_PATH).respond_with_handler(lambda request: next(answers))
    start = timezone.now()
    for turn in range(failures + 1):
        pull(due(calendar), start + timedelta(hours=turn))
    now = start + timedelta(hours=failures)
    time_machine.move_to(now, tick=False)

    health = load_one(calendar, now=now)
    primary = health.actions[0]
    assert (primary.kind, primary.label, primary.url) == ("reconnect", label, f"/sources/{calendar.slug}/#connect")
    assert told in health.verdict.forward and "reachable" not in health.verdict.forward
    assert "retry" in [a.kind for a in health.actions]  # trying the old address stays possible
    client.force_login(owner)
    card = html.unescape(client.get("/").content.decode())
    assert label in card and f'href="/sources/{calendar.slug}/#connect"' in card
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {issue_access_token(owner)[1]}"}
    api = client.get(f"/api/owner/connections/{calendar.slug}", **bearer).json()
    assert api["actions"][0]["label"] == label and api["verdict"]["forward"] == health.verdict.forward
    out = io.StringIO()
    call_command("health", calendar.slug, stdout=out)
    assert label in out.getvalue()
