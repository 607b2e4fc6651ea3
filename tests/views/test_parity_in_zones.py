"""Every scenario of the projection table, for owners far east and far west of UTC on installations
far east and far west of it (issue 11, "Done means"): the card, ``health``'s text, ``health --json``
and the owner API state the same days, counts, advisories and actions, and the JSON names the
owner's zone so a client can draw the same days."""

from __future__ import annotations

import html
import json
import re
from io import StringIO

import pytest
from django.core.management import call_command

from connections.models import OwnerProfile
from connections.tokens import issue_access_token
from coverage import words
from coverage.evidence import load_one
from tests.scenarios import NOW, SCENARIOS

OWNER_ZONES = ("Pacific/Auckland", "America/Los_Angeles")
INSTALLATION_ZONES = ("Pacific/Kiritimati", "Pacific/Pago_Pago")
ROWS = [
    pytest.param(scenario, owner_zone, installation, id=f"{name}-{owner_zone.split('/')[1]}-on-{installation.split('/')[1]}")
    for name, (scenario, _) in SCENARIOS.items()
    for owner_zone in OWNER_ZONES
    for installation in INSTALLATION_ZONES
]


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


@pytest.mark.django_db
@pytest.mark.parametrize(("scenario", "owner_zone", "installation"), ROWS)
def test_every_surface_says_the_same_in_the_owners_zone(scenario, owner_zone, installation, owner, client,
                                                        settings, time_machine):
    settings.TIME_ZONE = installation
    time_machine.move_to(NOW, tick=False)
    OwnerProfile.objects.update_or_create(owner=owner, defaults={"time_zone": owner_zone})
    conn = scenario.save(owner)
    health = load_one(conn)

    client.force_login(owner)
    card = re.search(rf'<article class="card[^"]*" id="source-{conn.slug}-card".*?</article>',
                     client.get("/").content.decode(), re.S)
    assert card, "the dashboard shows the source's card"
    card_text = _text(card.group(0))
    out = StringIO()
    call_command("health", "--owner", owner.username, stdout=out)
    cli_text = re.sub(r"\s+", " ", out.getvalue())
    said = [health.verdict.headline, health.verdict.forward, *(a.detail for a in health.advisories)]
    if health.coverage.freshness_text:
        said.append(health.coverage.freshness_text)
    for sentence in said:
        assert sentence in card_text, f"card: {sentence!r}"
        assert sentence in cli_text, f"health: {sentence!r}"
    for action in health.actions:
        assert action.label in card_text
    through = words.day(health.coverage.covered_through, words.zone(owner_zone), missing="-")
    assert through in cli_text

    out = StringIO()
    call_command("health", conn.slug, "--owner", owner.username, "--json", stdout=out)
    cli_json = json.loads(out.getvalue())
    _, secret = issue_access_token(owner)
    api = client.get(f"/api/owner/connections/{conn.slug}", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert api == cli_json
    assert api["connection"]["time_zone"] == owner_zone
    assert api["verdict"]["headline"] == health.verdict.headline
    assert [a["detail"] for a in api["advisories"]] == [a.detail for a in health.advisories]
    assert [(a["label"], a["url"], a["method"]) for a in api["actions"]] == [
        (a.label, a.url, a.method) for a in health.actions
    ]
    assert api["coverage"]["record_count"] == health.coverage.record_count
