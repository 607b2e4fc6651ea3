"""What a calendar's card says when its address goes wrong, by the schedule the owner chose.

Ana's work calendar is served by a real local server and pulled as the scheduler (or Ana) pulls it.
Each surface (the dashboard's card, the owner API, ``manage.py health``) says the same words: an
address inside her own network is refused plainly and she is asked for a public one (not "Access
refused … Reconnect"); a feed she set to "Only when I ask" never promises a try that will not come;
a headline starts with its date ("Since 4 Dec 2026 this address gives a sign-in page, not a calendar");
and the retry action is UI.md's "Try again now" everywhere.
"""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from werkzeug import Response

from connections import schedule
from connections.tokens import issue_access_token
from coverage.evidence import load_one
from coverage.pipeline.pull import pull
from tests.live.conftest import FEED_PATH
from tests.live.test_feed_calendar_now import DENTIST, ics

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
CALENDAR = "text/calendar; charset=utf-8"
SIGN_IN = Response("<!doctype html><html><body><form>Sign in</form></body></html>", content_type="text/html")
KEEPS_TRYING = ("keeps trying", "will try again", "retry now", "Retry now")


def _calendar() -> Response:
    return Response(ics(DENTIST), content_type=CALENDAR)


def _surfaces(client, owner, calendar) -> tuple[str, dict, str]:
    """(the dashboard's text, the API's connection, the health command's output)."""
    client.force_login(owner)
    page = client.get("/").content.decode()
    card = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {issue_access_token(owner)[1]}"}
    api = client.get(f"/api/owner/connections/{calendar.slug}", **bearer).json()
    out = io.StringIO()
    call_command("health", calendar.slug, stdout=out)
    return card, api, out.getvalue()


def _pulled(calendar, httpserver, answers: list, choice: str, time_machine) -> None:
    schedule.set_schedule(calendar, choice, now=NOW)
    served = iter(answers)
    httpserver.expect_request(FEED_PATH).respond_with_handler(lambda request: next(served))
    for turn in range(len(answers)):
        at = NOW + timedelta(hours=turn)
        time_machine.move_to(at, tick=False)
        calendar.refresh_from_db()
        pull(calendar, at)


def test_an_address_inside_the_owners_network_asks_for_a_public_one_on_every_surface(
        calendar, httpserver, owner, client, settings, time_machine):
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = []  # the installation no longer allows the local server
    _pulled(calendar, httpserver, [], "1h", time_machine)
    pull(calendar, NOW)

    card, api, cli = _surfaces(client, owner, calendar)

    headline = "Ownerhub does not fetch addresses inside your own network"
    assert api["verdict"]["headline"] == headline and headline in card and headline in cli
    assert "Paste a public address for the calendar" in api["verdict"]["forward"]
    primary = api["actions"][0]
    assert (primary["kind"], primary["label"], primary["url"]) == (
        "reconnect", "Paste another address", f"/sources/{calendar.slug}/#connect")
    source = html.unescape(client.get(f"/sources/{calendar.slug}/").content.decode())
    assert "Paused until you paste another address" in source
    said = [api["verdict"]["headline"], api["verdict"]["forward"], api["schedule"]["text"], primary["label"]]
    for surface in (card, cli, source, *said):  # the API's kinds ("reconnect") are field values, not words
        assert "Access refused" not in surface and "reconnect" not in surface.lower()


# what the address answers, the schedule the owner chose, the headline, how the forward sentence ends
NOT_THE_CALENDAR = [
    ("sign-in page, hourly", SIGN_IN, "1h", "Since 4 Dec 2026 this address gives a sign-in page, not a calendar",
     "Ownerhub keeps trying the old one meanwhile."),
    ("sign-in page, only when asked", SIGN_IN, "manual",
     "Since 4 Dec 2026 this address gives a sign-in page, not a calendar",
     "Ownerhub tries the old one again only when you ask."),
    ("404, hourly", Response("Not found", status=404), "1h", "Since 4 Dec 2026 the calendar's address is not found",
     "Ownerhub keeps trying the old one meanwhile."),
    ("410, only when asked", Response("Gone", status=410), "manual",
     "Since 4 Dec 2026 the calendar's address is not found", "Ownerhub tries the old one again only when you ask."),
]


@pytest.mark.parametrize(("answer", "choice", "headline", "ending"), [n[1:] for n in NOT_THE_CALENDAR],
                         ids=[n[0] for n in NOT_THE_CALENDAR])
