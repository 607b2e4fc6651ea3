"""The background worker is down: missed pulls are a system fact, said once, and cards stay as they were.

Each row of ``tests.scenarios.WORKER_DOWN`` is saved on its own (the worker's heartbeat is one row for the
whole installation) and read back on every surface: the pure projection, the card on the dashboard, the
``health`` text, ``health --json``, the owner API's connection and ``GET /api/owner/system``. They agree.
"""

from __future__ import annotations

import html
import json
import re
from io import StringIO

import pytest
from django.core.management import call_command

from connections.models import Connection
from coverage.evidence import load_health
from coverage.projection import project
from coverage.serializers import health_json
from coverage.services import issue_access_token
from tests.scenarios_worker_down import NOW, WORKER_DOWN

pytestmark = pytest.mark.django_db
ROWS = [pytest.param(scenario, expected, id=name) for name, (scenario, expected) in WORKER_DOWN.items()]
BLAMING_THE_SOURCE = ("keeps trying on schedule", "No successful collection since", "the next collection is late")


def _field(obj, dotted: str):
    for part in dotted.split("."):
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    return obj


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def _ids_zeroed(data: dict) -> dict:
    data["latest_receipt"] = data["latest_receipt"] and {**data["latest_receipt"], "batch_id": 0}
    for saving in data["work"]["imports"]:
        saving["batch_id"] = 0
    if data["latest_activity"]:
        data["latest_activity"].update(batch_id=0, duplicate_of=None)
    return data


@pytest.mark.parametrize(("scenario", "expected"), ROWS)
def test_the_projection_while_the_worker_is_down(scenario, expected):
    health = project(scenario.evidence(), NOW)
    assert health.verdict.state == expected["state"]
    if "label" in expected:
        assert health.verdict.label == expected["label"]
    if "actions" in expected:
        assert [a.kind for a in health.actions][: len(expected["actions"])] == expected["actions"]
    if "advisories" in expected:
        assert [a.kind for a in health.advisories] == expected["advisories"]
    if "forward_has" in expected:
        assert expected["forward_has"] in health.verdict.forward
    if "needs_now" in expected:
        assert health.needs_owner_now is expected["needs_now"]
    for key, value in expected.items():
        if "." in key:
            assert _field(health, key) == value, key
    for words in BLAMING_THE_SOURCE:
        assert words not in f"{health.verdict.headline} {health.verdict.forward} {health.schedule.text}"


@pytest.mark.parametrize(("scenario", "expected"), ROWS)
def test_card_health_text_json_and_api_say_the_same_while_the_worker_is_down(
        scenario, expected, owner, client, time_machine):
    time_machine.move_to(NOW, tick=False)
    conn = scenario.save(owner)
    loaded = load_health(Connection.objects.filter(pk=conn.pk), now=NOW)[0]
    assert _ids_zeroed(health_json(loaded)) == _ids_zeroed(health_json(project(scenario.saved_evidence(conn), NOW)))

    _, secret = issue_access_token(owner)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    api = client.get(f"/api/owner/connections/{conn.slug}", **bearer).json()
    out = StringIO()
    call_command("health", conn.slug, "--owner", owner.username, "--json", stdout=out)
    assert api == json.loads(out.getvalue()) == health_json(loaded)
    system = client.get("/api/owner/system", **bearer).json()
    assert system["state"] == "degraded" and system["worker"]["state"] == "unavailable"

    out = StringIO()
    call_command("health", conn.slug, "--owner", owner.username, stdout=out)
    text = out.getvalue()
    assert text.count(system["headline"]) == 1 and text.startswith("Ownerhub: ")  # said once, above the sources
    assert loaded.verdict.label in text and loaded.verdict.forward in text

    client.force_login(owner)
    page = client.get("/").content.decode()
    assert page.count('class="banner') == 1 and system["headline"] in _text(page)
    card = _text(re.search(rf'<article class="card[^"]*" id="source-{conn.slug}-card".*?</article>', page, re.S)[0])
    for said in (loaded.verdict.label, loaded.verdict.headline, loaded.verdict.forward):
        assert said in card
    if loaded.schedule.waits_for == "worker":
        assert loaded.schedule.text in card and loaded.schedule.text in text
    for saving in loaded.work.imports:
        assert saving.text in card and saving.text.endswith("it waits for the background worker")
    for words in BLAMING_THE_SOURCE:
        assert words not in card and words not in text
