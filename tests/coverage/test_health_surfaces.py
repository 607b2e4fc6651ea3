"""One projection, many readers: CLI, API and loader agree for every scenario."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connections.models import AccessToken, Condition, Connection
from coverage import words
from coverage.evidence import load_health
from coverage.projection import project
from coverage.serializers import health_json
from coverage.services import issue_access_token
from tests.scenarios import NOW, SCENARIOS

pytestmark = pytest.mark.django_db
ROWS = [pytest.param(scenario, id=name) for name, (scenario, _) in SCENARIOS.items()]
STATE_ROWS = [pytest.param(scenario, expected["state"], id=name) for name, (scenario, expected) in SCENARIOS.items()]


def _cli_json(*args) -> object:
    out = StringIO()
    call_command("health", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def bearer(owner):
    _, secret = issue_access_token(owner)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.mark.parametrize(("scenario", "state"), STATE_ROWS)
def test_cli_json_equals_api_json(scenario, state, owner, client, bearer, time_machine):
    time_machine.move_to(NOW, tick=False)
    conn = scenario.save(owner)
    cli = _cli_json(conn.slug, "--owner", owner.username)
    api = client.get(f"/api/owner/connections/{conn.slug}", **bearer)
    assert api.status_code == 200
    assert api.json() == cli
    assert cli["verdict"]["state"] == state


@pytest.mark.parametrize("scenario", ROWS)
def test_loaded_evidence_projects_like_the_scenario(scenario, owner):
    conn = scenario.save(owner)
    loaded = load_health(Connection.objects.filter(pk=conn.pk), now=NOW)[0]
    pure = project(scenario.saved_evidence(conn), NOW)
    loaded_json, pure_json = health_json(loaded), health_json(pure)
    # Row ids differ between unsaved and saved evidence; everything else must match.
    for data in (loaded_json, pure_json):
        data["latest_receipt"] = data["latest_receipt"] and {**data["latest_receipt"], "batch_id": 0}
        for adv in data["advisories"]:
            adv["batch_id"] = adv["batch_id"] and 0
        for saving in data["work"]["imports"]:
            saving["batch_id"] = 0
        if data["work"]["previews"]:  # the preview's page is named by its row
            data["work"]["previews"].update(batch_id=0, url="")
        if data["latest_activity"]:
            data["latest_activity"].update(batch_id=0, duplicate_of=data["latest_activity"]["duplicate_of"] and 0)
    assert loaded_json == pure_json


def test_list_endpoint_equals_cli_list(owner, client, bearer, time_machine):
    time_machine.move_to(NOW, tick=False)
    for scenario, _ in SCENARIOS.values():
        scenario.save(owner)
    api = client.get("/api/owner/connections", **bearer).json()
    assert api == _cli_json("--owner", owner.username)
    assert len(api) == len(SCENARIOS)
    assert [c["connection"]["name"] for c in api] == sorted(c["connection"]["name"] for c in api)


@pytest.mark.parametrize("count", [1, 10, 200])
def test_loader_uses_constant_queries(count, owner, django_assert_max_num_queries):
    scenarios = [s for s, _ in SCENARIOS.values()]
    for i in range(count):
        scenario = scenarios[i % len(scenarios)]
        scenario.name = f"{scenario.name.split('-n')[0]}-n{i}"
        scenario.save(owner)
    with django_assert_max_num_queries(5):
        healths = load_health(Connection.objects.for_owner(owner), now=NOW)
    assert len(healths) == count


def test_api_list_endpoint_queries_do_not_grow(owner, client, bearer):
    scenarios = [s for s, _ in SCENARIOS.values()]
    counts = []
    for total in (5, 50):
        while Connection.objects.count() < total:
            scenario = scenarios[Connection.objects.count() % len(scenarios)]
            scenario.name = f"{scenario.name.split('-n')[0]}-n{Connection.objects.count()}"
            scenario.save(owner)
        client.get("/api/owner/connections", **bearer)  # warm-up: the token's last use is recorded once
        with CaptureQueriesContext(db) as ctx:
            assert client.get("/api/owner/connections", **bearer).status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1]


def test_another_owners_connection_is_404(owner, other_owner, client):
    scenario, _ = SCENARIOS["old_export_is_attention_with_reexport"]
    conn = scenario.save(owner)
    _, secret = issue_access_token(other_owner)
    response = client.get(f"/api/owner/connections/{conn.slug}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 404
    assert conn.name not in response.content.decode()
    listed = client.get("/api/owner/connections", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert listed == []


@pytest.mark.parametrize(
    "header",
    [None, "Bearer oh_pat_not-a-real-token", "Basic YWRhOnBhc3M="],
    ids=["anonymous", "unknown_token", "wrong_scheme"],
)
def test_api_refuses_without_valid_credentials(header, owner, client):
    kwargs = {"HTTP_AUTHORIZATION": header} if header else {}
    assert client.get("/api/owner/connections", **kwargs).status_code == 401


def test_revoked_token_is_refused_and_tokens_are_stored_hashed(owner, client):
    token, secret = issue_access_token(owner)
    assert secret not in token.token_hash and token.hint == secret[-4:]
    assert client.get("/api/owner/connections", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    AccessToken.objects.filter(pk=token.pk).update(revoked_at=NOW)
    assert client.get("/api/owner/connections", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_session_login_works_for_the_api(owner, client):
    client.force_login(owner)
    assert client.get("/api/owner/connections").status_code == 200


def test_openapi_schema_is_served_and_names_the_contract(client):
    schema = client.get("/api/owner/openapi.json").json()
    assert "/api/owner/connections" in schema["paths"]
    health = schema["components"]["schemas"]["ConnectionHealth"]
    assert {"connection", "verdict", "readiness", "schedule", "work", "coverage", "advisories", "actions",
            "latest_receipt"} <= set(health["properties"])


def test_add_connection_then_health_table(owner):
    out = StringIO()
    call_command("add_connection", "whatsapp", "family-chat", "--name", "Family chat", "--owner", "ada", stdout=out)
    assert "Added 'Family chat'" in out.getvalue()
    table = StringIO()
    call_command("health", "--owner", "ada", stdout=table)
    text = table.getvalue()
    assert "family-chat" in text and "Finish setup" in text and "No messages imported yet" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch", "x", "--name", "X", "--owner", "ada"],
         r"Unknown connector 'nosuch'\. Choose one of: whatsapp \(WhatsApp\), google_timeline .*, ical_feed "),
        (["whatsapp", "Bad Slug", "--name", "X", "--owner", "ada"], "not a valid slug"),
        (["whatsapp", "chat", "--name", "X", "--owner", "nobody"], "No owner called"),
    ],
    ids=["unknown_connector", "bad_slug", "unknown_owner"],
)
def test_add_connection_explains_bad_input(args, message, owner):
    with pytest.raises(CommandError, match=message):
        call_command("add_connection", *args)


def test_add_connection_refuses_a_taken_slug(owner):
    call_command("add_connection", "whatsapp", "chat", "--name", "Chat", "--owner", "ada", stdout=StringIO())
    with pytest.raises(CommandError, match="already have"):
        call_command("add_connection", "whatsapp", "chat", "--name", "Chat", "--owner", "ada")


def test_health_lists_the_sources_in_the_order_of_the_dashboard(owner, client, time_machine):
    time_machine.move_to(NOW, tick=False)
    for scenario, _ in SCENARIOS.values():
        scenario.save(owner)
    client.force_login(owner)
    dashboard = re.findall(r'<article class="card[^"]*" id="source-([\w-]+)-card"', client.get("/").content.decode())
    out = StringIO()

    call_command("health", stdout=out)

    table = out.getvalue().split("HEADLINE / NEXT\n", 1)[1]  # the rows under the table's header
    listed = [line.split()[0] for line in table.splitlines() if line and not line.startswith(" ")]
    assert listed == dashboard  # can't collect first, up to date last; not by name
    assert listed != sorted(listed)


def test_health_for_unknown_slug_says_so(owner):
    with pytest.raises(CommandError, match="No connection 'nope'"):
        call_command("health", "nope", "--owner", "ada")


def test_guessing_tokens_is_slowed_down(owner, client):
    from django.core.cache import cache

    cache.clear()
    _, secret = issue_access_token(owner)
    answers = [client.get("/api/owner/connections", HTTP_AUTHORIZATION=f"Bearer oh_pat_guess{i}").status_code
               for i in range(21)]
    assert answers[:20] == [401] * 20 and answers[20] == 429
    # The right token is checked first and never waits for others' mistakes.
    assert client.get("/api/owner/connections", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200


def test_owner_creates_and_revokes_an_api_token_from_the_command_line(owner, client):
    out = StringIO()
    call_command("access_token", "--owner", "ada", "--name", "backup script", stdout=out, stderr=StringIO())
    secret = out.getvalue().strip()
    assert client.get("/api/owner/connections", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    assert AccessToken.objects.get().name == "backup script"
    # "--revoke=HINT": a hint may start with "-" (the secret is URL-safe base64).
    call_command("access_token", "--owner", "ada", f"--revoke={secret[-4:]}", stdout=StringIO())
    assert client.get("/api/owner/connections", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_a_token_whose_hint_starts_with_a_dash_is_revoked(owner):
    token, _ = issue_access_token(owner, "dash")
    AccessToken.objects.filter(pk=token.pk).update(hint="-a_b")
    out = StringIO()
    call_command("access_token", "--owner", "ada", "--revoke=-a_b", stdout=out)
    assert "Revoked 'dash'" in out.getvalue() and AccessToken.objects.get().revoked_at is not None


def test_a_stopped_worker_is_said_once_on_every_surface(owner, client, bearer):
    """DESIGN: the installation's runtime shows once: the dashboard banner, one line in
    ``health`` and ``GET /api/owner/system``; the cards keep to their own evidence."""
    for name in ("old_export_is_attention_with_reexport", "missing_media_is_attention_with_add_media"):
        SCENARIOS[name][0].save(owner)
    system = client.get("/api/owner/system", **bearer)
    assert system.status_code == 200 and system["Cache-Control"] == "no-store"
    body = system.json()
    assert body["state"] == "degraded" and body["worker"]["state"] != "ready"
    out = StringIO()
    call_command("health", "--owner", owner.username, stdout=out)
    text = out.getvalue()
    assert text.count(body["headline"]) == 1 and text.startswith("Ownerhub: ")

    Condition.objects.create(type="worker_heartbeat", status="ready", observed_at=timezone.now())
    assert client.get("/api/owner/system", **bearer).json()["state"] == "healthy"
    out = StringIO()
    call_command("health", "--owner", owner.username, stdout=out)
    assert not out.getvalue().startswith("Ownerhub: ")


@pytest.mark.parametrize("scenario", ROWS)
def test_health_text_says_every_advisory_and_stale_since_the_card_says(scenario, owner, time_machine):
    time_machine.move_to(NOW, tick=False)
    conn = scenario.save(owner)
    health = load_health(Connection.objects.filter(pk=conn.pk), now=NOW)[0]
    out = StringIO()
    call_command("health", conn.slug, "--owner", owner.username, stdout=out)
    text = out.getvalue()
    for advisory in health.advisories:
        assert advisory.detail in text
    if health.coverage.freshness == "stale":
        assert f"Stale since {words.day(health.coverage.stale_since, words.zone(health.connection.time_zone))}" in text
    elif health.coverage.freshness == "unknown":
        assert "Freshness not measured yet" in text
    assert health.verdict.label in text and health.verdict.forward in text
