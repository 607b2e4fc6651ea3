"""OwnTracks pushes have no preview: a push from another user/device than the source's first is kept,
recorded, and the card says so with the action to check the phone's settings (issue 18)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from connections.services import add_connection
from connections.tokens import issue_device_token
from coverage.evidence import load_one
from coverage.models import AcquisitionBatch, Record

pytestmark = pytest.mark.django_db


def _push(client, owner, secret, *, topic=None, minute=0, **headers):
    body = {"_type": "location", "lat": 52.5065, "lon": 13.4105, "tid": "p1",
            "tst": int(datetime(2024, 5, 4, 7, minute, 10, tzinfo=UTC).timestamp())}
    if topic:
        body["topic"] = topic
    auth = base64.b64encode(f"{owner.username}:{secret}".encode()).decode()
    response = client.post("/ingest/owntracks", json.dumps(body), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Basic {auth}", **headers)
    assert response.status_code == 200
    return response


@pytest.fixture
def phone(owner):
    source = add_connection(owner, "owntracks", "phone", "My phone")
    return source, issue_device_token(source)[1]


def test_a_push_from_another_device_is_kept_and_the_card_says_so(client, owner, phone):
    source, secret = phone
    _push(client, owner, secret, topic="owntracks/ada/pixel")
    assert load_one(source).advisories == ()
    _push(client, owner, secret, topic="owntracks/bob/iphone", minute=5)

    assert Record.objects.count() == 2  # the points are still kept
    health = load_one(source)
    advisory = next(a for a in health.advisories if a.kind == "other_device")
    assert advisory.severity == "advisory"
    assert advisory.detail.startswith("Points arrive from another device, bob/iphone, than before")
    assert "ada/pixel" in advisory.detail
    check = next(a for a in health.actions if a.kind == "check_settings")
    assert check.label == "Check the phone's settings" and check.url == "/sources/phone/#connect"
    latest = AcquisitionBatch.objects.get(pk=advisory.batch_id)  # the hint is kept with the push's batch
    assert latest.options["identity"] == "bob/iphone" and latest.warnings[0]["kind"] == "other_device"


def test_pushes_from_the_same_device_raise_nothing(client, owner, phone):
    source, secret = phone
    _push(client, owner, secret, topic="owntracks/ada/pixel")
    _push(client, owner, secret, topic="owntracks/ada/pixel", minute=5)
    assert [a.kind for a in load_one(source).advisories] == []


def test_without_a_topic_the_user_and_device_headers_name_the_phone(client, owner, phone):
    source, secret = phone
    _push(client, owner, secret, HTTP_X_LIMIT_D="pixel")
    _push(client, owner, secret, minute=5, HTTP_X_LIMIT_D="tablet")
    advisory = next(a for a in load_one(source).advisories if a.kind == "other_device")
    assert advisory.detail.startswith(f"Points arrive from another device, {owner.username}/tablet, than before")
