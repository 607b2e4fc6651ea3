"""Wrong tokens are slowed down; a right token never is.

Behind the documented proxy every client can share one address, so a guesser
(or one misconfigured script) must never lock out the owner's valid API tokens
and phones. Failures count per presented credential and per address; a valid
credential is checked first and always answered.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from connections.models import AccessToken
from connections.services import add_connection
from connections.tokens import issue_device_token, revoke_device_tokens
from coverage.models import Record
from coverage.services import issue_access_token
from tests.live.conftest import basic

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 12, 1, 9, 0, 30, tzinfo=UTC)
LIMIT = 20  # failed attempts in a 5-minute window before 429
PROXY = "10.0.0.1"  # every client, as the app sees them behind one proxy


def api(client, token: str, address: str = PROXY):
    return client.get("/api/owner/connections", HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR=address)


def overland(client, token: str, address: str = PROXY, *, at: str = "2026-12-01T08:00:00Z"):
    body = {"locations": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [13.4, 52.5]},
                           "properties": {"timestamp": at, "device_id": "phone1"}}]}
    return client.post("/ingest/overland", json.dumps(body), content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR=address)


def owntracks(client, token: str, address: str = PROXY, *, user: str = "ada"):
    body = {"_type": "location", "lat": 52.5, "lon": 13.4, "tst": int(T0.timestamp()) - 60, "tid": "AS"}
    return client.post("/ingest/owntracks", json.dumps(body), content_type="application/json",
                       HTTP_AUTHORIZATION=basic(user, token), REMOTE_ADDR=address)


@pytest.fixture
def phone(owner):
    return add_connection(owner, "owntracks", "my-phone", "My phone")


def test_a_valid_api_token_is_answered_after_guesses_from_the_same_address(client, owner):
    _, secret = issue_access_token(owner)
    with time_machine.travel(T0, tick=False):
        answers = [api(client, f"oh_pat_guess{i}").status_code for i in range(LIMIT + 5)]
        assert answers[:LIMIT] == [401] * LIMIT and set(answers[LIMIT:]) == {429}
        response = api(client, secret)
    assert response.status_code == 200


def test_a_phone_keeps_pushing_after_guesses_from_the_same_address(client, owner, phone):
    _, secret = issue_device_token(phone)
    with time_machine.travel(T0, tick=False):
        for i in range(LIMIT + 5):
            overland(client, f"guess{i}")
        assert overland(client, "guess-again").status_code == 429
        assert overland(client, secret).status_code == 200
        assert owntracks(client, secret).status_code == 200
    assert Record.objects.filter(connection=phone).count() == 2


def test_guessing_api_tokens_is_slowed_and_says_when_to_retry(client, owner):
    with time_machine.travel(T0, tick=False):
        for i in range(LIMIT):
            api(client, f"oh_pat_guess{i}")
        blocked = api(client, "oh_pat_one-more")
    assert blocked.status_code == 429
    assert blocked["Retry-After"] == "270"  # the 5-minute window started 30 s ago
    assert "wait" in blocked.json()["detail"]
    # The next window starts afresh.
    with time_machine.travel(T0 + timedelta(seconds=271), tick=False):
        assert api(client, "oh_pat_one-more").status_code == 401


def test_one_wrong_token_sent_from_many_addresses_is_slowed(client, owner, phone):
    """A guesser spread over many addresses still meets the per-credential count."""
    with time_machine.travel(T0, tick=False):
        api_answers = [api(client, "oh_pat_same-wrong", address=f"10.5.0.{i}").status_code for i in range(LIMIT + 1)]
        push_answers = [overland(client, "same-wrong", address=f"10.6.0.{i}").status_code for i in range(LIMIT + 1)]
    assert api_answers[-1] == 429 and push_answers[-1] == 429
    assert api_answers[:LIMIT] == push_answers[:LIMIT] == [401] * LIMIT


def test_a_revoked_phone_is_still_recorded_and_slowed_without_hurting_the_new_token(client, owner, phone):
    _, old = issue_device_token(phone)
    revoke_device_tokens(phone)
    _, new = issue_device_token(phone)
    with time_machine.travel(T0, tick=False):
        answers = [overland(client, old).status_code for _ in range(LIMIT + 1)]
        assert answers[:LIMIT] == [401] * LIMIT and answers[LIMIT] == 429
        assert overland(client, new).status_code == 200


def test_a_revoked_api_token_counts_as_a_failure_but_does_not_hurt_others(client, owner):
    _, old = issue_access_token(owner, "old script")
    AccessToken.objects.filter(name="old script").update(revoked_at=T0)
    _, live = issue_access_token(owner, "backup script")
    with time_machine.travel(T0, tick=False):
        answers = [api(client, old).status_code for _ in range(LIMIT + 1)]
        assert answers[-1] == 429
        assert api(client, live).status_code == 200
