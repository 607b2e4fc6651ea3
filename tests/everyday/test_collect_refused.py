"""A calendar feed whose access was refused: every page says the same thing about collecting it.

The card says "Reconnect to let Ownerhub collect again; it will not retry until then." The runs page,
its "Collect now", the source page and ``manage.py run_due`` say it too, in the projection's words:
none of them promises a next collection, and none asks the refused address again.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from connections.models import CollectionRun, Condition, Connection
from coverage.evidence import load_one
from tests.factories import CollectionRunFactory, ConditionFactory, ConnectionFactory

pytestmark = [pytest.mark.django_db]
Outcome = CollectionRun.Outcome
RUNS = "/sources/work-calendar/runs/"


@pytest.fixture
def refused(owner):
    """The demo's "Work calendar": collected once a day; its one collection was refused (401) an hour ago."""
    now = timezone.now()
    calendar = ConnectionFactory(
        owner=owner, connector="ical_feed", slug="work-calendar", name="Work calendar",
        schedule_policy=Connection.Policy.INTERVAL, resume_policy=Connection.Policy.INTERVAL,
        interval_seconds=86400, next_due_at=now + timedelta(hours=23), feed_url="https://calendar.example/work.ics",
    )
    CollectionRunFactory(connection=calendar, started_at=now - timedelta(hours=1),
                         finished_at=now - timedelta(hours=1) + timedelta(seconds=1), outcome=Outcome.FAILURE,
                         error_class="credential_rejected", message="The calendar refused access (401).")
    ConditionFactory(connection=calendar, type=Condition.Type.CREDENTIAL, status=Condition.Status.REJECTED,
                     reason="http_401", observed_at=now - timedelta(hours=1))
    return calendar


def _text(page: bytes) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.decode())).split())


def test_the_runs_page_says_the_cards_schedule_and_offers_reconnect_not_collect_now(owner_client, refused):
    health = load_one(refused)
    assert health.verdict.forward == "Reconnect to let Ownerhub collect again; it will not retry until then."

    page = owner_client.get(RUNS).content.decode()

    text = _text(page.encode())
    assert "Paused until you reconnect" in text and health.verdict.forward in text
    assert "Next collection" not in text and "Collect now" not in text
    assert 'href="/sources/work-calendar/#connect"' in page and ">Reconnect</a>" in page


def test_collect_now_on_a_refused_feed_says_why_and_points_to_reconnect(owner_client, refused):
    due = refused.next_due_at

    response = owner_client.post("/sources/work-calendar/retry/", {"next": RUNS}, follow=True)

    assert response.redirect_chain[-1][0] == "/sources/work-calendar/#connect"
    day = load_one(refused).verdict.headline  # "Access refused on 4 Dec 2026"
    assert day.startswith("Access refused on ")
    assert (f"Nothing was collected from “Work calendar”. {day}. Reconnect to let Ownerhub collect again; "
            "it will not retry until then.") in _text(response.content)
    refused.refresh_from_db()
    assert refused.next_due_at == due  # the schedule did not move: nothing falls due, nothing is skipped
    assert list(refused.runs.values_list("outcome", flat=True)) == [Outcome.FAILURE]


def test_try_again_on_a_refused_feeds_card_swaps_in_the_card_with_reconnect(owner_client, refused):
    due = refused.next_due_at

    fragment = owner_client.post("/sources/work-calendar/retry/", headers={"HX-Request": "true"}).content.decode()

    assert "<html" not in fragment and ">Reconnect</a>" in fragment
    refused.refresh_from_db()
    assert refused.next_due_at == due and refused.runs.count() == 1


def test_a_skipped_stretch_shows_no_time_taken(owner_client, refused):
    now = timezone.now()
    CollectionRunFactory(connection=refused, started_at=now - timedelta(minutes=12), finished_at=now,
                         outcome=Outcome.SKIPPED, error_class=CollectionRun.Skip.REFUSED, missed=2,
                         message="2 collections skipped: access was refused")

    page = owner_client.get(RUNS).content.decode()

    newest = page.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    cells = [_text(cell.encode()) for cell in re.findall(r"<td>(.*?)</td>", newest, re.S)]
    assert cells[1:] == ["", "Skipped", "", "2 collections skipped: access was refused"]


def test_the_source_page_says_nothing_was_collected_and_when_the_last_collection_failed(owner_client, refused):
    text = _text(owner_client.get("/sources/work-calendar/").content)

    recent = text.split("Recent collections", 1)[1].split("Connection", 1)[0]
    assert "No collections yet" not in recent and "Nothing collected yet. Last collection " in recent
    said = load_one(refused).work.last_run.text  # the projection's words, as the Connection part says them
    assert said.startswith("Last collection ") and said.endswith(": failed")
    assert recent.strip().endswith(f"Nothing collected yet. {said}.")


def test_run_due_names_the_refused_feed_in_the_cards_words_and_does_not_ask_it(refused):
    Connection.objects.filter(pk=refused.pk).update(next_due_at=timezone.now() - timedelta(minutes=1))
    out = StringIO()

    call_command("run_due", stdout=out)

    health = load_one(refused)
    assert (f"work-calendar: not collected · {health.verdict.headline}. Reconnect to let Ownerhub collect again; "
            "it will not retry until then.") in out.getvalue()
    assert "0 sources pulled." in out.getvalue()
    assert not refused.runs.filter(outcome__in=[Outcome.SUCCESS, Outcome.RUNNING]).exists()
    assert refused.runs.filter(outcome=Outcome.FAILURE).count() == 1  # the refused address was not asked again
