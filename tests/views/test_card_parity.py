"""Parity: for every scenario of the projection table, the card says what the projection says.

The card renders ``verdict.label``, ``headline`` and ``forward`` as given, styles the
pill by ``tone``, offers ``actions[0]`` as the button, and shows no word of another state.
"""

from __future__ import annotations

import html
import re

import pytest
from django.template.loader import render_to_string

from connections.connectors import get as get_manifest
from connections.models import Connection
from coverage.projection import project, summarize
from coverage.projection.types import MANAGE_ACTIONS
from tests.scenarios import NOW, SCENARIOS

ROWS = [pytest.param(scenario, id=name) for name, (scenario, _) in SCENARIOS.items()]
PILL_LABELS = {"Up to date", "Not measured yet", "Needs a refresh", "Needs a look", "Media missing",
               "Having trouble", "Can't collect", "Paused", "Finish setup"}
NEVER_ON_A_CARD = ("sync failed", "Traceback", "connection_id", "sha256", "batch_id", "None")


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def _pill(fragment: str) -> re.Match:
    match = re.search(r'<p class="pill (tone-\w+)">(.*?)</p>', fragment, re.S)
    assert match, "the card has a pill"
    return match


def _assert_card_matches(fragment: str, health) -> None:
    text = _text(fragment)
    verdict = health.verdict
    assert verdict.headline in text
    assert verdict.forward in text
    pill = _pill(fragment)
    assert pill.group(1) == f"tone-{verdict.tone}"
    assert 'class="pill-icon" aria-hidden="true"' in pill.group(2)  # a shape as well as a colour
    assert _text(pill.group(2)).endswith(verdict.label)
    assert f'class="card tone-{verdict.tone}"' in fragment
    assert len(set(re.findall(r"tone-(\w+)", fragment))) == 1
    for other in PILL_LABELS - {verdict.label}:
        assert other not in text, f"{other!r} contradicts {verdict.label!r}"
    for word in NEVER_ON_A_CARD:
        assert word not in text
    if health.primary_action:
        primary = re.search(r'class="button primary"[^>]*>([^<]+)<', fragment)
        assert primary and html.unescape(primary.group(1).strip()) == health.primary_action.label == health.actions[0].label
    else:  # nothing to do, or only pausing or muting the source: no button calls for it
        assert "button primary" not in fragment
        assert all(a.kind in MANAGE_ACTIONS for a in health.actions)
    for action in health.actions:
        assert action.label in text and f'"{action.url}"' in fragment
    for advisory in health.advisories:
        assert advisory.detail in text
    if health.latest_activity is not None:  # what the last upload did, a duplicate included, never a problem
        assert health.latest_activity.text in text


@pytest.mark.parametrize("scenario", ROWS)
def test_card_renders_the_projection_as_given(scenario):
    health = project(scenario.evidence(), NOW)
    fragment = render_to_string("coverage/dashboard.html#coverage-card", {"health": health, "busy_slugs": set()})
    _assert_card_matches(fragment, health)


@pytest.mark.django_db
@pytest.mark.parametrize("scenario", ROWS)
def test_dashboard_and_source_page_agree_with_the_projection(scenario, owner, client, time_machine):
    time_machine.move_to(NOW, tick=False)
    conn = scenario.save(owner)
    health = project(scenario.saved_evidence(conn), NOW)
    client.force_login(owner)
    for url in ("/", f"/sources/{conn.slug}/", f"/sources/{conn.slug}/card/"):
        page = client.get(url).content.decode()
        card = re.search(rf'<article class="card[^"]*" id="source-{conn.slug}-card".*?</article>', page, re.S)
        assert card, url
        _assert_card_matches(card.group(0), health)
    assert Connection.objects.count() == 1


CONNECTABLE = [pytest.param(scenario, id=name) for name, (scenario, _) in SCENARIOS.items()
               if not get_manifest(scenario.connector).is_manual]


@pytest.mark.django_db
@pytest.mark.parametrize("scenario", CONNECTABLE)
def test_source_page_states_the_schedule_of_the_projection(scenario, owner, client, time_machine):
    time_machine.move_to(NOW, tick=False)
    conn = scenario.save(owner)
    health = project(scenario.saved_evidence(conn), NOW)
    client.force_login(owner)
    page = _text(client.get(f"/sources/{conn.slug}/").content.decode())
    assert f"Schedule {health.schedule.text}" in page
    assert " ago" not in page.split("Schedule ", 1)[1].split(" Last", 1)[0]  # never "next 30 minutes ago"


@pytest.mark.django_db
def test_dashboard_shows_cards_by_urgency_and_counts_each_once(owner, client, time_machine):
    time_machine.move_to(NOW, tick=False)
    slugs = {}
    for name, (scenario, _) in SCENARIOS.items():
        slugs[scenario.save(owner).slug] = name
    client.force_login(owner)
    page = client.get("/").content.decode()
    shown = re.findall(r'<article class="card[^"]*" id="source-([\w-]+)-card"', page)
    healths = {h.connection.slug: h for h in (project(SCENARIOS[n][0].evidence(), NOW) for n in slugs.values())}
    summary = summarize(list(healths.values()))
    assert shown == [h.connection.slug for h in summary.cards]
    pills = [healths[slug].verdict.label for slug in shown]
    assert pills[0] == "Can't collect" and pills[-1] == "Up to date"
    line = _text(re.search(r'<p class="summary-line">(.*?)</p>', page, re.S).group(1))
    assert line == summary.sentence
    assert sum(int(part.split(" ", 1)[0]) for part in line.split(" · ")) == len(SCENARIOS)
    assert "can't collect" in line and "having trouble" in line and "up to date" in line


@pytest.mark.django_db
def test_each_part_of_the_summary_line_shows_only_its_cards(owner, client, time_machine):
    time_machine.move_to(NOW, tick=False)
    for scenario, _ in SCENARIOS.values():
        scenario.save(owner)
    client.force_login(owner)
    page = client.get("/").content.decode()
    line = re.search(r'<p class="summary-line">(.*?)</p>', page, re.S).group(1)
    parts = re.findall(r'<a href="\?show=(\w+)">([^<]+)</a>', line)
    assert len(parts) >= 3  # every part is a link (UI.md: "each part filters")

    for key, text in parts:
        shown = client.get(f"/?show={key}").content.decode()
        cards = re.findall(r'<article class="card[^"]*" id="source-([\w-]+)-card"', shown)
        assert len(cards) == int(text.split(" ", 1)[0]), text
        assert f'<a href="?show={key}" aria-current="true">' in shown and f"Show all {len(SCENARIOS)}" in shown
    everything = client.get("/?show=no-such-state").content.decode()  # an unknown state shows every card
    assert len(re.findall(r'<article class="card', everything)) == len(SCENARIOS) and "Show all" not in everything


@pytest.mark.django_db
def test_an_uptime_check_may_ask_the_dashboard_with_head(owner, client):
    assert client.head("/").status_code == 302  # not logged in: the log-in page, as for GET
    client.force_login(owner)
    answer = client.head("/")
    assert answer.status_code == 200 and answer.content == b""
