"""OwnTracks pushes have no preview: a push from another user/device than the source's first is kept,
recorded, and the card says so with the action to check the phone's settings (issue 18)."""

from __future__ import annotations

import base64
import html
import json
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command

from connections.services import add_connection
from connections.tokens import issue_access_token, issue_device_token
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
    assert advisory.detail == "Points now arrive from another device than before."
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
    assert advisory.detail == "Points now arrive from another device than before."


# the device the earlier pushes named, the one this push names (None: no device name)
DEVICES = [
    ("a phone the app names, then one it does not", "pixel", None),
    ("the same device name under another user", "owntracks/bob/pixel", "owntracks/ada/pixel"),
    ("another device of the same user", "owntracks/ada/pixel", "owntracks/ada/tablet"),
]


@pytest.mark.parametrize(("first", "then"), [d[1:] for d in DEVICES], ids=[d[0] for d in DEVICES])
def test_the_receipt_says_another_device_without_the_apps_ids(client, owner, phone, first, then):
    said = "Points now arrive from another device than before."
    source, secret = phone
    device = {"topic" if first.startswith("owntracks/") else "HTTP_X_LIMIT_D": first}
    _push(client, owner, secret, **device)
    _push(client, owner, secret, minute=5, **({"topic": then} if then else {}))
    batch = AcquisitionBatch.objects.filter(connection=source).order_by("-pk").first()

    client.force_login(owner)
    page = html.unescape(client.get(f"/receipts/{batch.pk}/").content.decode())
    out = StringIO()
    call_command("receipt", str(batch.pk), stdout=out)
    api = client.get(f"/api/owner/batches/{batch.pk}",
                     HTTP_AUTHORIZATION=f"Bearer {issue_access_token(owner)[1]}").json()
    api_said = [w["detail"] for w in api["warnings"] if w["kind"] == "other_device"]
    assert api_said == [said] and said in page and said in out.getvalue()
    for surface in (page, out.getvalue()):
        assert not [name for name in ("pixel", "tablet", "ada/", "bob/", "/token-") if name in surface]
