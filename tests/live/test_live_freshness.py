"""Live freshness follows the newest recorded point, not the moment of the push.

A phone that pushes now points recorded in 2015 (its clock is wrong, or it replays an old
queue) is not "Up to date": the card, ``health`` and the API say what was recorded, and why.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from coverage.evidence import load_one
from tests.live.test_device_push import fix, push_owntracks

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
IN_2015 = datetime(2015, 3, 3, 18, 30, tzinfo=UTC)


def test_a_phone_pushing_points_from_2015_is_not_up_to_date_and_says_why(client, owner, phone, phone_token):
    with time_machine.travel(NOW, tick=False):
        for i in range(3):
            assert push_owntracks(client, phone_token, fix(int(IN_2015.timestamp()) + 60 * i)).status_code == 200
        health = load_one(phone, now=NOW + timedelta(minutes=1))
        assert health.coverage.covered_through == IN_2015 + timedelta(minutes=2)
        assert health.verdict.label != "Up to date" and health.coverage.freshness == "stale"
        assert health.verdict.headline == "The newest location is from 3 Mar 2015"
        assert "the phone's clock may be wrong, or it is sending old locations again" in health.verdict.forward
        assert health.verdict.forward.startswith("The phone sent data today at 12:0")
        assert health.actions[0].kind == "check_device"

        out = StringIO()
        call_command("health", phone.slug, "--owner", owner.username, stdout=out)
        assert health.verdict.headline in out.getvalue() and "Stale since 4 Mar 2015" in out.getvalue()  # six hours after the newest point
        out = StringIO()
        call_command("health", phone.slug, "--owner", owner.username, "--json", stdout=out)
        client.force_login(owner)
        api = client.get(f"/api/owner/connections/{phone.slug}").json()
        assert api == json.loads(out.getvalue())
        assert api["verdict"]["headline"] == health.verdict.headline and api["coverage"]["freshness"] == "stale"
        page = client.get("/").content.decode()
        assert "The newest location is from 3 Mar 2015" in page and "Up to date" not in page


def test_a_phone_pushing_what_it_records_now_is_up_to_date(client, phone, phone_token):
    with time_machine.travel(NOW, tick=False):
        assert push_owntracks(client, phone_token, fix(int(NOW.timestamp()) - 60)).status_code == 200
    health = load_one(phone, now=NOW + timedelta(minutes=1))
    assert health.verdict.label == "Up to date" and health.coverage.freshness == "fresh"
