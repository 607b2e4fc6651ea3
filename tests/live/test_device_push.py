"""Device pushes through the real endpoints: what is stored, answered and projected."""

from __future__ import annotations

import html
import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from connections.models import CollectionRun, Condition, DeviceToken
from connections.services import pause_connection, resume_connection
from connections.tokens import issue_device_token, revoke_device_tokens
from coverage.evidence import load_one
from coverage.models import AcquisitionBatch, LaneSummary, Record
from coverage.pipeline import land_batch, preview_artifact, start_commit
from tests.live.conftest import FIXTURES, basic

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


def fix(tst: int, lat: float = 52.52, lon: float = 13.405, **extra) -> dict:
    return {"_type": "location", "lat": lat, "lon": lon, "tst": tst, "tid": "AS", **extra}


def feature(at: str, lon: float = 13.405, lat: float = 52.52, device: str = "phone1") -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"timestamp": at, "device_id": device}}


def push_owntracks(client, token, body, *, user="ada", device="pixel"):
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post("/ingest/owntracks", data, content_type="application/json",
                       HTTP_AUTHORIZATION=basic(user, token), HTTP_X_LIMIT_U=user, HTTP_X_LIMIT_D=device)


def push_overland(client, token, features):
    return client.post("/ingest/overland", json.dumps({"locations": features}), content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {token}")


def credential(connection):
    return Condition.objects.filter(connection=connection, type="credential", superseded_at__isnull=True).get()


# ---------------------------------------------------------------- accepted pushes


def test_owntracks_push_is_stored_answered_and_makes_the_phone_up_to_date(client, phone, phone_token):
    with time_machine.travel(T0, tick=False):
        response = push_owntracks(client, phone_token, fix(int(T0.timestamp()) - 60))
    assert response.status_code == 200 and response.json() == []
    record = Record.objects.get(connection=phone)
    assert record.stream == "locations" and record.payload["source"] == "owntracks"
    batch = AcquisitionBatch.objects.get(connection=phone)
    assert (batch.method, batch.trigger, batch.window_key) == ("device_sync", "push", "pixel:2026-03-02T09")
    assert credential(phone).status == "ready"
    health = load_one(phone, now=T0 + timedelta(minutes=1))
    assert health.verdict.state == "healthy" and health.verdict.label == "Up to date"
    assert health.readiness.credential.state == health.readiness.runtime.state == "ready"
    assert [lane.method for lane in health.coverage.lanes] == ["device_sync"]


def test_pushes_in_one_hour_grow_one_batch_per_device_with_duplicates_counted(client, phone, phone_token):
    base = int(T0.timestamp())
    with time_machine.travel(T0, tick=False):
        for i in range(5):
            assert push_owntracks(client, phone_token, fix(base + i, lat=52.52 + i / 1000)).status_code == 200
        push_owntracks(client, phone_token, fix(base + 4, lat=52.524))  # a retry of the last point
        push_owntracks(client, phone_token, fix(base + 9), device="ipad")
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        push_owntracks(client, phone_token, fix(base + 3600))
    batches = {b.window_key: b for b in AcquisitionBatch.objects.filter(connection=phone)}
    assert set(batches) == {"pixel:2026-03-02T09", "ipad:2026-03-02T09", "pixel:2026-03-02T10"}
    first = batches["pixel:2026-03-02T09"]
    assert (first.count_parsed, first.count_accepted, first.count_duplicate) == (6, 5, 1)
    assert first.event_earliest == T0.replace(second=0) and first.event_latest == T0.replace(second=4)
    assert Record.objects.filter(connection=phone).count() == 7
    # Status-change-only: one credential and one runtime row for all those pushes.
    assert Condition.objects.filter(connection=phone).count() == 2
    assert LaneSummary.objects.get(connection=phone).batches == 3


def test_overland_batch_is_answered_ok_and_skips_stats_features(client, phone, phone_token):
    features = [feature("2026-03-02T10:00:00+01:00"), feature("2026-03-02T10:00:05+01:00", lat=52.53),
                {"type": "Feature", "geometry": None, "properties": {"action": "app_resumed"}}]
    with time_machine.travel(T0, tick=False):
        response = push_overland(client, phone_token, features)
    assert response.status_code == 200 and response.json() == {"result": "ok"}
    batch = AcquisitionBatch.objects.get(connection=phone)
    assert batch.window_key == "phone1:2026-03-02T09"
    assert (batch.count_accepted, batch.count_skipped) == (2, 1)


def test_other_owntracks_messages_are_acknowledged_and_counted_as_skipped(client, phone, phone_token):
    response = push_owntracks(client, phone_token, {"_type": "lwt", "tst": 1})
    assert response.status_code == 200 and response.json() == []
    assert AcquisitionBatch.objects.get(connection=phone).count_skipped == 1
    assert not Record.objects.exists()
    assert push_owntracks(client, phone_token, b"").status_code == 200  # zero-length: ignored


# ---------------------------------------------------------------- refused pushes


def test_unknown_token_is_refused_without_touching_any_source(client, phone, phone_token):
    response = push_owntracks(client, "ohd_not-a-token", fix(1_700_000_000))
    assert response.status_code == 401 and "Basic" in response.headers["WWW-Authenticate"]
    assert push_overland(client, "nope", [feature("2026-03-02T10:00:00Z")]).status_code == 401
    assert push_owntracks(client, phone_token, fix(1_700_000_000), user="bob").status_code == 401
    assert not Record.objects.exists()


def test_revoked_token_is_refused_and_recorded_as_rejected_until_a_new_token(client, phone, phone_token):
    with time_machine.travel(T0, tick=False):
        push_owntracks(client, phone_token, fix(int(T0.timestamp())))
        revoke_device_tokens(phone)
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        first = push_owntracks(client, phone_token, fix(int(T0.timestamp()) + 300))
        again = push_owntracks(client, phone_token, fix(int(T0.timestamp()) + 301))
    assert first.status_code == again.status_code == 401
    cond = credential(phone)
    assert (cond.status, cond.reason) == ("rejected", "revoked_token")
    assert Condition.objects.filter(connection=phone, type="credential", status="rejected").count() == 1
    health = load_one(phone, now=T0 + timedelta(minutes=6))
    assert health.verdict.state == "failing"
    assert health.verdict.headline == "Access refused on 2 Mar 2026"
    assert health.actions[0].kind == "reconnect"

    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        _, secret = issue_device_token(phone)
        assert push_owntracks(client, secret, fix(int(T0.timestamp()) + 600)).status_code == 200
    assert credential(phone).status == "ready"
    assert load_one(phone, now=T0 + timedelta(minutes=11)).verdict.state == "healthy"


def test_failed_attempts_from_one_address_are_rate_limited(client, phone, phone_token):
    for _ in range(20):
        assert push_overland(client, "guess", []).status_code == 401
    blocked = push_overland(client, "guess", [])
    assert blocked.status_code == 429 and blocked.json()["error"] == "too_many_failures"
    assert int(blocked["Retry-After"]) <= 300
    other = client.post("/ingest/overland", "{}", content_type="application/json",
                        HTTP_AUTHORIZATION="Bearer another-guess", REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 401  # another address is not blocked
    # The phone's own token is checked first and never waits for others' guesses.
    assert push_overland(client, phone_token, [feature("2026-03-02T10:00:00Z")]).status_code == 200


@pytest.mark.parametrize(
    "body, reason",
    [(b"{broken", "not_json"), (b'{"lat": 1}', "no_type")],
)
def test_bad_payload_gets_400_with_reason_and_is_counted(client, phone, phone_token, body, reason):
    response = push_owntracks(client, phone_token, body)
    assert response.status_code == 400 and response.json()["error"] == reason
    push_owntracks(client, phone_token, body)
    run = CollectionRun.objects.get(connection=phone)
    assert run.outcome == "failure" and run.error_class == f"bad_payload:{reason}"
    assert run.message.startswith("2 unreadable pushes this hour")


def test_a_lone_location_that_cannot_be_read_is_answered_as_taken_and_counted(client, phone, phone_token):
    """The app would send a refused location again on every retry: it is taken, and counted as failed."""
    response = push_owntracks(client, phone_token, b'{"_type": "location", "lat": 1}')
    assert response.status_code == 200 and response.json() == []
    batch = AcquisitionBatch.objects.get(connection=phone)
    assert (batch.count_failed, batch.count_accepted) == (1, 0)
    assert not CollectionRun.objects.filter(connection=phone, outcome="failure").exists()


def test_hours_of_only_bad_payloads_make_the_phone_failing_and_a_good_push_clears_it(client, phone, phone_token):
    for hour in range(3):
        with time_machine.travel(T0 + timedelta(hours=hour), tick=False):
            assert push_overland(client, phone_token, "x").status_code == 400
    assert CollectionRun.objects.filter(connection=phone).count() == 3
    health = load_one(phone, now=T0 + timedelta(hours=2, minutes=1))
    assert health.work.consecutive_failures == 3 and health.verdict.state == "failing"
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        assert push_overland(client, phone_token, [feature("2026-03-02T12:00:00Z")]).status_code == 200
    health = load_one(phone, now=T0 + timedelta(hours=3, minutes=1))
    assert health.work.consecutive_failures == 0 and health.verdict.state == "healthy"


def _push_at(client, token, app: str, minutes: int, body):
    with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
        if app == "owntracks":
            return push_owntracks(client, token, body)
        return push_overland(client, token, body)


# app -> (a readable push at minute m, an unreadable body, what the owner is told was wrong)
REFUSALS = {
    "owntracks": (lambda m: fix(int(T0.timestamp()) + 60 * m), b"{broken", "The body is not JSON."),
    "overland": (lambda m: [feature((T0 + timedelta(minutes=m)).isoformat())], "x",
                 'Expected {"locations": [GeoJSON features]}.'),
}


@pytest.mark.parametrize("app", list(REFUSALS))
def test_a_push_refused_after_a_good_one_is_said_until_a_readable_push(client, owner, phone, phone_token, app):
    good, bad, wrong = REFUSALS[app]
    for minute, body, status in ((0, good(0), 200), (5, bad, 400), (10, good(10), 200), (15, bad, 400)):
        assert _push_at(client, phone_token, app, minute, body).status_code == status

    health = load_one(phone, now=T0 + timedelta(minutes=16))
    work = health.work
    assert (work.last_run.outcome, work.consecutive_failures) == ("failure", 1)
    assert work.last_failure_at == work.last_run.finished_at == T0 + timedelta(minutes=15)
    assert work.last_success_at == T0 + timedelta(minutes=10) < work.last_failure_at
    assert health.verdict.state == "degraded"
    assert health.verdict.headline == "The phone's last push was refused on 2 Mar 2026"
    assert health.actions[0].kind == "check_device"
    activity = health.latest_activity
    assert (activity.outcome, activity.at, activity.batch_id) == ("rejected", T0 + timedelta(minutes=15), None)
    assert activity.text.startswith("Last push from the phone, 2 Mar 2026, was refused: ") and wrong in activity.text
    client.force_login(owner)
    with time_machine.travel(T0 + timedelta(minutes=16), tick=False):
        page = html.unescape(client.get(f"/sources/{phone.slug}/").content.decode())
    assert activity.text in page and health.verdict.headline in page
    assert "<dt>Last push</dt>" in page and "Last collection" not in page  # a phone pushes, nobody collects
    assert work.last_run.label == "Last push"

    assert _push_at(client, phone_token, app, 20, good(20)).status_code == 200
    health = load_one(phone, now=T0 + timedelta(minutes=21))
    work = health.work
    assert (work.last_run.outcome, work.consecutive_failures) == ("success", 0)
    assert work.last_failure_at == T0 + timedelta(minutes=15) < work.last_run.started_at == work.last_success_at
    assert health.verdict.state == "healthy" and health.latest_activity.outcome == "committed"
    assert [r.outcome for r in CollectionRun.objects.filter(connection=phone).order_by("started_at")] == [
        "failure", "success", "failure", "success"]


def test_paused_phone_source_collects_nothing(client, phone, phone_token):
    with time_machine.travel(T0, tick=False):
        push_owntracks(client, phone_token, fix(int(T0.timestamp())))
    pause_connection(phone)
    response = push_owntracks(client, phone_token, fix(int(T0.timestamp()) + 60))
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert Record.objects.filter(connection=phone).count() == 1
    assert load_one(phone, now=T0 + timedelta(hours=8)).verdict.state == "paused"
    resume_connection(phone)
    assert push_owntracks(client, phone_token, fix(int(T0.timestamp()) + 60)).status_code == 200


def test_oversized_and_wrong_method_requests(client, phone, phone_token):
    big = b'{"locations": [' + b" " * (2 * 1024**2) + b"]}"
    assert push_overland(client, phone_token, []).status_code == 200
    response = client.post("/ingest/overland", big, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {phone_token}")
    assert response.status_code == 413
    assert client.get("/ingest/owntracks").status_code == 405


# ---------------------------------------------------------------- scenarios


def test_push_silence_resume(client, phone, phone_token):
    with time_machine.travel(T0, tick=False):
        push_owntracks(client, phone_token, fix(int(T0.timestamp())))
    assert load_one(phone, now=T0 + timedelta(hours=5)).verdict.state == "healthy"

    silent = load_one(phone, now=T0 + timedelta(hours=7))
    assert silent.verdict.state == "degraded"
    assert silent.verdict.headline == "The phone has not reported since 2 Mar 2026"
    assert silent.coverage.freshness == "stale" and not silent.advisories  # not a coverage advisory
    assert silent.readiness.credential.state == "ready"

    with time_machine.travel(T0 + timedelta(hours=7), tick=False):
        push_owntracks(client, phone_token, fix(int(T0.timestamp()) + 7 * 3600))
    resumed = load_one(phone, now=T0 + timedelta(hours=7, minutes=1))
    assert resumed.verdict.state == "healthy" and resumed.coverage.freshness == "fresh"


def test_export_and_push_of_the_same_fix_is_stored_once_with_two_provenance_rows(client, phone, phone_token):
    """The phone source also takes a Timeline export: history and live pushes share stream ``locations``."""
    with (FIXTURES / "google_timeline" / "records.json").open("rb") as source:
        preview = preview_artifact(phone, source, "records.json")
    exported = land_batch(start_commit(preview, enqueue=False).pk)
    assert exported.status == "committed" and exported.method == "owner_artifact"
    held = Record.objects.filter(connection=phone).order_by("event_at").first()
    lat, lon = held.payload["lat"], held.payload["lon"]

    with time_machine.travel(T0, tick=False):
        response = push_owntracks(client, phone_token, [fix(int(held.event_at.timestamp()), lat, lon),
                                                         fix(int(T0.timestamp()))])
    assert response.status_code == 200
    pushed = AcquisitionBatch.objects.get(connection=phone, method="device_sync")
    assert (pushed.count_parsed, pushed.count_accepted, pushed.count_duplicate) == (2, 1, 1)
    held.refresh_from_db()
    assert [method for _, method in held.deliveries()] == ["owner_artifact", "device_sync"]
    assert Record.objects.filter(connection=phone, key=held.key).count() == 1
    health = load_one(phone, now=T0 + timedelta(minutes=1))
    assert [lane.method for lane in health.coverage.lanes] == ["owner_artifact", "device_sync"]
    assert health.verdict.state in ("healthy", "attention")


# ---------------------------------------------------------------- real HTTP


def _post(url: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.django_db(transaction=True)
def test_pushes_over_a_real_http_connection(live_server, owner):
    from connections.services import add_connection

    phone = add_connection(owner, "owntracks", "live-phone", "Live phone")
    _, secret = issue_device_token(phone)
    now = int(datetime.now(UTC).timestamp())
    status, body = _post(f"{live_server.url}/ingest/owntracks", json.dumps(fix(now)).encode(),
                         {"Authorization": basic("ada", secret), "X-Limit-D": "pixel"})
    assert (status, json.loads(body)) == (200, [])
    status, body = _post(f"{live_server.url}/ingest/overland",
                         json.dumps({"locations": [feature(datetime.fromtimestamp(now - 5, UTC).isoformat())]}).encode(),
                         {"Authorization": f"Bearer {secret}"})
    assert (status, json.loads(body)) == (200, {"result": "ok"})
    status, _ = _post(f"{live_server.url}/ingest/overland", b"{}", {"Authorization": "Bearer wrong"})
    assert status == 401
    assert Record.objects.filter(connection=phone).count() == 2
    health = load_one(phone)
    assert health.verdict.state == "healthy", health.advisories


# ---------------------------------------------------------------- the command


def test_device_token_command_prints_once_rotates_and_revokes(phone, capsys):
    call_command("device_token", "my-phone", "--owner", "ada")
    first = capsys.readouterr().out.strip()
    assert first.startswith("ohd_") and DeviceToken.objects.live().count() == 1
    call_command("device_token", "my-phone", "--owner", "ada", "--rotate")
    second = capsys.readouterr().out.strip()
    assert second != first and DeviceToken.objects.live().count() == 1
    assert DeviceToken.objects.live().get().hint == second[-4:]
    assert first not in str(list(DeviceToken.objects.values()))  # only hashes are kept
    call_command("device_token", "my-phone", "--owner", "ada", "--revoke")
    assert "Revoked 1 token" in capsys.readouterr().out
    assert DeviceToken.objects.live().count() == 0
    assert load_one(phone).readiness.credential.state == "missing"
