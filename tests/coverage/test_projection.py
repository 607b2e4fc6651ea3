"""The projection's scenario table: pure, no database, one row per owner situation."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from connections.models import Condition
from coverage.projection import Action, project, project_system, summarize
from coverage.projection.types import MANAGE_ACTIONS
from coverage.serializers import health_json
from tests.scenarios import NOW, SCENARIOS

ROWS = [pytest.param(scenario, expected, id=name) for name, (scenario, expected) in SCENARIOS.items()]


def _field(obj, dotted: str):
    for part in dotted.split("."):
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    return obj


@pytest.mark.parametrize(("scenario", "expected"), ROWS)
def test_scenario(scenario, expected):
    health = project(scenario.evidence(), NOW)
    verdict = health.verdict
    assert verdict.state == expected["state"]
    if "label" in expected:
        assert verdict.label == expected["label"]
    if "tone" in expected:
        assert verdict.tone == expected["tone"]
    needs = [a for a in health.actions if a.kind not in MANAGE_ACTIONS]  # pause and mute are always offered
    if "actions" in expected:
        assert [a.kind for a in needs][: len(expected["actions"])] == expected["actions"]
        if not expected["actions"]:
            assert needs == []
    if "manage" in expected:
        assert [a.kind for a in health.actions if a.kind in MANAGE_ACTIONS] == expected["manage"]
    if "advisories" in expected:
        assert [a.kind for a in health.advisories] == expected["advisories"]
    if "needs_now" in expected:
        assert health.needs_owner_now is expected["needs_now"]
    if "headline_has" in expected:
        assert expected["headline_has"] in verdict.headline
    if "forward_has" in expected:
        assert expected["forward_has"] in verdict.forward
    for key, value in expected.items():
        if "." in key or key == "latest_receipt":
            assert _field(health, key) == value, key


@pytest.mark.parametrize(("scenario", "expected"), ROWS)
def test_forward_never_contradicts_actions(scenario, expected):
    health = project(scenario.evidence(), NOW)
    forward = health.verdict.forward.lower()
    owner_now = [a for a in health.actions if a.audience == "owner" and a.urgency == "now"]
    # "Nothing needs you" only when no owner action is urgent, and never when something is urgent.
    assert ("nothing needs you" in forward) == (not owner_now and health.verdict.state == "healthy")
    needs = [a for a in health.actions if a.kind not in MANAGE_ACTIONS]
    if needs:
        assert _mentions(forward, needs[0]), (forward, needs[0])


def _mentions(forward: str, action: Action) -> bool:
    words = {
        "re_export": ("export",),
        "add_artifact": ("import", "upload", "export"),
        "add_media": ("media", "routes"),  # the missing files in the source's words
        "reconnect": ("reconnect",),
        "connect": ("connect", "setting up"),
        "resume": ("resume",),
        "retry": ("retry", "try again", "trying"),
        "review_import": ("review",),
        "review_preview": ("review",),
        "check_device": ("phone",),
        "check_runtime": ("collector",),
        "reread": ("read", "reader"),
    }[action.kind]
    return any(w in forward for w in words)


@pytest.mark.parametrize(("scenario", "expected"), ROWS)
def test_unknown_is_never_called_up_to_date(scenario, expected):
    health = project(scenario.evidence(), NOW)
    unknown = "unknown" in (health.readiness.credential.state, health.readiness.runtime.state)
    if unknown or health.coverage.freshness != "fresh":
        assert health.verdict.label != "Up to date"
        assert "up to date" not in health.verdict.headline.lower()


@pytest.mark.parametrize(("scenario", "expected"), ROWS)
def test_coverage_never_raises_above_attention_unless_blocking(scenario, expected):
    health = project(scenario.evidence(), NOW)
    if health.verdict.state in ("failing", "degraded") and health.advisories:
        pipe_fault = (
            health.readiness.credential.state in ("rejected", "expired")
            or health.work.consecutive_failures
            or health.readiness.runtime.state == "unavailable"
            or health.schedule.policy != "manual"
            or any(a.severity == "blocking" for a in health.advisories)
        )
        assert pipe_fault


@pytest.mark.parametrize(("scenario", "expected"), ROWS)
def test_same_evidence_same_projection_byte_for_byte(scenario, expected):
    first = json.dumps(health_json(project(scenario.evidence(), NOW)))
    second = json.dumps(health_json(project(scenario.evidence(), NOW)))
    assert first == second


def test_stale_boundary_for_a_manual_export():
    scenario, _ = SCENARIOS["missing_media_is_attention_with_add_media"]
    through = scenario.evidence().summary.covered_through
    just_before = project(scenario.evidence(), through + timedelta(days=30))
    just_after = project(scenario.evidence(), through + timedelta(days=30, seconds=1))
    assert just_before.coverage.freshness == "fresh"
    assert "stale_owner_artifact" not in [a.kind for a in just_before.advisories]
    assert just_after.coverage.freshness == "stale"
    assert just_after.verdict.state == "attention"
    assert [a.kind for a in just_after.actions][:2] == ["add_artifact", "add_media"]


URGENCY = ("cant_collect", "having_trouble", "needs_you", "suggestions", "paused", "not_measured", "up_to_date")


def _all_healths():
    return [project(s.evidence(i), NOW) for i, (s, _) in enumerate(SCENARIOS.values(), start=1)]


def test_dashboard_summary_counts_every_card_once_in_the_pills_words():
    healths = _all_healths()
    summary = summarize(healths)
    assert sum(part.count for part in summary.parts) == summary.total == len(SCENARIOS)
    assert [part.key for part in summary.parts] == [k for k in URGENCY if any(p.key == k for p in summary.parts)]
    assert summary.sentence == " · ".join(part.text for part in summary.parts)
    by_key = {part.key: part for part in summary.parts}
    assert by_key["cant_collect"].count == sum(1 for h in healths if h.verdict.label == "Can't collect")
    assert by_key["cant_collect"].text.endswith(" can't collect")
    assert by_key["having_trouble"].count == sum(1 for h in healths if h.verdict.label == "Having trouble")
    assert by_key["paused"].count == sum(1 for h in healths if h.verdict.label == "Paused")
    # Never measured is not "up to date": only the "Up to date" pill counts there.
    assert summary.healthy == by_key["up_to_date"].count == sum(1 for h in healths if h.verdict.label == "Up to date")
    assert by_key["not_measured"].count == sum(1 for h in healths if h.verdict.label == "Not measured yet")
    assert by_key["up_to_date"].text == f"{summary.healthy} up to date"
    needs = [h for h in healths if h.needs_owner_now and h.verdict.state not in ("failing", "degraded")]
    assert summary.needs_you == by_key["needs_you"].count == len(needs)
    assert by_key["needs_you"].text == f"{len(needs)} need you"


def test_one_card_that_needs_you_agrees_in_number():
    scenario, _ = SCENARIOS["no_evidence_at_all_is_setup_required"]
    assert summarize([project(scenario.evidence(), NOW)]).sentence == "1 needs you"


def test_dashboard_orders_cards_by_urgency_then_by_name():
    summary = summarize(list(reversed(_all_healths())))
    ranks = [(URGENCY.index(h.bucket), h.connection.name.lower()) for h in summary.cards]
    assert ranks == sorted(ranks)
    assert summary.cards[0].verdict.label == "Can't collect" and summary.cards[-1].verdict.label == "Up to date"
    assert len(summary.cards) == len(SCENARIOS)


@pytest.mark.parametrize(
    ("heartbeat_age", "state", "worker", "words"),
    [
        pytest.param(None, "degraded", "unknown", "has not started", id="never_started"),
        pytest.param(timedelta(seconds=20), "healthy", "ready", "running", id="fresh_heartbeat"),
        pytest.param(timedelta(seconds=60), "healthy", "ready", "running", id="at_twice_the_interval"),
        pytest.param(timedelta(seconds=61), "degraded", "unavailable", "has not reported since", id="heartbeat_late"),
    ],
)
def test_system_runtime_from_worker_heartbeat(heartbeat_age, state, worker, words):
    beat = None
    if heartbeat_age is not None:
        beat = Condition(type="worker_heartbeat", status="ready", observed_at=NOW - heartbeat_age)
    system = project_system(beat, NOW, interval_seconds=30)
    assert (system.state, system.worker.state) == (state, worker)
    assert words in system.headline


def test_an_owner_in_auckland_reads_the_days_of_their_own_calendar():
    # The chat ran from 12 Mar 09:15 to 25 Mar 22:10 UTC: 12 Mar 22:15 to 26 Mar 11:10 in Auckland.
    scenario, _ = SCENARIOS["old_export_is_attention_with_reexport"]
    in_utc = project(scenario.evidence(), NOW)
    in_auckland = project(replace(scenario.evidence(), time_zone=ZoneInfo("Pacific/Auckland")), NOW)
    assert in_utc.verdict.headline == "Covers 12 Mar to 25 Mar 2023"
    assert in_auckland.verdict.headline == "Covers 12 Mar to 26 Mar 2023"
    assert in_auckland.advisories[0].detail == "The newest message imported is from 26 Mar 2023."
    auckland_coverage, utc_coverage = health_json(in_auckland)["coverage"], health_json(in_utc)["coverage"]
    # The words are the owner's days; every instant of the JSON stays UTC.
    assert auckland_coverage.pop("freshness_text") == "Stale since 25 Apr 2023"
    assert utc_coverage.pop("freshness_text") == "Stale since 24 Apr 2023"
    assert auckland_coverage == utc_coverage


def test_a_feed_names_its_next_collection_in_the_owners_zone():
    scenario, _ = SCENARIOS["fresh_feed_with_successful_run_is_healthy"]
    health = project(replace(scenario.evidence(), time_zone=ZoneInfo("America/Los_Angeles")), NOW)
    assert health.verdict.forward == "Nothing needs you now. Next collection today at 04:30 PST."


def test_one_missing_media_file_agrees_in_number():
    scenario, _ = SCENARIOS["missing_media_is_attention_with_add_media"]
    health = project(scenario.evidence(), NOW)
    assert [a.detail for a in health.advisories if a.kind == "missing_media"] == [
        "1 of 3 media files was not included."
    ]


def test_an_import_saved_while_the_worker_is_down_is_stalled_not_the_owners_problem():
    scenario, _ = SCENARIOS["first_import_being_saved_does_not_need_you"]
    health = project(replace(scenario.evidence(), worker_down=True), NOW)
    saving = health.work.imports[0]
    assert saving.stalled and saving.phase == "saving"
    assert health.verdict.headline == "Saving your import · 1,200 of 5,000 messages; it waits for the background worker"
    assert health.verdict.forward == "Its data is saved once the background worker is back."
    assert not health.needs_owner_now and health.actions == ()
