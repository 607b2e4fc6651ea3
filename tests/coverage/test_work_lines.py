"""The lines about the owner's work and the pipe (previews waiting, skipped pulls, a pull waiting for the
worker, an import being saved) say the same on the card and in ``health``, for every scenario row."""

from __future__ import annotations

import html
import re
from io import StringIO

import pytest
from django.core.management import call_command

from connections.models import Connection
from coverage.evidence import load_health
from coverage.projection import project
from tests.scenarios import NOW, SCENARIOS
from tests.scenarios_worker_down import WORKER_DOWN

pytestmark = pytest.mark.django_db
ROWS = [pytest.param(scenario, id=name) for name, (scenario, _) in {**SCENARIOS, **WORKER_DOWN}.items()]


def _lines(health) -> list[str]:
    work = health.work
    return [*(saving.text for saving in work.imports), *([work.previews.text] if work.previews else []),
            *([health.schedule.text] if health.schedule.waits_for == "worker" else []),
            *([work.skipped.text] if work.skipped else [])]


@pytest.mark.parametrize("scenario", ROWS)
def test_card_and_health_text_say_the_same_work_lines(scenario, owner, client, time_machine):
    time_machine.move_to(NOW, tick=False)
    conn = scenario.save(owner)
    health = load_health(Connection.objects.filter(pk=conn.pk), now=NOW)[0]
    out = StringIO()
    call_command("health", conn.slug, "--owner", owner.username, stdout=out)
    client.force_login(owner)
    card = client.get(f"/sources/{conn.slug}/card/").content.decode()
    card = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", card)))
    for line in _lines(health):
        assert line in card and f"  - {line}" in out.getvalue()
    if health.work.previews:
        assert f'href="{health.work.previews.url}"' in client.get("/").content.decode()


def test_the_table_has_a_row_for_each_work_line():
    lines = [_lines(project(s.evidence(), NOW)) for s, _ in {**SCENARIOS, **WORKER_DOWN}.values()]
    said = " ".join(" ".join(found) for found in lines)
    for words in ("preview waiting for you", "collections were skipped", "waits for the background worker",
                  "Saving your import"):
        assert words in said