def test_an_address_that_no_longer_gives_the_calendar_says_so_by_date_and_by_schedule(
        calendar, httpserver, owner, client, time_machine, answer, choice, headline, ending):
    _pulled(calendar, httpserver, [_calendar(), answer], choice,
            time_machine)

    card, api, cli = _surfaces(client, owner, calendar)

    assert api["verdict"]["headline"] == headline and headline in card and headline in cli
    assert api["verdict"]["forward"].endswith(ending) and ending in card
    assert [a["label"] for a in api["actions"] if a["kind"] == "retry"] == ["Try again now"]


# the schedule the owner chose, failed collections in a row, how the card's forward sentence reads
FAILURES = [
    ("hourly, once", "1h", 1, "Ownerhub will try again"),
    ("hourly, three times", "1h", 3, "Ownerhub keeps trying on schedule; try again now once the source is reachable."),
    ("only when asked, once", "manual", 1,
     "Ownerhub collects only when you ask: try again now once the source is reachable."),
    ("only when asked, three times", "manual", 3,
     "Ownerhub collects only when you ask: try again now once the source is reachable."),
]


@pytest.mark.parametrize(("choice", "failures", "forward"), [f[1:] for f in FAILURES], ids=[f[0] for f in FAILURES])
def test_a_failing_feed_offers_try_again_now_and_promises_no_try_its_schedule_will_not_make(
        calendar, httpserver, owner, client, time_machine, choice, failures, forward):
    broken = [Response("Server error", status=500)] * failures
    _pulled(calendar, httpserver, [_calendar(), *broken], choice,
            time_machine)

    card, api, cli = _surfaces(client, owner, calendar)

    assert api["verdict"]["forward"].startswith(forward) and forward in card
    assert [a["label"] for a in api["actions"] if a["kind"] == "retry"] == ["Try again now"]
    assert "Try again now" in card and "Try again now" in cli
    if choice == "manual":
        for surface in (card, cli, api["verdict"]["forward"]):
            assert not any(words in surface for words in KEEPS_TRYING), surface


# the owner's choice on the runs page, the message after it, the schedule on the source page, the card's forward
CHOICES = [
    ("manual", "Schedule for “Work calendar” saved: Only when I ask.", "Only when you ask",
     "Nothing needs you now. Ownerhub collects only when you ask."),
    ("1d", "Schedule for “Work calendar” saved: Once a day.", "Every day; next",
     "Nothing needs you now. Next collection"),
]


@pytest.mark.parametrize(("choice", "said", "shown", "forward"), CHOICES, ids=[c[0] for c in CHOICES])
def test_the_schedule_the_owner_picks_is_said_the_same_way_everywhere(
        calendar, httpserver, owner, client, time_machine, choice, said, shown, forward):
    _pulled(calendar, httpserver, [_calendar()], "1h", time_machine)
    client.force_login(owner)

    response = client.post(f"/sources/{calendar.slug}/runs/", {"schedule": choice}, follow=True)

    assert said in html.unescape(response.content.decode())
    source = html.unescape(client.get(f"/sources/{calendar.slug}/").content.decode())
    assert shown in source and "When the source sends data" not in source
    health = load_one(calendar, now=NOW)
    assert health.schedule.text.startswith(shown) and health.verdict.forward.startswith(forward)


@pytest.mark.parametrize(
    ("choice", "state", "headline", "action"),
    [
        # Collected only when Ana asks: ten days without asking is old data to refresh, not a broken pipe.
        ("manual", "attention", None, ("retry", "Collect now")),
        ("1h", "degraded", "No successful collection since 4 Dec 2026", ("retry", "Try again now")),
    ],
    ids=["only_when_i_ask", "every_hour"],
)
def test_a_calendar_not_collected_for_ten_days_is_in_trouble_only_when_it_was_due(
        calendar, httpserver, owner, client, time_machine, choice, state, headline, action):
    _pulled(calendar, httpserver, [_calendar()], choice, time_machine)
    time_machine.move_to(NOW + timedelta(days=10), tick=False)

    card, api, cli = _surfaces(client, owner, calendar)

    assert api["verdict"]["state"] == state
    assert (api["actions"][0]["kind"], api["actions"][0]["label"]) == action
    if headline:
        assert api["verdict"]["headline"] == headline and headline in card and headline in cli
    else:
        assert api["verdict"]["label"] == "Needs a refresh" and "Having trouble" not in card
        assert "Last collected on 4 Dec 2026." in card and "Last collected on 4 Dec 2026." in cli
        assert "collects this source only when you ask" in api["verdict"]["forward"]
