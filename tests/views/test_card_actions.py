"""Every action carries its method, address and whether it asks first; the card renders forms from that alone."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from django.template.loader import render_to_string

from coverage.projection import project
from tests.scenarios import NOW, SCENARIOS
from tests.scenarios_worker_down import WORKER_DOWN

ROWS = [pytest.param(scenario, id=name) for name, (scenario, _) in {**SCENARIOS, **WORKER_DOWN}.items()]
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.parametrize("scenario", ROWS)
def test_each_action_is_a_form_when_it_posts_and_a_link_when_it_gets(scenario):
    health = project(scenario.evidence(), NOW)
    card = render_to_string("coverage/dashboard.html#coverage-card", {"health": health, "busy_slugs": set()})
    for action in health.actions:
        assert action.method in ("GET", "POST") and action.url.startswith("/")
        label = re.escape(html.escape(action.label))
        form = re.search(rf'<form method="post" action="{re.escape(action.url)}" hx-post="{re.escape(action.url)}"'
                         rf'[^>]*>.*?<button[^>]*>{label}</button></form>', card, re.S)
        link = re.search(rf'<a [^>]*href="{re.escape(action.url)}"[^>]*>{label}</a>', card)
        if action.method == "POST":
            assert form and not link, action
            asks = re.search(r'hx-confirm="([^"]*)"', form.group(0))
            assert (html.unescape(asks.group(1)) if asks else "") == action.confirm
        else:
            assert link and not form, action
            assert not action.confirm  # a link changes nothing: nothing to confirm


def test_actions_that_change_something_post_and_the_risky_one_asks_first():
    kinds = {}
    for scenario, _ in {**SCENARIOS, **WORKER_DOWN}.values():
        for action in project(scenario.evidence(), NOW).actions:
            kinds[action.kind] = action
    assert {k for k, a in kinds.items() if a.method == "POST"} >= {"retry", "resume", "require_media", "media_optional"}
    assert {k for k, a in kinds.items() if a.method == "GET"} >= {"add_artifact", "add_media", "reconnect", "reread"}
    assert kinds["require_media"].confirm.startswith("Require every media file?")
    assert not kinds["media_optional"].confirm


def test_no_template_decides_which_action_is_a_form():
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        assert "is_post_action" not in text, path
        assert not re.search(r"(?<![\w.])(action|primary)\.kind\s*==", text), path  # a projection action
